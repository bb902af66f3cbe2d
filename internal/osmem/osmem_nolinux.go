// Outside Linux, MADV_DONTNEED may keep the old contents.

//go:build unix && !linux

package osmem

const madviseZeroes = false
