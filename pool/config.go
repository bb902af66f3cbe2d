// Configuration: classes, options, presets and the buffer layout New derives from them.

package pool

import (
	"fmt"
	"math/bits"

	"github.com/memkit/memkit"
)

// Class is one fixed-size pool inside a Pool: Count blocks of Size bytes.
// The zero Class is invalid (New refuses Size or Count below 1).
type Class struct {
	Size  int // bytes per block, rounded up to Config.Align by New
	Count int // blocks, at least 1
}

// Config describes a Pool. The zero Config is not valid: it has no classes;
// start from DefaultConfig, Preset or Suggest.
type Config struct {
	// Classes lists the pools in strictly ascending Size (after rounding to
	// Align). At most MaxClasses.
	Classes []Class
	// Align is the alignment of every block, a power of two from 1 to 4096;
	// 0 means 8. Block sizes are rounded up to it.
	Align int
	// CacheAligned makes every block start on a 64-byte cache line (block
	// strides round up to 64 bytes), so blocks used by different cores never
	// share a line.
	CacheAligned bool
	// Stats turns on per-operation counters and timing. Off, the hot paths
	// read no clock and update no counter (Failed is still counted: it is off
	// the success path).
	Stats bool
	// Concurrent makes the Pool safe for concurrent use, lock-free. Off, a
	// Pool must be used by one goroutine at a time.
	Concurrent bool
}

// MaxClasses is the largest number of classes a Config may have.
const MaxClasses = 64

// maxLUT bounds the size lookup table: the largest block size divided by the
// alignment may not exceed it (1 MiB of table at most).
const maxLUT = 1 << 20

// cacheLine is the line size CacheAligned and the metadata layout assume.
const cacheLine = 64

// nilIndex marks an empty free list (low word of a head).
const nilIndex = 1<<32 - 1

// maxCount bounds Class.Count: indexes are 32-bit and nilIndex is reserved.
const maxCount = 1<<31 - 1

// maxSpan bounds one class's block area, Count × stride: the exact-division
// check in Free works on 32-bit offsets.
const maxSpan = 1<<32 - 1

// shards is the number of free lists per class in Concurrent mode (one in
// sequential mode). A power of two.
const shards = 4

// Word offsets in a shard record (one cache line of eight uint64).
const (
	wHead     = iota // tagged head: generation<<32 | index (nilIndex: empty)
	wAllocs          // successful allocations (Stats)
	wFrees           // successful frees (Stats)
	wFailed          // allocations refused with ErrOutOfMemory (always)
	wAllocNs         // total allocation time, clock ticks (Stats)
	wAllocMax        // worst allocation time, clock ticks (Stats)
	wFreeNs          // total free time, clock ticks (Stats)
	wFreeMax         // worst free time, clock ticks (Stats)
	shardWords
)

// Word offsets in a class record (one cache line): in-use count and its peak
// (Stats), kept apart from the shard lines that hot operations touch.
const (
	cInUse = iota
	cPeak
	classWords = 8
)

// Word offsets in the pool record (one cache line): bytes in use and their
// peak (Stats), and the metadata magic checked by Validate.
const (
	pUsed = iota
	pPeak
	pMagic
	poolWords = 8
)

const magic = 0x6d656d6b_706f6f6c // "memkpool"

// UseCase names a typical workload for Preset. Its zero value is Audio.
type UseCase int

// The workloads Preset knows. doc.go explains each table.
const (
	Audio UseCase = iota
	Robotics
	Networking
	Embedded
)

// String returns the use case's lower-case name ("audio", ...).
func (u UseCase) String() string {
	switch u {
	case Audio:
		return "audio"
	case Robotics:
		return "robotics"
	case Networking:
		return "networking"
	case Embedded:
		return "embedded"
	}
	return fmt.Sprintf("UseCase(%d)", int(u))
}

