// Shared sentinel errors, wrapped by every memkit allocator so errors.Is works across them.

package memkit

import "errors"

// Every allocator in memkit returns errors that wrap one of these sentinels,
// with the values involved in the message (for example
// "offset: free 0x1f0: memkit: invalid free"). Test with errors.Is.
// A call that fails with any of them has changed nothing.
var (
	// ErrInvalidSize is returned when a requested size is zero where that is
	// not allowed, negative, larger than the managed space, or so large that
	// rounding it would overflow.
	ErrInvalidSize = errors.New("memkit: invalid size")

	// ErrOutOfMemory is returned when no free block can satisfy a request,
	// although the request itself is valid.
	ErrOutOfMemory = errors.New("memkit: out of memory")

	// ErrNoMetadata is returned when an allocator with a fixed metadata
	// budget (a node table, a handle table) has spent it and the request
	// cannot be served without a new metadata record.
	ErrNoMetadata = errors.New("memkit: out of metadata")

	// ErrInvalidFree is returned when a free, realloc or lookup names
	// something that is not the start of a live block: an unknown, foreign,
	// interior, misaligned or out-of-range reference.
	ErrInvalidFree = errors.New("memkit: invalid free")

	// ErrDoubleFree is returned when a free names a block that the allocator
	// can tell was already freed. It is a more precise form of
	// ErrInvalidFree; errors wrapping it also satisfy
	// errors.Is(err, ErrInvalidFree).
	ErrDoubleFree = &doubleFree{}

	// ErrCorrupt is returned when an allocator's metadata, or an image or
	// snapshot it was asked to load, fails a consistency check.
	ErrCorrupt = errors.New("memkit: corrupt metadata")

	// ErrInvalidConfig is returned by constructors given a configuration
	// they cannot honour (a non power-of-two alignment, a buffer too small).
	ErrInvalidConfig = errors.New("memkit: invalid configuration")

	// ErrPinned is returned when an operation would have to move a block
	// that is pinned in place.
	ErrPinned = errors.New("memkit: block is pinned")

	// ErrClosed is returned by an allocator that was closed and whose
	// memory has been released.
	ErrClosed = errors.New("memkit: allocator closed")
)

// doubleFree is ErrDoubleFree's type: it reports itself as ErrInvalidFree
// too, so callers that only care about "bad free" need one check.
type doubleFree struct{}

func (*doubleFree) Error() string { return "memkit: double free" }

func (*doubleFree) Is(target error) bool { return target == ErrInvalidFree }
