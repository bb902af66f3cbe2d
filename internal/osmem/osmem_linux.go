// On Linux, MADV_DONTNEED on private anonymous memory zero-fills on next touch.

//go:build linux

package osmem

const madviseZeroes = true