// DefaultConfig returns nine power-of-two classes from 16 bytes to 4 KiB
// (about 400 KiB of blocks), 8-byte aligned, sequential, Stats off:
//
//	size   16   32   64  128  256  512 1024 2048 4096
//	count 512  512  512  256  256  128   64   32   16
func DefaultConfig() Config {
	return Config{Align: 8, Classes: []Class{
		{16, 512}, {32, 512}, {64, 512}, {128, 256}, {256, 256},
		{512, 128}, {1024, 64}, {2048, 32}, {4096, 16},
	}}
}

// Preset returns a concrete configuration for a typical workload; the tables
// and the reasoning behind them are in the package documentation. An
// unknown UseCase yields DefaultConfig.
func Preset(u UseCase) Config {
	switch u {
	case Audio:
		return Config{Align: 16, CacheAligned: true, Concurrent: true, Classes: []Class{
			{64, 256}, {256, 128}, {1024, 64}, {4096, 32}, {16384, 8},
		}}
	case Robotics:
		return Config{Align: 8, CacheAligned: true, Concurrent: true, Classes: []Class{
			{32, 256}, {64, 256}, {128, 128}, {256, 128}, {512, 64}, {2048, 32}, {8192, 8},
		}}
	case Networking:
		return Config{Align: 64, CacheAligned: true, Concurrent: true, Classes: []Class{
			{128, 1024}, {512, 512}, {2048, 1024}, {9216, 64},
		}}
	case Embedded:
		return Config{Align: 8, Classes: []Class{
			{16, 64}, {32, 64}, {64, 32}, {128, 16}, {256, 8},
		}}
	}
	return DefaultConfig()
}

// classLayout is where one class lives, as byte offsets from the aligned
// base of the buffer.
type classLayout struct {
	size   int // block size (Size rounded to Align); cap of returned slices
	count  int
	stride int    // distance between blocks: size, or size rounded to 64
	rec    int    // offset of the class record; shard records follow it
	next   int    // offset of the uint32 next-index array
	used   int    // offset of the usage bitmap (uint64 words)
	words  int    // words in the usage bitmap
	rshift uint   // log2 of the blocks per shard range (32: one range)
	rmask  uint32 // blocks per shard range - 1
	wpad   int    // bitmap words per shard range, a multiple of 8 (one line)
	blocks int    // offset of the first block
}

// layout is the whole buffer plan for a Config.
type layout struct {
	align     int // effective block alignment (Align, or 64 if CacheAligned)
	sizeAlign int // Align: block sizes round to it; the lookup granule
	shift     uint
	nshards   int
	lut       int // offset of the size lookup table (uint8 per granule)
	lutLen    int
	classes   []classLayout
	total     int // bytes from the aligned base to the end of the last block
	slack     int // bytes reserved in front for aligning the base
}

func roundUp(n, a int) int { return (n + a - 1) &^ (a - 1) }

