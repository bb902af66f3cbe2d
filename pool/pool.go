// The Pool: construction over a caller's buffer, and the Alloc and Free paths.

package pool

import (
	"fmt"
	"math/bits"
	"sync/atomic"

	"github.com/memkit/memkit"
)

// shardRec is one free list's cache line in the metadata: its tagged head
// and the per-operation counters of the goroutines that use it.
type shardRec [shardWords]uint64

// class is the Go-side, immutable description of one class; every mutable
// word it points at lives in the caller's buffer.
type class struct {
	start  uintptr             // offset of block 0 in Pool.mem
	span   uintptr             // count × stride
	size   int                 // block size, the cap of returned slices
	stride int                 // distance between blocks
	count  int                 // blocks
	shift  uint                // log2(stride) when pow2
	pow2   bool                // stride is a power of two
	m      uint64              // ⌊(2^64-1)/stride⌋+1, for exact division when !pow2
	index  int                 // class number
	next   []uint32            // next[i]: the block after i on its free list (in buf)
	used   []uint64            // usage bitmap, bit of block i (see bit) set: allocated (in buf)
	rshift uint                // log2 of blocks per shard range (32 when sequential)
	rmask  uint32              // blocks per shard range - 1
	wpad   uint32              // bitmap words per shard range (0 when sequential)
	ranges int                 // shard ranges: nshards
	shards []shardRec          // free lists and counters (in buf)
	rec    *[classWords]uint64 // class words: in-use count and peak (in buf)
	oom    error               // the ErrOutOfMemory error of this class, made by New
}

// Pool hands out fixed-size blocks from the classes of its Config, all
// carved out of one caller buffer that also holds every piece of mutable
// metadata. Alloc and Free take constant time. A Pool made with
// Config.Concurrent is safe for concurrent use and lock-free; otherwise it
// must be used by one goroutine at a time (Stats, Validate and WriteTo
// included). There is no useful zero value: use New.
type Pool struct {
	// Hot, immutable after New.
	lut       []uint8 // size table: lut[(n+align-1)>>shift] = class of n (in buf)
	cls       []class
	mem       []byte // the aligned part of the buffer: metadata then blocks
	maxSize   int    // largest block size
	alignMask int    // sizeAlign-1
	shift     uint   // log2(sizeAlign)
	shardMask uint   // nshards-1
	stats     bool
	conc      bool
	plain     bool // !stats && !conc: Alloc and Free take their inline paths
	hooks     atomic.Pointer[Hooks]
	rec       *[poolWords]uint64 // pool words: bytes in use and peak (in buf)

	// Cold.
	starts [MaxClasses]uintptr // block-area offsets, ascending, padded with ^0
	buf    []byte              // the caller's buffer, kept referenced
	lay    layout
	cfg    Config
}

