// Page mapping on unix systems, through golang.org/x/sys/unix.

//go:build unix

package osmem

import (
	"os"

	"golang.org/x/sys/unix"
)

const fallback = false

func pageSize() int { return os.Getpagesize() }

func mapPages(size int) ([]byte, error) {
	return unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
}

func unmapPages(b []byte) error { return unix.Munmap(b) }

func decommitPages(b []byte) error {
	// MADV_DONTNEED on Linux drops the pages at once and zero-fills them on
	// the next touch; elsewhere it is advice, so clear the bytes ourselves
	// to keep the "reads as zero" contract.
	if err := unix.Madvise(b, unix.MADV_DONTNEED); err != nil {
		return err
	}
	if !madviseZeroes {
		clear(b)
	}
	return nil
}