// plan validates cfg and computes its layout. Every check that New or
// RequiredSize needs happens here, with overflow-safe arithmetic.
func plan(cfg Config) (layout, error) {
	var l layout
	a := cfg.Align
	if a == 0 {
		a = 8
	}
	if a < 1 || a > 4096 || a&(a-1) != 0 {
		return l, fmt.Errorf("pool: align %d (want a power of two from 1 to 4096): %w", cfg.Align, memkit.ErrInvalidConfig)
	}
	if len(cfg.Classes) == 0 || len(cfg.Classes) > MaxClasses {
		return l, fmt.Errorf("pool: %d classes (want 1 to %d): %w", len(cfg.Classes), MaxClasses, memkit.ErrInvalidConfig)
	}
	l.sizeAlign = a
	l.shift = uint(bits.TrailingZeros(uint(a)))
	l.align = a
	if cfg.CacheAligned && l.align < cacheLine {
		l.align = cacheLine
	}
	l.nshards = 1
	if cfg.Concurrent {
		l.nshards = shards
	}
	l.classes = make([]classLayout, len(cfg.Classes))
	prev := 0
	for i, c := range cfg.Classes {
		if c.Size < 1 || uint64(c.Size) > maxSpan || c.Size > maxInt-4096 || c.Count < 1 || c.Count > maxCount {
			return l, fmt.Errorf("pool: class %d {Size %d, Count %d} (want Size ≥ 1, 1 ≤ Count ≤ %d): %w", i, c.Size, c.Count, maxCount, memkit.ErrInvalidConfig)
		}
		size := roundUp(c.Size, a)
		if size <= prev {
			return l, fmt.Errorf("pool: class %d size %d (rounded to %d) not above the previous class's %d: %w", i, c.Size, size, prev, memkit.ErrInvalidConfig)
		}
		stride := roundUp(size, l.align)
		if uint64(stride)*uint64(c.Count) > maxSpan {
			return l, fmt.Errorf("pool: class %d: %d blocks of %d bytes exceed 4 GiB: %w", i, c.Count, stride, memkit.ErrInvalidConfig)
		}
		l.classes[i] = classLayout{size: size, count: c.Count, stride: stride}
		prev = size
	}
	l.lutLen = prev>>l.shift + 1
	if l.lutLen > maxLUT+1 {
		return l, fmt.Errorf("pool: largest block %d at align %d needs a %d-entry size table (max %d; raise Align): %w", prev, a, l.lutLen, maxLUT, memkit.ErrInvalidConfig)
	}
	// Metadata first: pool record, class and shard records (cache lines),
	// next arrays and bitmaps (8-byte aligned), the lookup table; then the
	// block areas. Sizes fit in int64 after the checks above (≤ 64 classes
	// of < 4 GiB each); use uint64 to stay exact on 32-bit platforms.
	var off uint64 = poolWords * 8
	for i := range l.classes {
		l.classes[i].rec = int(off)
		off += uint64(classWords*8 + l.nshards*shardWords*8)
	}
	for i := range l.classes {
		c := &l.classes[i]
		// Usage bitmap. Sequential: one bit per block, in index order.
		// Concurrent: the blocks are cut into nshards ranges of R = 2^k
		// blocks (R ≥ count/nshards), shard s starting with range s, and
		// each range's bits get their own cache lines, so goroutines
		// working on different shards do not false-share bitmap words.
		if l.nshards == 1 {
			c.rshift, c.rmask = 32, ^uint32(0)
			c.words = (c.count + 63) / 64
		} else {
			r := 1
			for r*l.nshards < c.count {
				r <<= 1
			}
			c.rshift, c.rmask = uint(bits.TrailingZeros(uint(r))), uint32(r-1)
			c.wpad = roundUp((r+63)/64, 8)
			c.words = l.nshards * c.wpad
		}
		c.next = int(off)
		off += (uint64(c.count)*4 + 7) &^ 7
		c.used = int(off)
		off += uint64(c.words) * 8
	}
	l.lut = int(off)
	off += uint64(l.lutLen)
	for i := range l.classes {
		c := &l.classes[i]
		off = (off + uint64(l.align) - 1) &^ (uint64(l.align) - 1)
		c.blocks = int(off)
		off += uint64(c.stride) * uint64(c.count)
		if off > uint64(maxInt) {
			return l, fmt.Errorf("pool: configuration needs %d bytes, more than this platform's int: %w", off, memkit.ErrInvalidConfig)
		}
	}
	l.slack = max(l.align, cacheLine) - 1
	if off+uint64(l.slack) > uint64(maxInt) {
		return l, fmt.Errorf("pool: configuration needs %d bytes, more than this platform's int: %w", off, memkit.ErrInvalidConfig)
	}
	l.total = int(off)
	return l, nil
}

const maxInt = int(^uint(0) >> 1)

// RequiredSize returns the length of buffer New needs for cfg: blocks,
// metadata (free-list links, usage bitmaps, counters, the size table) and
// up to max(Align, 64)-1 bytes of slack to align the start of any buffer.
func RequiredSize(cfg Config) (int, error) {
	l, err := plan(cfg)
	if err != nil {
		return 0, err
	}
	return l.total + l.slack, nil
}

// metadataSize returns the bytes of metadata in a layout (everything before
// the first block, padding included).
func (l *layout) metadataSize() int { return l.classes[0].blocks }