// New makes a Pool in buf, which must be at least RequiredSize(cfg) bytes
// long and must not hold Go pointers or be used for anything else while the
// Pool lives. New writes the metadata into buf; after New returns, no
// operation of the Pool allocates Go memory (Stats and WriteTo excepted).
func New(buf []byte, cfg Config) (*Pool, error) {
	l, err := plan(cfg)
	if err != nil {
		return nil, err
	}
	base := alignBase(buf, max(l.align, cacheLine))
	if len(buf) < base || len(buf)-base < l.total {
		return nil, fmt.Errorf("pool: buffer of %d bytes, configuration needs %d (RequiredSize %d): %w",
			len(buf), l.total+base, l.total+l.slack, memkit.ErrInvalidConfig)
	}
	mem := buf[base : base+l.total : base+l.total]
	clear(mem[:l.metadataSize()])
	p := &Pool{
		mem:       mem,
		buf:       buf,
		lay:       l,
		maxSize:   l.classes[len(l.classes)-1].size,
		alignMask: l.sizeAlign - 1,
		shift:     l.shift,
		shardMask: uint(l.nshards - 1),
		stats:     cfg.Stats,
		conc:      cfg.Concurrent,
		plain:     !cfg.Stats && !cfg.Concurrent,
		rec:       (*[poolWords]uint64)(words(mem, 0, poolWords)),
		cls:       make([]class, len(l.classes)),
	}
	p.cfg = cfg
	p.cfg.Classes = append([]Class(nil), cfg.Classes...)
	p.rec[pMagic] = magic
	for i := range p.starts {
		p.starts[i] = ^uintptr(0)
	}
	for i, cl := range l.classes {
		c := &p.cls[i]
		*c = class{
			start:  uintptr(cl.blocks),
			span:   uintptr(cl.stride) * uintptr(cl.count),
			size:   cl.size,
			stride: cl.stride,
			count:  cl.count,
			pow2:   cl.stride&(cl.stride-1) == 0,
			shift:  uint(bits.TrailingZeros(uint(cl.stride))),
			index:  i,
			rec:    (*[classWords]uint64)(words(mem, cl.rec, classWords)),
			shards: shardRecs(mem, cl.rec+classWords*8, l.nshards),
			next:   u32s(mem, cl.next, cl.count),
			used:   words(mem, cl.used, cl.words),
			rshift: cl.rshift,
			rmask:  cl.rmask,
			wpad:   uint32(cl.wpad),
			ranges: l.nshards,
		}
		if !c.pow2 {
			c.m = ^uint64(0)/uint64(cl.stride) + 1
		}
		c.oom = fmt.Errorf("pool: class %d (%d blocks of %d bytes) exhausted: %w", i, cl.count, cl.size, memkit.ErrOutOfMemory)
		p.starts[i] = c.start
		// Shard s starts with its index range [lo, hi), chained in
		// ascending order (block 0 first).
		for s := 0; s < l.nshards; s++ {
			lo, hi := cl.count, cl.count
			if l.nshards > 1 {
				lo, hi = min(s<<cl.rshift, cl.count), min((s+1)<<cl.rshift, cl.count)
			} else {
				lo = 0
			}
			if lo == hi {
				c.shards[s][wHead] = nilIndex
				continue
			}
			c.shards[s][wHead] = uint64(lo)
			for j := lo; j < hi-1; j++ {
				c.next[j] = uint32(j + 1)
			}
			c.next[hi-1] = nilIndex
		}
	}
	p.lut = mem[l.lut : l.lut+l.lutLen]
	ci := 0
	for k := range p.lut {
		for k<<l.shift > p.cls[ci].size {
			ci++
		}
		p.lut[k] = uint8(ci)
	}
	return p, nil
}

// Config returns the configuration the Pool was made with.
func (p *Pool) Config() Config {
	c := p.cfg
	c.Classes = append([]Class(nil), p.cfg.Classes...)
	return c
}

// sizeError is the error for a request no class can hold.
func (p *Pool) sizeError(n int) error {
	return fmt.Errorf("pool: alloc %d bytes (classes hold 1 to %d): %w", n, p.maxSize, memkit.ErrInvalidSize)
}

// classOf returns the class for a request of n bytes, 1 ≤ n ≤ maxSize.
func (p *Pool) classOf(n int) *class {
	return &p.cls[p.lut[(n+p.alignMask)>>p.shift]]
}

// Alloc returns a block of the smallest class whose size is at least n,
// sliced to length n; its capacity is the block size. The contents are
// whatever the block held before (see Calloc). n must be from 1 to the
// largest class size: other sizes return ErrInvalidSize. When the fitting
// class has no free block, Alloc returns ErrOutOfMemory and counts a
// failure: it does not fall back to a larger class.
func (p *Pool) Alloc(n int) ([]byte, error) {
	if uint(n-1) >= uint(p.maxSize) {
		return nil, p.sizeError(n)
	}
	c := p.classOf(n)
	var off int
	if p.plain {
		i, ok := c.popSeq()
		if !ok {
			return nil, c.oom
		}
		off = int(c.start) + int(i)*c.stride
	} else if !p.conc {
		// Sequential with Stats: the same pop between two clock reads.
		t0 := now()
		i, ok := c.popSeq()
		if !ok {
			return nil, c.oom
		}
		p.countAllocSeq(c, &c.shards[0], now()-t0)
		off = int(c.start) + int(i)*c.stride
	} else {
		var err error
		if off, err = p.alloc(c, p.start()); err != nil {
			return nil, err
		}
	}
	if h := p.hooks.Load(); h != nil && h.OnAlloc != nil {
		h.OnAlloc(Event{Class: c.index, Size: n, Addr: addrIn(p.mem, off)})
	}
	return p.mem[off : off+n : off+c.size], nil
}

