// Heap: configuration, formatting (New), attaching (Open), Reset and Stats.

package bufheap

import (
	"errors"
	"fmt"
	"io"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/sizeclass"
	"github.com/memkit/memkit/profile"
)

// Config configures a Heap. The zero Config is valid: Align 16, no profiling.
type Config struct {
	// Align is the alignment of every payload address, 8 or 16 (0 means
	// 16). Open accepts 0 for "whatever the image says".
	Align int
	// Profile, when non-nil, receives one profiling line per operation (see
	// package doc) and makes the heap remember each block's allocation
	// site in Go memory, for WriteProfile and the leak helper.
	Profile io.Writer
}

// Heap is a heap living entirely inside one byte slice. Its state is the
// slice's bytes; the Heap value only caches the immutable geometry and the
// statistics, which New and Open compute.
//
// A Heap is not safe for concurrent use; wrap it in a Locked for that.
// The zero Heap is not usable: call New or Open.
type Heap struct {
	buf   []byte // the whole buffer; the image
	first int    // g.first, the offset of the first chunk header
	shift uint   // log2(Align); a unit is 1<<shift bytes
	minU  uint64 // smallest chunk, in units
	// lastPos is the last unit, counted from first, at which a chunk of
	// minU units still fits before end (hdrWord's bound).
	lastPos uint64
	// linkLim is the number of units in the chunk area: a link's target
	// value minus one must be below it (a value of 0, "none", wraps to
	// above it and takes linkSlow).
	linkLim  uint64
	areaLen  uint // end - first: bytes of the chunk area, sentinel excluded
	unitMask uint // 1<<shift - 1
	cls      sizeclass.Classes
	g        geometry

	// Statistics, recounted by Open and verified by Check.
	allocBytes  uint64 // usable bytes of allocated chunks
	freeBytes   uint64 // usable bytes of free chunks (size - header)
	chunks      int    // chunks, sentinel excluded
	allocChunks int    // allocated chunks
	peak        uint64 // high-water mark of allocBytes, mirrored at ctlPeak

	log   *profile.Writer      // nil: profiling off
	sites map[int]profile.Site // payload offset -> allocation site; only with log
}

// Stats are a heap's figures. Sizes are in bytes.
type Stats struct {
	TotalSize       int // len(buf)
	FreeSize        int // usable bytes in free chunks (each free chunk counted as the block it would become)
	AllocatedSize   int // usable bytes of live blocks (their capacity, not the requested lengths)
	Chunks          int // chunks, free and allocated
	AllocatedChunks int // live blocks
	LargestFree     int // the largest n for which Alloc(n) succeeds now
	PeakAllocated   int // highest AllocatedSize since New or Reset (kept in the image)
}

// New formats buf as an empty heap and returns it. Whatever buf held is
// lost. buf must be at least MinBufferSize bytes and at most MaxBufferSize
// (half that with Align 8). The control block and every chunk header live
// in buf; the first payload starts at the first properly aligned address
// after the control block, so buf itself may start at any address.
//
// With cfg.Profile set, New logs "init;0x0;<len(buf)>".
func New(buf []byte, cfg Config) (*Heap, error) {
	shift, err := alignShift(cfg.Align)
	if err != nil {
		return nil, err
	}
	if len(buf) < MinBufferSize {
		return nil, fmt.Errorf("bufheap: buffer of %d bytes, want at least %d: %w", len(buf), MinBufferSize, memkit.ErrInvalidConfig)
	}
	if uint64(len(buf))>>shift > maxUnits {
		return nil, fmt.Errorf("bufheap: buffer of %d bytes, want at most %d with Align %d: %w",
			len(buf), uint64(maxUnits)<<shift, 1<<shift, memkit.ErrInvalidConfig)
	}
	g, err := layout(len(buf), uint64(addrOf(buf)), shift, subBitsFor(len(buf)))
	if err != nil {
		return nil, err
	}
	h := newHeap(buf, g, cfg)
	copy(buf[ctlMagic:], magic)
	le.PutUint16(buf[ctlVersion:], version)
	buf[ctlAlign] = byte(shift)
	buf[ctlSub] = byte(g.sub)
	le.PutUint32(buf[ctlClasses:], uint32(g.classes))
	le.PutUint64(buf[ctlSize:], uint64(len(buf)))
	le.PutUint64(buf[ctlFirst:], uint64(g.first))
	le.PutUint64(buf[ctlEnd:], uint64(g.end))
	le.PutUint64(buf[ctlSeal:], sealCtl(buf))
	h.format()
	if h.log != nil {
		h.log.Init(0, uint64(len(buf)))
	}
	return h, nil
}

