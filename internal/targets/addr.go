// The package's only unsafe code: the address of a slice's first byte.
//
// It is safe because the address is only read and compared, never turned
// back into a pointer: spans of blocks from allocators that hand out
// slices are their addresses, for overlap checks and heap maps.

package targets

import "unsafe"

// addrOf returns the address of b's first element (of its backing array
// when len(b) is 0 and cap(b) is not).
func addrOf(b []byte) uint64 {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}
