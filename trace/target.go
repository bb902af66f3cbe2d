// The adapter interface through which Replay drives an allocator.

package trace

// Block names a live block to a Target: an offset, an address, a handle,
// a slot number; whatever the adapter finds convenient.
type Block uint64

// Span is where a live block lies: Off is an offset in the managed space or
// an address, Len the block's usable length (at least the requested size).
type Span struct {
	Off, Len uint64
}

// End returns Off+Len.
func (s Span) End() uint64 { return s.Off + s.Len }

// Target is the adapter Replay drives. It need not be safe for concurrent
// use: Replay calls it from one goroutine.
type Target interface {
	// Alloc allocates size bytes (size ≥ 1).
	Alloc(size uint64) (Block, error)
	// Free frees a live block.
	Free(b Block) error
	// Bytes returns the block's memory as it is now, at least the
	// requested size long, or nil when the memory cannot be addressed
	// (an offset allocator's external space). Replay calls it again
	// after every operation that may have moved the block.
	Bytes(b Block) []byte
	// Span says where the block lies now.
	Span(b Block) Span
}

// Reallocator is a Target with its own realloc: on success the returned
// Block names the block from then on (it may equal b) and its first
// min(old, new) bytes are preserved; on failure b stays valid and
// unchanged. Targets without it get realloc as alloc, copy, free.
type Reallocator interface {
	Realloc(b Block, size uint64) (Block, error)
}

// Footprinter is a Target that can say how many bytes of memory (space,
// buffer, mappings) it needs at the moment, bookkeeping included.
type Footprinter interface {
	Footprint() uint64
}

// PeakFootprinter is a Footprinter that also keeps its own peak, which
// can be higher than any footprint seen between ops (a realloc that maps
// the new block before it unmaps the old one). Replay takes the larger.
type PeakFootprinter interface {
	Footprinter
	PeakFootprint() uint64
}

// Spacer is a Target whose spans are offsets inside one managed space of
// Space() bytes. Unless it is also a Footprinter, its footprint is taken
// as the end of its highest live block: the smallest space that would
// have held the same blocks at the same offsets.
type Spacer interface {
	Space() uint64
}

// Mover is a Target that may move live blocks. Moves counts the moves so
// far; when it changes, Replay finds every block's span again and verifies
// every block's contents.
type Mover interface {
	Moves() uint64
}

// Checker is a Target with a full consistency check of its own, which
// Replay runs at the end of the verified pass.
type Checker interface {
	Check() error
}

// MetadataSizer is a Target that can say how many bytes of bookkeeping it
// holds; Replay reads it when the number of live blocks peaks.
type MetadataSizer interface {
	MetadataBytes() uint64
}

// Aligner is a Target that promises every Span.Off is a multiple of
// Align(); Replay checks it.
type Aligner interface {
	Align() uint64
}