// Calloc is like Alloc except that the whole block (its capacity, not only
// its length) is zeroed before it is returned, and before OnAlloc runs.
func (p *Pool) Calloc(n int) ([]byte, error) {
	if uint(n-1) >= uint(p.maxSize) {
		return nil, p.sizeError(n)
	}
	c := p.classOf(n)
	off, err := p.alloc(c, p.start())
	if err != nil {
		return nil, err
	}
	b := p.mem[off : off+n : off+c.size]
	clear(b[:c.size])
	if h := p.hooks.Load(); h != nil && h.OnAlloc != nil {
		h.OnAlloc(Event{Class: c.index, Size: n, Addr: addrIn(p.mem, off)})
	}
	return b, nil
}

// start returns the operation clock's reading with Stats on, 0 without:
// the t0 that alloc and free take.
func (p *Pool) start() int64 {
	if p.stats {
		return now()
	}
	return 0
}

// alloc takes a block of c off a free list, marks it used and returns its
// offset in mem. It is the whole allocation path except the hook; t0 is
// the operation's start on the clock (Stats).
func (p *Pool) alloc(c *class, t0 int64) (int, error) {
	var i uint32
	var s *shardRec
	if !p.conc {
		s = &c.shards[0]
		i = uint32(s[wHead])
		if i == nilIndex {
			s[wFailed]++
			return 0, c.oom
		}
		s[wHead] = uint64(c.next[i])
		c.used[i>>6] |= 1 << (i & 63)
	} else {
		// The P's shard first, then the others: at most nshards probes, each
		// a lock-free pop.
		home := stackHint()
		ok := false
		for k := uint(0); k <= p.shardMask; k++ {
			s = &c.shards[(home+k)&p.shardMask]
			if i, ok = pop(s, c.next); ok {
				break
			}
		}
		if !ok {
			atomic.AddUint64(&c.shards[home&p.shardMask][wFailed], 1)
			return 0, c.oom
		}
		w, m := c.bit(i)
		atomic.OrUint64(&c.used[w], m)
	}
	if p.stats {
		p.countAlloc(c, s, now()-t0)
	}
	return int(c.start) + int(i)*c.stride, nil
}

// bit returns the usage-bitmap word and mask of block i: in sequential
// mode word i/64, bit i%64; in Concurrent mode the same within the cache
// lines of i's shard range.
func (c *class) bit(i uint32) (uint32, uint64) {
	local := i & c.rmask
	return (i>>c.rshift)*c.wpad + local>>6, 1 << (local & 63)
}

// pop removes the head of a lock-free free list. The head word carries a
// generation in its high half, bumped by every successful CAS, so a head
// that was popped and pushed back between our load and our CAS (ABA) makes
// the CAS fail instead of installing a stale next link. next lives in the
// metadata, never in a block, so reading next[i] of a block that another
// goroutine has just allocated reads a valid (if stale) index, and the CAS
// rejects it.
func pop(s *shardRec, next []uint32) (uint32, bool) {
	for {
		h := atomic.LoadUint64(&s[wHead])
		i := uint32(h)
		if i == nilIndex {
			return 0, false
		}
		nx := atomic.LoadUint32(&next[i])
		if atomic.CompareAndSwapUint64(&s[wHead], h, (h>>32+1)<<32|uint64(nx)) {
			return i, true
		}
	}
}

// push puts block i on a lock-free free list (see pop).
func push(s *shardRec, next []uint32, i uint32) {
	for {
		h := atomic.LoadUint64(&s[wHead])
		atomic.StoreUint32(&next[i], uint32(h))
		if atomic.CompareAndSwapUint64(&s[wHead], h, (h>>32+1)<<32|uint64(i)) {
			return
		}
	}
}

