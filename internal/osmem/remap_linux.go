// Remapping on Linux: mremap moves or extends a mapping without copying.

//go:build linux

package osmem

import "golang.org/x/sys/unix"

func remapPages(b []byte, size int) ([]byte, error) {
	return unix.Mremap(b, size, unix.MREMAP_MAYMOVE)
}