func newHeap(buf []byte, g geometry, cfg Config) *Heap {
	h := &Heap{buf: buf, shift: g.shift, g: g, cls: sizeclass.MustNew(g.sub)}
	h.minU = minChunkBytes >> g.shift
	h.first = g.first
	h.lastPos = uint64(g.end-g.first)>>g.shift - h.minU
	h.linkLim = uint64(g.end-g.first) >> g.shift
	h.areaLen = uint(g.end - g.first)
	h.unitMask = 1<<g.shift - 1
	if cfg.Profile != nil {
		h.log = profile.NewWriter(cfg.Profile)
		h.sites = make(map[int]profile.Site)
	}
	return h
}

// format writes an empty heap: cleared lists, one free chunk, the sentinel.
func (h *Heap) format() {
	clear(h.buf[ctlPeak:h.g.first])
	for k := h.g.kmin; k < h.g.classes; k++ {
		h.setLink(h.slot(k), 0)
	}
	units := uint64(h.g.end-h.g.first) >> h.shift
	h.putHdr(h.g.end, flagAlloc|flagPrevFree)
	h.makeFree(h.g.first, units)
	h.insertFree(h.g.first, h.cls.Down(units), 0)
	h.allocBytes, h.allocChunks, h.peak = 0, 0, 0
	h.chunks = 1
	h.freeBytes = units<<h.shift - hdrSize
	clear(h.sites)
}

// Open attaches to a heap that New formatted earlier in the same bytes (a
// mapped file, a saved image) and validates all of it: the control block,
// every chunk header, every free list and the bitmap, in O(chunks). Any
// inconsistency, including a buffer shorter or longer than the image, is an
// error wrapping memkit.ErrCorrupt. The buffer must start at an address
// with the same remainder modulo Align as when it was formatted (a mapped
// file always does); otherwise payloads would be misaligned and Open
// returns an error wrapping memkit.ErrInvalidConfig.
//
// With cfg.Profile set, Open logs "init" and then one "alloc" (or
// "persist") line per live block, attributed to the caller of Open, so that
// a log started here is complete.
func Open(buf []byte, cfg Config) (*Heap, error) {
	var at profile.Site
	if cfg.Profile != nil {
		at = profile.Caller(1)
	}
	return open(buf, cfg, at)
}