// Free returns block b to its class. b must be a slice returned by Alloc or
// Calloc, or a re-slice of one that starts at the same element (its length
// and capacity do not matter). Free checks in constant time that b starts a
// block of this Pool and that the block is in use: otherwise it returns an
// error wrapping ErrInvalidFree (foreign, interior or misaligned slice) or
// ErrDoubleFree (a block already free) and changes nothing.
func (p *Pool) Free(b []byte) error {
	hint := 0
	if h := cap(b); uint(h-1) < uint(p.maxSize) {
		hint = int(p.lut[(h+p.alignMask)>>p.shift])
	}
	off := offsetOf(p.mem, b)
	var t0 int64
	if p.plain {
		// The sequential, Stats-off path: freeSeq written out, because
		// the compiler does not inline it and this path has no call.
		c := &p.cls[hint]
		if rel := off - c.start; rel < c.span && c.pow2 && rel&(uintptr(c.stride)-1) == 0 {
			i := uint32(rel >> c.shift)
			w, m := i>>6, uint64(1)<<(i&63)
			if u := c.used[w]; u&m != 0 {
				c.used[w] = u &^ m
				s := &c.shards[0]
				c.next[i] = uint32(s[wHead])
				s[wHead] = uint64(i)
				if h := p.hooks.Load(); h != nil && h.OnFree != nil {
					h.OnFree(Event{Class: c.index, Size: c.size, Addr: addrIn(p.mem, int(off))})
				}
				return nil
			}
		}
	} else if p.stats {
		t0 = now()
		if !p.conc {
			if c := p.freeSeq(off, hint); c != nil {
				p.countFreeSeq(c, now()-t0)
				if h := p.hooks.Load(); h != nil && h.OnFree != nil {
					h.OnFree(Event{Class: c.index, Size: c.size, Addr: addrIn(p.mem, int(off))})
				}
				return nil
			}
		}
	}
	return p.free(off, hint, t0)
}

// popSeq pops the head of a sequential class's free list and sets its
// usage bit (sequential bitmaps are in index order: word i/64, bit i%64).
// An empty list counts a failure and returns false.
func (c *class) popSeq() (uint32, bool) {
	s := &c.shards[0]
	i := uint32(s[wHead])
	if i == nilIndex {
		s[wFailed]++
		return 0, false
	}
	s[wHead] = uint64(c.next[i])
	c.used[i>>6] |= 1 << (i & 63)
	return i, true
}

// freeSeq is the sequential free for the common case: off starts a block
// of class hint, whose stride is a power of two, and the block is in use.
// It clears the usage bit, pushes the block and returns the class. In any
// other case (errors included) it changes nothing and returns nil, and
// the caller takes the general path, free.
func (p *Pool) freeSeq(off uintptr, hint int) *class {
	c := &p.cls[hint]
	if rel := off - c.start; rel < c.span && c.pow2 && rel&(uintptr(c.stride)-1) == 0 {
		i := uint32(rel >> c.shift)
		w, m := i>>6, uint64(1)<<(i&63)
		if u := c.used[w]; u&m != 0 {
			c.used[w] = u &^ m
			s := &c.shards[0]
			c.next[i] = uint32(s[wHead])
			s[wHead] = uint64(i)
			return c
		}
	}
	return nil
}

// locate turns an offset into (class, block index), checking that it is
// exactly a block start. hint is the likely class (from the slice's
// capacity or the element type's size); when the offset is not in it, a
// fixed six-step search over the class starts finds the right one.
func (p *Pool) locate(off uintptr, hint int) (*class, uint32, error) {
	c := &p.cls[hint]
	rel := off - c.start
	if rel >= c.span {
		c = p.search(off)
		if c == nil {
			return nil, 0, p.freeError(off, "not in this pool's block areas", memkit.ErrInvalidFree)
		}
		rel = off - c.start
		if rel >= c.span {
			return nil, 0, p.freeError(off, "not in this pool's block areas", memkit.ErrInvalidFree)
		}
	}
	var q uint64
	if c.pow2 {
		if rel&(uintptr(c.stride)-1) != 0 {
			return nil, 0, p.freeError(off, fmt.Sprintf("inside a %d-byte block of class %d", c.size, c.index), memkit.ErrInvalidFree)
		}
		q = uint64(rel >> c.shift)
	} else {
		// Exact division for 32-bit dividends (Lemire, Kaser, Kurz 2019):
		// the quotient is the high word of m×rel, and rel is a multiple
		// of stride iff the low word is below m.
		var lo uint64
		q, lo = bits.Mul64(c.m, uint64(rel))
		if lo >= c.m {
			return nil, 0, p.freeError(off, fmt.Sprintf("inside a %d-byte block of class %d", c.size, c.index), memkit.ErrInvalidFree)
		}
	}
	return c, uint32(q), nil
}

