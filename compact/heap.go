// The heap: configuration, construction, and the alloc, free, realloc and pin paths.

package compact

import (
	"fmt"
	"math"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/sizeclass"
)

// Policy says when the heap moves blocks on its own.
type Policy int

const (
	// Lazy (the zero value) moves blocks only when an allocation or a
	// realloc would otherwise fail: the whole heap is then compacted in one
	// sliding pass. Free is O(1).
	Lazy Policy = iota
	// Eager compacts after every operation that opens a gap (Free, a
	// shrinking Realloc, a block moved away, an Unpin), so the free space
	// is always one tail (plus gaps held open by pinned blocks): dalloc's
	// behaviour. A Free costs a memmove of the bytes behind the freed block
	// (up to the next pinned block, where the sliding stops).
	Eager
	// Manual never moves a block except inside Defragment (and a Realloc
	// may relocate the block it resizes). Free is O(1).
	Manual
)

func (p Policy) String() string {
	switch p {
	case Lazy:
		return "lazy"
	case Eager:
		return "eager"
	case Manual:
		return "manual"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Config configures New. The zero value is a Lazy heap with 16-byte
// alignment, a growing handle table and zeroed free memory.
type Config struct {
	// Align is the alignment of every block's address and the unit sizes
	// are rounded up to: a power of two, at most 1 MiB; 0 means 16.
	Align int
	// MaxAllocations bounds the number of live blocks. 0: unlimited, the
	// handle table grows as needed (Alloc may then allocate Go memory when
	// the table grows). > 0: the table is allocated once in New and Alloc
	// fails with ErrNoMetadata when it is full; Alloc, Free, Realloc, Pin,
	// Unpin and Bytes then never allocate Go memory.
	MaxAllocations int
	// Policy says when blocks move (default Lazy).
	Policy Policy
	// KeepFreed leaves freed and vacated bytes as they were. When false
	// (default) they are zeroed, so a new block always reads as zeros and
	// no old contents linger in free space.
	KeepFreed bool
}

// Heap is a relocating allocator over one caller-given buffer. Blocks are
// named by Handles (or by tracked slices) that stay valid when the heap
// moves the blocks to close gaps. See the package documentation for its
// design.
//
// A Heap is not safe for concurrent use; Shared is. The zero value is not
// usable; build one with New.
type Heap struct {
	// Hot fields first. All are guarded by the caller (or by Shared's lock).
	tab      []entry // handle table; slot 0 is the sentinel at both ends of the address list
	mem      []byte  // the managed space: buf minus its misaligned head, len total
	total    int     // bytes in mem, a multiple of align
	shift    uint    // log2(align)
	heads    []int32 // gap index: first block of each gap class, -1 when empty
	gapBits  sizeclass.Bitmap
	freeSlot int32 // top of the free-slot stack, 0 when empty
	clean    int32 // the space up to this block's end is compact (see doc.go)
	policy   Policy
	keep     bool // KeepFreed
	fixed    bool // MaxAllocations > 0: the table never grows
	tag      uint32

	used, requested, allocs, pinned int // live bytes reserved, requested; live blocks; pinned blocks
	holes                           int // gaps filed in the index
	peakUsed, peakAllocs            int
	moves, bytesMoved               int64

	owners map[*[]byte]Handle // tracked slices; created on first use
}

// Errors of the hot failure paths: static, so failing allocates nothing.
var (
	errFull   = fmt.Errorf("compact: alloc: no gap large enough after compaction: %w", memkit.ErrOutOfMemory)
	errNoRoom = fmt.Errorf("compact: realloc: no room to grow the block: %w", memkit.ErrOutOfMemory)
	errTable  = fmt.Errorf("compact: alloc: handle table full: %w", memkit.ErrNoMetadata)
	// errZeroHeap is returned by a Heap that was not made by New.
	errZeroHeap = fmt.Errorf("compact: heap not made by New: %w", memkit.ErrInvalidConfig)
)

// New returns a heap managing buf. Leading bytes of buf up to the first
// address aligned to cfg.Align, and trailing bytes past the last whole
// alignment unit, are not used. Unless cfg.KeepFreed, buf is zeroed. The
// heap keeps buf; the caller must not use it directly afterwards.
func New(buf []byte, cfg Config) (*Heap, error) {
	align := cfg.Align
	if align == 0 {
		align = 16
	}
	if align < 0 || align > 1<<20 || align&(align-1) != 0 {
		return nil, fmt.Errorf("compact: align %d is not a power of two in [1, 1 MiB]: %w", cfg.Align, memkit.ErrInvalidConfig)
	}
	if cfg.MaxAllocations < 0 || cfg.MaxAllocations >= math.MaxInt32 {
		return nil, fmt.Errorf("compact: MaxAllocations %d outside [0, %d): %w", cfg.MaxAllocations, math.MaxInt32, memkit.ErrInvalidConfig)
	}
	if cfg.Policy < Lazy || cfg.Policy > Manual {
		return nil, fmt.Errorf("compact: unknown policy %d: %w", int(cfg.Policy), memkit.ErrInvalidConfig)
	}
	skip := 0
	if m := misalign(buf, align); m != 0 {
		skip = align - m
	}
	total := 0
	if len(buf) > skip {
		total = (len(buf) - skip) &^ (align - 1)
	}
	if total == 0 {
		return nil, fmt.Errorf("compact: buffer of %d bytes holds no aligned %d-byte unit: %w", len(buf), align, memkit.ErrInvalidConfig)
	}
	h := &Heap{
		mem:    buf[skip : skip+total : skip+total],
		total:  total,
		policy: cfg.Policy,
		keep:   cfg.KeepFreed,
		fixed:  cfg.MaxAllocations > 0,
		tag:    (heapTags.Add(1) & 0xff) << genBits,
		heads:  make([]int32, classes.Count()),
	}
	for align>>h.shift > 1 {
		h.shift++
	}
	if h.fixed {
		h.tab = make([]entry, cfg.MaxAllocations+1)
	} else {
		h.tab = make([]entry, 1, 64)
	}
	h.init()
	if !h.keep {
		clear(h.mem)
	}
	return h, nil
}

// init empties the table, the address list and the gap index.
func (h *Heap) init() {
	for i := range h.heads {
		h.heads[i] = -1
	}
	h.gapBits.Reset()
	h.holes = 0
	h.freeSlot = 0
	for i := len(h.tab) - 1; i >= 1; i-- {
		e := &h.tab[i]
		if e.gen == 0 {
			e.gen = h.tag
		}
		*e = entry{gen: e.gen, gapClass: -1, gapPrev: -1, gapNext: -1, next: h.freeSlot}
		h.freeSlot = int32(i)
	}
	h.tab[0] = entry{live: true, gapClass: -1, gapPrev: -1, gapNext: -1}
	h.clean = 0
	h.used, h.requested, h.allocs, h.pinned = 0, 0, 0, 0
	h.setGap(0)
}

// roundUp rounds n up to the alignment; n is in [1, total].
func (h *Heap) roundUp(n int) int { return (n + 1<<h.shift - 1) &^ (1<<h.shift - 1) }

func (h *Heap) checkSize(op string, n int) error {
	if n <= 0 || n > h.total {
		return fmt.Errorf("compact: %s %d bytes in a space of %d: %w", op, n, h.total, memkit.ErrInvalidSize)
	}
	return nil
}

// Alloc allocates n bytes and returns the block's handle. The block reads
// as zeros unless KeepFreed.
//
// Under Lazy and Eager, Alloc succeeds whenever the free space, counted in
// alignment units, holds n bytes, unless pinned blocks cut it into pieces
// none of which holds n after compaction. It fails with ErrOutOfMemory
// (without moving anything) otherwise, and with ErrNoMetadata when a fixed
// handle table is full.
func (h *Heap) Alloc(n int) (Handle, error) {
	if err := h.checkSize("alloc", n); err != nil {
		return 0, err
	}
	if !h.canSlot() {
		return 0, errTable
	}
	need := h.roundUp(n)
	g := h.findGap(need)
	if g < 0 {
		if g = h.findGapExact(need); g < 0 {
			g = h.makeRoom(need)
		}
		if g < 0 {
			return 0, errFull
		}
	}
	s, _ := h.newSlot()
	h.place(s, g, need, n)
	h.allocs++
	h.peakAllocs = max(h.peakAllocs, h.allocs)
	return makeHandle(s, h.tab[s].gen), nil
}

// place puts block s (cap bytes, size requested) at the start of the gap
// after block g, and links it there.
func (h *Heap) place(s, g int32, cap, size int) {
	ge := &h.tab[g]
	e := &h.tab[s]
	e.off = ge.off + ge.cap
	e.cap, e.size = cap, size
	e.prev, e.next = g, ge.next
	e.live = true
	h.tab[ge.next].prev = s
	ge.next = s
	h.setGap(g)
	h.setGap(s)
	h.used += cap
	h.requested += size
	h.peakUsed = max(h.peakUsed, h.used)
}

// makeRoom compacts the heap when the policy allows it and compaction will
// produce a gap of need bytes; it returns the block owning such a gap, or
// -1 having moved nothing.
func (h *Heap) makeRoom(need int) int32 {
	if h.policy == Manual || h.total-h.used < need {
		return -1
	}
	if h.pinned > 0 && h.planLargest() < need {
		return -1
	}
	h.slide(0, 0, false)
	return h.findGapExact(need)
}

// Bytes returns the block's bytes (exactly the requested length, with no
// spare capacity). The slice is valid until the next call that may move
// blocks (under Lazy and Eager: Alloc and Realloc; under Eager also Free,
// Unpin; under any policy: Realloc of this block, Defragment, Reset), or
// for as long as the block stays pinned. Tracked slices are rewritten
// instead.
func (h *Heap) Bytes(hd Handle) ([]byte, error) {
	s, err := h.lookup("bytes of", hd)
	if err != nil {
		return nil, err
	}
	e := &h.tab[s]
	return h.mem[e.off : e.off+e.size : e.off+e.size], nil
}

// Size returns the block's requested length.
func (h *Heap) Size(hd Handle) (int, error) {
	s, err := h.lookup("size of", hd)
	if err != nil {
		return 0, err
	}
	return h.tab[s].size, nil
}

// Free frees the block. A stale, foreign or zero handle fails with
// ErrInvalidFree, a second free of the same handle with ErrDoubleFree, and a
// pinned block with ErrPinned; nothing changes then. If a tracked slice
// refers to the block, it is set to nil and no longer tracked.
func (h *Heap) Free(hd Handle) error {
	s, err := h.lookup("free", hd)
	if err != nil {
		return err
	}
	e := &h.tab[s]
	if e.pins > 0 {
		return fmt.Errorf("compact: free handle %v at %#x: pinned %d times: %w", hd, e.off, e.pins, memkit.ErrPinned)
	}
	if !h.keep {
		clear(h.mem[e.off : e.off+e.size])
	}
	if e.owner != nil {
		*e.owner = nil
		delete(h.owners, e.owner)
	}
	p := h.unlink(s)
	h.allocs--
	h.releaseSlot(s)
	if h.policy == Eager {
		h.slideEager(p)
	}
	return nil
}

// unlink takes live block s out of the address list and the counters (its
// slot stays live) and returns its predecessor, whose gap now covers s.
func (h *Heap) unlink(s int32) int32 {
	e := &h.tab[s]
	p := e.prev
	if s == h.clean || e.off < h.tab[h.clean].off {
		h.clean = p
	}
	h.unfile(s)
	h.tab[p].next = e.next
	h.tab[e.next].prev = p
	h.setGap(p)
	h.used -= e.cap
	h.requested -= e.size
	return p
}

// Realloc resizes the block to n bytes, keeping its handle and its first
// min(n, old size) bytes; new bytes read as zeros unless KeepFreed.
//
// A shrink, or a growth into the gap after the block, happens in place.
// Otherwise the block moves to a gap that holds it, or (Lazy and Eager)
// the blocks around it slide apart: those below down, those above up, each
// moved at most once, until the gap after it holds n bytes. That is
// possible whenever the free space between the nearest pinned blocks below
// and above it (or the ends of the space) holds the growth. A pinned block
// only changes in place. On failure nothing changes.
func (h *Heap) Realloc(hd Handle, n int) error {
	s, err := h.lookup("realloc", hd)
	if err != nil {
		return err
	}
	if err := h.checkSize("realloc to", n); err != nil {
		return err
	}
	e := &h.tab[s]
	newCap := h.roundUp(n)
	switch {
	case newCap <= e.cap:
		h.resizeInPlace(s, newCap, n)
		return nil
	case newCap-e.cap <= h.gapAfter(s):
		h.resizeInPlace(s, newCap, n)
		return nil
	case e.pins > 0:
		return fmt.Errorf("compact: realloc handle %v to %d bytes: pinned and no room after it: %w", hd, n, memkit.ErrPinned)
	}
	if g := h.findGapExact(newCap); g >= 0 {
		h.relocate(s, g, newCap, n)
		return nil
	}
	if h.policy != Manual && h.squeeze(s, newCap, n) {
		return nil
	}
	return errNoRoom
}

// resizeInPlace changes block s's reservation to newCap bytes and its size
// to n, where it is.
func (h *Heap) resizeInPlace(s int32, newCap, n int) {
	e := &h.tab[s]
	if !h.keep && n < e.size {
		clear(h.mem[e.off+n : e.off+e.size])
	}
	shrunk := newCap < e.cap
	h.used += newCap - e.cap
	h.requested += n - e.size
	e.cap, e.size = newCap, n
	h.peakUsed = max(h.peakUsed, h.used)
	h.setGap(s)
	h.updateOwner(s)
	if shrunk {
		if e.off < h.tab[h.clean].off {
			h.clean = s
		}
		if h.policy == Eager {
			h.slideEager(s)
		}
	}
}

// relocate moves block s to the start of the gap after block g, with a new
// reservation of newCap bytes and size n.
func (h *Heap) relocate(s, g int32, newCap, n int) {
	e := &h.tab[s]
	old, oldCap, oldSize := e.off, e.cap, e.size
	p := h.unlink(s)
	h.place(s, g, newCap, n)
	copy(h.mem[e.off:e.off+oldSize], h.mem[old:old+oldSize])
	if !h.keep {
		h.vacate(old, oldCap, e.off, newCap)
	}
	h.moves++
	h.bytesMoved += int64(oldSize)
	h.updateOwner(s)
	if h.policy == Eager {
		h.slideEager(p)
	}
}

// vacate zeroes the bytes of [o, o+c) that are not in [t, t+tc): what a
// block left behind when it moved from o to t.
func (h *Heap) vacate(o, c, t, tc int) {
	lo, hi := o, o+c
	if t <= lo && t+tc > lo {
		lo = t + tc
	}
	if t < hi && t+tc >= hi {
		hi = t
	}
	if lo < hi {
		clear(h.mem[lo:hi])
	}
}

// updateOwner points block s's tracked slice, if any, at its bytes.
func (h *Heap) updateOwner(s int32) {
	e := &h.tab[s]
	if e.owner != nil {
		*e.owner = h.mem[e.off : e.off+e.size : e.off+e.size]
	}
}

// Pin holds the block in place until a matching Unpin; pins nest. Its
// Bytes slice stays valid all that time. A pinned block cannot be freed.
func (h *Heap) Pin(hd Handle) error {
	s, err := h.lookup("pin", hd)
	if err != nil {
		return err
	}
	e := &h.tab[s]
	if e.pins == math.MaxInt32 {
		return fmt.Errorf("compact: pin handle %v: pinned %d times already: %w", hd, e.pins, memkit.ErrInvalidConfig)
	}
	e.pins++
	if e.pins == 1 {
		h.pinned++
	}
	return nil
}

// Unpin undoes one Pin. Unpinning a block that is not pinned fails with
// ErrInvalidFree. When the last pin goes, the block may move again (and
// under Eager the gap it held open is closed at once).
func (h *Heap) Unpin(hd Handle) error {
	s, err := h.lookup("unpin", hd)
	if err != nil {
		return err
	}
	e := &h.tab[s]
	if e.pins == 0 {
		return fmt.Errorf("compact: unpin handle %v: not pinned: %w", hd, memkit.ErrInvalidFree)
	}
	e.pins--
	if e.pins > 0 {
		return nil
	}
	h.pinned--
	if s == h.clean || e.off < h.tab[h.clean].off {
		h.clean = e.prev // the gap before s no longer counts as compact
	}
	if h.policy == Eager {
		h.slideEager(e.prev)
	}
	return nil
}

// Reset frees every block at once, pinned ones included: every handle
// becomes stale and every tracked slice is set to nil. Peaks and move
// counters are kept.
func (h *Heap) Reset() {
	if len(h.tab) == 0 {
		return
	}
	for s := h.tab[0].next; s != 0; {
		e := &h.tab[s]
		next := e.next
		if !h.keep {
			clear(h.mem[e.off : e.off+e.size])
		}
		if e.owner != nil {
			*e.owner = nil
		}
		e.live = false
		e.gen = nextGen(e.gen)
		s = next
	}
	clear(h.owners)
	h.init()
}