func open(buf []byte, cfg Config, at profile.Site) (*Heap, error) {
	if _, err := alignShift(cfg.Align); err != nil {
		return nil, err
	}
	if len(buf) < ctlWords {
		return nil, fmt.Errorf("bufheap: open: %d bytes cannot hold a control block: %w", len(buf), memkit.ErrCorrupt)
	}
	if string(buf[ctlMagic:ctlMagic+8]) != magic {
		return nil, fmt.Errorf("bufheap: open: no heap image (magic %q): %w", buf[:8], memkit.ErrCorrupt)
	}
	if v := le.Uint16(buf[ctlVersion:]); v != version {
		return nil, fmt.Errorf("bufheap: open: image version %d, want %d: %w", v, version, memkit.ErrCorrupt)
	}
	if got, want := le.Uint64(buf[ctlSeal:]), sealCtl(buf); got != want {
		return nil, fmt.Errorf("bufheap: open: control block seal %#x, want %#x: %w", got, want, memkit.ErrCorrupt)
	}
	if size := le.Uint64(buf[ctlSize:]); size != uint64(len(buf)) {
		return nil, fmt.Errorf("bufheap: open: image of %d bytes in a buffer of %d: %w", size, len(buf), memkit.ErrCorrupt)
	}
	shift, sub := uint(buf[ctlAlign]), int(buf[ctlSub])
	if shift != 3 && shift != 4 || sub < 1 || sub > 4 {
		return nil, fmt.Errorf("bufheap: open: align log %d, sub bits %d: %w", shift, sub, memkit.ErrCorrupt)
	}
	if cfg.Align != 0 && cfg.Align != 1<<shift {
		return nil, fmt.Errorf("bufheap: open: image has Align %d, config %d: %w", 1<<shift, cfg.Align, memkit.ErrInvalidConfig)
	}
	if len(buf) < MinBufferSize || uint64(len(buf))>>shift > maxUnits {
		return nil, fmt.Errorf("bufheap: open: image size %d out of range: %w", len(buf), memkit.ErrCorrupt)
	}
	first := le.Uint64(buf[ctlFirst:])
	// The image fixes where the first payload is; the address must agree.
	addrMod := (-(first + hdrSize)) & (1<<shift - 1)
	g, err := layout(len(buf), addrMod, shift, sub)
	if err != nil || uint64(g.first) != first || uint64(g.end) != le.Uint64(buf[ctlEnd:]) ||
		uint64(g.classes) != uint64(le.Uint32(buf[ctlClasses:])) {
		return nil, fmt.Errorf("bufheap: open: geometry (first %#x, end %#x, %d classes) does not match a %d-byte image: %w",
			first, le.Uint64(buf[ctlEnd:]), le.Uint32(buf[ctlClasses:]), len(buf), memkit.ErrCorrupt)
	}
	if m := (uint64(addrOf(buf)) + first + hdrSize) & (1<<shift - 1); m != 0 {
		return nil, fmt.Errorf("bufheap: open: buffer at address %#x: payloads would be %d bytes off Align %d; the image wants an address ≡ %d (mod %d): %w",
			addrOf(buf), m, 1<<shift, addrMod, 1<<shift, memkit.ErrInvalidConfig)
	}
	h := newHeap(buf, g, cfg)
	if err := h.verify(true); err != nil {
		return nil, fmt.Errorf("bufheap: open: %w", err)
	}
	if h.peak = le.Uint64(buf[ctlPeak:]); h.peak < h.allocBytes {
		return nil, fmt.Errorf("bufheap: open: peak %d below the %d bytes allocated: %w", h.peak, h.allocBytes, memkit.ErrCorrupt)
	}
	if h.log != nil {
		h.log.Init(0, uint64(len(buf)))
		h.walk(func(c Chunk) bool {
			if c.Allocated {
				h.sites[c.Offset] = at
				if c.Persistent {
					h.log.Persist(uint64(c.Size), uint64(c.Offset), at)
				} else {
					h.log.Alloc(uint64(c.Size), uint64(c.Offset), at)
				}
			}
			return true
		})
	}
	return h, nil
}

// Reset frees every block at once: the heap is as New left it (statistics
// and the peak included). With profiling on it logs "init" again.
func (h *Heap) Reset() {
	h.format()
	if h.log != nil {
		h.log.Init(0, uint64(len(h.buf)))
	}
}

// Stats returns the heap's figures. It is O(1) except LargestFree, which
// scans the highest non-empty free list (bounded by the chunk count).
func (h *Heap) Stats() Stats {
	return Stats{
		TotalSize:       len(h.buf),
		FreeSize:        int(h.freeBytes),
		AllocatedSize:   int(h.allocBytes),
		Chunks:          h.chunks,
		AllocatedChunks: h.allocChunks,
		LargestFree:     h.largestFree(),
		PeakAllocated:   int(h.peak),
	}
}

// Align returns the payload alignment in bytes.
func (h *Heap) Align() int { return 1 << h.shift }

// Bytes returns the buffer the heap lives in (its image).
func (h *Heap) Bytes() []byte { return h.buf }

// ProfileErr returns the first error the Config.Profile writer returned,
// or nil; after one, no more lines are written.
func (h *Heap) ProfileErr() error {
	if h.log == nil {
		return nil
	}
	return h.log.Err()
}

var errProfileOff = errors.New("bufheap: WriteProfile needs Config.Profile (allocation sites are only kept when profiling is on)")