// search finds the class whose block area starts at or below off, in six
// steps whatever the number of classes (starts is padded with ^0).
func (p *Pool) search(off uintptr) *class {
	if off < p.starts[0] {
		return nil
	}
	i := 0
	for step := MaxClasses / 2; step > 0; step >>= 1 {
		if p.starts[i+step] <= off {
			i += step
		}
	}
	if i >= len(p.cls) {
		return nil
	}
	return &p.cls[i]
}

func (p *Pool) freeError(off uintptr, why string, sentinel error) error {
	if off >= uintptr(len(p.mem)) {
		return fmt.Errorf("pool: free of a slice at %#x: %s: %w", addrIn(p.mem, 0)+off, why, sentinel)
	}
	return fmt.Errorf("pool: free %#x (offset %d): %s: %w", addrIn(p.mem, int(off)), off, why, sentinel)
}

// free is the whole free path after the hint: locate, check and clear the
// usage bit, push, count, call the hook. t0 is the operation's start on
// the clock (Stats).
func (p *Pool) free(off uintptr, hint int, t0 int64) error {
	c, i, err := p.locate(off, hint)
	if err != nil {
		return err
	}
	w, m := c.bit(i)
	var s *shardRec
	if !p.conc {
		if c.used[w]&m == 0 {
			return p.freeError(off, fmt.Sprintf("block %d of class %d is not in use", i, c.index), memkit.ErrDoubleFree)
		}
		c.used[w] &^= m
		s = &c.shards[0]
		c.next[i] = uint32(s[wHead])
		s[wHead] = uint64(i)
	} else {
		// Clearing the bit is the commit point: of two racing frees of the
		// same block exactly one sees it set.
		if atomic.AndUint64(&c.used[w], ^m)&m == 0 {
			return p.freeError(off, fmt.Sprintf("block %d of class %d is not in use", i, c.index), memkit.ErrDoubleFree)
		}
		// Back to the shard whose range holds the block, not the freeing
		// goroutine's: a goroutine's stack hint can differ between Alloc
		// and Free (the two frames sit at different depths, on either side
		// of an 8 KiB boundary), and pushing by hint made blocks drift to
		// another goroutine's shard, which then fought over one head.
		s = &c.shards[(i>>c.rshift)&uint32(p.shardMask)]
		push(s, c.next, i)
	}
	if p.stats {
		p.countFree(c, s, now()-t0)
	}
	if h := p.hooks.Load(); h != nil && h.OnFree != nil {
		h.OnFree(Event{Class: c.index, Size: c.size, Addr: addrIn(p.mem, int(off))})
	}
	return nil
}

// UsableSize returns the size of the live block b starts (its class's
// block size), or the error Free would return for b.
func (p *Pool) UsableSize(b []byte) (int, error) {
	hint := 0
	if h := cap(b); uint(h-1) < uint(p.maxSize) {
		hint = int(p.lut[(h+p.alignMask)>>p.shift])
	}
	off := offsetOf(p.mem, b)
	c, i, err := p.locate(off, hint)
	if err != nil {
		return 0, err
	}
	if w, m := c.bit(i); atomic.LoadUint64(&c.used[w])&m == 0 {
		return 0, p.freeError(off, fmt.Sprintf("block %d of class %d is not in use", i, c.index), memkit.ErrDoubleFree)
	}
	return c.size, nil
}
