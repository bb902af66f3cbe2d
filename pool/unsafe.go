// All of the package's unsafe code: pointer <-> offset arithmetic over the caller's buffer.
//
// Why this is safe. Every pointer made here points into buf, the []byte
// given to New, which the Pool keeps referenced (Pool.buf) for its whole
// life, so the memory cannot be freed or moved while a pointer into it
// exists (Go heap objects never move; buffers from mmap never move either).
// buf holds no Go pointers and the views made over it are of pointer-free
// types only (uint64, uint32, uint8, byte and, in the typed helpers, a T
// that typed.go has verified contains no pointers), so the garbage
// collector never needs to scan it. Every offset is computed by plan
// (config.go), which checks with overflow-safe arithmetic that
// offset + length ≤ len(buf) before New builds any view; Free turns an
// address back into an offset only after a range check against a class's
// block area, and never dereferences an address it was given. Metadata
// words accessed atomically are 8-byte aligned because plan aligns the
// metadata region to 64 bytes from an aligned base.

package pool

import (
	"sync/atomic"
	"unsafe"
)

// alignBase returns the offset of the first address in buf aligned to a.
func alignBase(buf []byte, a int) int {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return int((uintptr(a) - p%uintptr(a)) % uintptr(a))
}

// words returns n uint64 at mem[off:] (off 8-byte aligned by plan, in range).
func words(mem []byte, off, n int) []uint64 {
	_ = mem[off+n*8-1]
	return unsafe.Slice((*uint64)(unsafe.Pointer(&mem[off])), n)
}

// shardRecs returns n shard records at mem[off:] (off 64-byte aligned by plan).
func shardRecs(mem []byte, off, n int) []shardRec {
	_ = mem[off+n*shardWords*8-1]
	return unsafe.Slice((*shardRec)(unsafe.Pointer(&mem[off])), n)
}

// u32s returns n uint32 at mem[off:] (off 8-byte aligned by plan).
func u32s(mem []byte, off, n int) []uint32 {
	_ = mem[off+n*4-1]
	return unsafe.Slice((*uint32)(unsafe.Pointer(&mem[off])), n)
}

// offsetOf returns the offset of b's first element from mem's, as an
// unsigned number: a slice that does not start inside mem yields an
// offset ≥ len(mem) (or a wrapped huge one), which the caller's range check
// refuses. The address is only compared, never dereferenced.
func offsetOf(mem []byte, b []byte) uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
}

// addrIn returns the address of mem[off] as a number, for messages and hooks.
func addrIn(mem []byte, off int) uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(mem))) + uintptr(off)
}

// procPin and procUnpin are the runtime's own (linked by name, as
// sync.Pool's are): procPin returns the id of the P the goroutine runs on
// and keeps it there until procUnpin.
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// stackHint returns the id of the P (the scheduler's processor slot) the
// calling goroutine runs on. Goroutines running at the same moment are on
// distinct Ps, so they get distinct free-list shards, which a hint taken
// from stack addresses only managed by chance (two fresh goroutines often
// shared one). It picks a shard; it is a hint, never a key: a goroutine
// preempted right after reading it simply uses another P's shard.
func stackHint() uint {
	p := procPin()
	procUnpin()
	return uint(p)
}

// sizeOf returns the size and alignment of T.
func sizeOf[T any]() (size, align int) {
	var z T
	return int(unsafe.Sizeof(z)), int(unsafe.Alignof(z))
}

// typedAt views mem[off:] as a *T. The caller has checked that T holds no
// pointers, that the block at off has at least sizeof(T) bytes and that
// off is aligned for T.
func typedAt[T any](mem []byte, off int) *T { return (*T)(unsafe.Pointer(&mem[off])) }

// typedSliceAt views mem[off:] as n elements of T (same checks as typedAt,
// for n×sizeof(T) bytes).
func typedSliceAt[T any](mem []byte, off, n int) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(&mem[off])), n)
}

// typedOffset returns the offset of x from mem's start (see offsetOf).
func typedOffset[T any](mem []byte, x *T) uintptr {
	return uintptr(unsafe.Pointer(x)) - uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
}

// typedSliceOffset returns the offset of s's first element from mem's start.
func typedSliceOffset[T any](mem []byte, s []T) uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(s))) - uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
}

// touch atomically adds zero to the 4-byte word at b[off:] (off 4-aligned
// in memory): a write that changes nothing, which makes the OS map the page.
func touch(b []byte, off int) {
	_ = b[off+3]
	atomic.AddUint32((*uint32)(unsafe.Pointer(&b[off])), 0)
}

// sliceAddr returns the address of b's first element as a number (0 for nil).
func sliceAddr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
