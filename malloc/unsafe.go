// The package's only unsafe code: reading the address of a slice's first byte.
//
// Why it is safe: addrOf converts a pointer to an integer and never converts
// an integer back to a pointer. The integer is used only as a key (to find
// the arena and block a slice belongs to) and for offset arithmetic; every
// slice this package hands out is re-sliced from the []byte that osmem.Map
// returned for the arena or large mapping, so Go's own slice bounds checks
// guard every access to the memory itself. The memory comes from mmap (or
// VirtualAlloc), outside the Go heap, so no address can be invalidated by
// the garbage collector moving or freeing an object.
package malloc

import "unsafe"

// addrOf returns the address of b's first element (0 for a nil slice).
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// stackHint returns a number that is the same for calls from one goroutine
// (the address of a local variable, at 8 KiB granularity: goroutine stacks
// are distinct memory) and usually differs between goroutines. It is only
// a hint for choosing a shard; a wrong guess costs speed, never safety. The
// local does not escape: only its address, as an integer, leaves.
func stackHint() uint32 {
	var x byte
	return uint32(uintptr(unsafe.Pointer(&x)) >> 13)
}
