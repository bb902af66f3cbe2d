// All of compact's unsafe code: the address of the caller's buffer.
//
// It is safe because it only reads the address of buf's first byte to find
// how many leading bytes to skip so that block offsets are aligned in
// memory, not only relative to buf; it never converts an integer back into a
// pointer and never stores a pointer anywhere.

package compact

import "unsafe"

// misalign returns how many bytes past the previous multiple of align the
// first byte of buf lies (0 for an empty buf). align is a power of two.
func misalign(buf []byte, align int) int {
	if len(buf) == 0 {
		return 0
	}
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(buf))) & uintptr(align-1))
}
