// The package's only unsafe code: reading the address of a slice's first
// byte, and asking the runtime which P a goroutine runs on.
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

// addrOfPtr returns the address p holds (for tests of metadata alignment).
func addrOfPtr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// procPin and procUnpin are the runtime's own (linked by name, as
// sync.Pool's are): procPin returns the id of the P (the scheduler's
// processor slot) the goroutine runs on and keeps it there until
// procUnpin. Linking them reads no memory of ours and writes none.
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// procID returns the id of the P the calling goroutine runs on. Goroutines
// running at the same moment are on distinct Ps, so they get distinct
// shards (a hint taken from stack addresses only managed that by chance).
// It is a hint, never a key: a goroutine moved to another P right after
// reading it merely uses that P's shard for one call.
func procID() uint32 {
	p := procPin()
	procUnpin()
	return uint32(p)
}
