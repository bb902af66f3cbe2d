// The Heap: configuration, shards, and the malloc/free/realloc/calloc paths.

package malloc

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/memkit/memkit"
)

// Default configuration values.
const (
	// DefaultArenaSize is the default Config.ArenaSize: 256 KiB. Measured on
	// the AllocFree churns, 1 MiB arenas ran at the same speed and wasted up
	// to 3% more at 10000 live blocks, where growth granularity shows.
	DefaultArenaSize = 256 << 10
	// DefaultLargeThreshold is the default Config.LargeThreshold: 128 KiB.
	DefaultLargeThreshold = 128 << 10
	// maxArenaSize bounds Config.ArenaSize (offsets in an arena are uint32).
	maxArenaSize = 1 << 30
	// maxRequest is the largest size Malloc accepts: its rounding to pages,
	// plus Debug's guards, cannot overflow an int.
	maxRequest = math.MaxInt - 1<<20
)

// Config sets up a Heap. The zero value is a valid configuration: every
// field has a default.
type Config struct {
	// ArenaSize is the number of bytes mapped from the OS at a time for
	// small and medium blocks, rounded up to a multiple of 64 KiB; 0 means
	// DefaultArenaSize. At most 1 GiB.
	ArenaSize int
	// LargeThreshold: requests of at least this many bytes (or larger than
	// an arena) get a mapping of their own, unmapped on Free. 0 means
	// DefaultLargeThreshold.
	LargeThreshold int
	// Concurrent makes the Heap safe for concurrent use, with per-shard
	// locks instead of one global lock.
	Concurrent bool
	// Debug surrounds every block with guard bytes, poisons freed blocks and
	// keeps them in a quarantine, to report overruns and writes after free.
	Debug bool
	// Compact serves requests of 1 KiB to 32 KiB by exact fit (16-byte
	// granular blocks split and merged with both neighbours) instead of
	// size-class slots: less memory where sizes are spread and lifetimes
	// random (10 to 15 points more utilization on the CS:APP random
	// traces), none on the AllocFree churns (91.3% and 94.3% at 10000 and
	// 100000 live blocks, against 92.4% and 95.8% with slots and
	// borrowing), and slower (about 2x on a cache-resident churn, even at
	// 100000 live blocks).
	Compact bool
}

// Heap is a malloc-style allocator over memory mapped from the OS. The
// memory it hands out is never scanned by the garbage collector and must
// never hold Go pointers (store integers, offsets, bytes).
//
// A Heap made with Concurrent set is safe for concurrent use; otherwise it
// must be used by one goroutine at a time. The zero Heap is not usable:
// call New. Close releases every mapping; every slice obtained from the
// Heap is invalid afterwards.
type Heap struct {
	shards         []shard
	shardMask      uint32
	concurrent     bool
	debug          bool
	compact        bool
	slabMax        int // requests up to this many bytes go to slab classes
	closed         atomic.Bool
	arenaSize      int
	largeThreshold int
	mapped         atomic.Int64 // bytes currently mapped, arenas and large
	ptag           uint64       // the heap's id in page-table entries (ptable.go); noTag if none

	largeMu sync.Mutex // guards large and largeStats
	large   map[uintptr]*largeBlock
	lstats  counters

	dbg *debugState // nil unless Debug
}

// shard is one independent heap: its own arenas, runs and counters. A
// non-concurrent Heap has one shard and takes no lock.
type shard struct {
	mu      sync.Mutex // guards everything below when the heap is concurrent
	classes [numClasses]classState
	runs    runStore
	arenas  []*arena // by arena.idx; nil where an arena was released
	fit     fitState
	cursor  int // arenas below this index have no free page
	stats   counters
	h       *Heap
	id      int      // index in h.shards
	_       [64]byte // keep neighbouring shards' locks on separate cache lines
}

// classState lists the runs of one class that have a free slot; the last
// one serves allocations.
type classState struct {
	partial []uint32 // run indexes
}

// counters are a shard's statistics (see Stats for their meaning). Live
// blocks and bytes in use are differences (allocs-frees, bytesAllocated-
// bytesFreed), so each Malloc and Free updates two counters, not four.
type counters struct {
	bytesAllocated, bytesFreed uint64
	allocs, frees              uint64
	splits, coalesces          uint64
}

func (c *counters) live() int64  { return int64(c.allocs - c.frees) }
func (c *counters) inUse() int64 { return int64(c.bytesAllocated - c.bytesFreed) }

// New returns an empty Heap. It maps nothing until the first Malloc.
func New(cfg Config) (*Heap, error) {
	if cfg.ArenaSize < 0 || cfg.ArenaSize > maxArenaSize {
		return nil, fmt.Errorf("malloc: ArenaSize %d outside [0, %d]: %w", cfg.ArenaSize, maxArenaSize, memkit.ErrInvalidConfig)
	}
	if cfg.LargeThreshold < 0 {
		return nil, fmt.Errorf("malloc: LargeThreshold %d is negative: %w", cfg.LargeThreshold, memkit.ErrInvalidConfig)
	}
	h := &Heap{
		concurrent:     cfg.Concurrent,
		debug:          cfg.Debug,
		compact:        cfg.Compact,
		slabMax:        smallMax,
		arenaSize:      cmp0(cfg.ArenaSize, DefaultArenaSize),
		largeThreshold: cmp0(cfg.LargeThreshold, DefaultLargeThreshold),
		large:          map[uintptr]*largeBlock{},
	}
	h.arenaSize = (h.arenaSize + 1<<granShift - 1) &^ (1<<granShift - 1)
	n := 1
	if cfg.Concurrent {
		n = 1 << bits.Len(uint(2*runtime.GOMAXPROCS(0)-1))
		n = min(n, 64)
	}
	h.shards = make([]shard, n)
	h.shardMask = uint32(n - 1)
	for i := range h.shards {
		h.shards[i].h = h
		h.shards[i].id = i
	}
	h.ptag = newHeapTag()
	if cfg.Debug {
		h.dbg = newDebugState()
	}
	if cfg.Compact {
		h.slabMax = fitMin
	}
	return h, nil
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// pickShard returns a locked shard for an allocation: the shard of the P
// the goroutine runs on (so goroutines running at the same time use
// distinct shards, and a goroutine keeps to one shard and its caches while
// it stays on its P) if it is free, else the first free one after it, else
// it waits for its own.
func (h *Heap) pickShard() *shard {
	if !h.concurrent {
		return &h.shards[0]
	}
	return h.pickShardSlow()
}

// pickShardSlow is pickShard for a Concurrent heap.
func (h *Heap) pickShardSlow() *shard {
	i := procID()
	for j := range uint32(len(h.shards)) {
		sh := &h.shards[(i+j)&h.shardMask]
		if sh.mu.TryLock() {
			return sh
		}
	}
	sh := &h.shards[i&h.shardMask]
	sh.mu.Lock()
	return sh
}

func (h *Heap) unlock(sh *shard) {
	if h.concurrent {
		sh.mu.Unlock()
	}
}

func (h *Heap) lock(sh *shard) {
	if h.concurrent {
		sh.mu.Lock()
	}
}

// Malloc returns n bytes: a slice with len n and cap the block's usable
// size, 16-byte aligned, not zeroed. Malloc(0) returns an empty slice that
// must be freed like any other. A negative or too large n returns an error
// wrapping memkit.ErrInvalidSize.
func (h *Heap) Malloc(n int) ([]byte, error) {
	if h.closed.Load() {
		return nil, fmt.Errorf("malloc: malloc(%d): %w", n, memkit.ErrClosed)
	}
	if h.debug {
		return h.dbgMalloc(n, false)
	}
	b, _, err := h.malloc(n)
	return b, err
}

// malloc is Malloc without Debug; fresh reports that b reads as zero.
func (h *Heap) malloc(n int) (b []byte, fresh bool, err error) {
	if uint(n) <= uint(h.slabMax) && n < h.largeThreshold {
		c := sizeToClass[(n+align-1)>>alignShift]
		sh := h.pickShard()
		cl := &sh.classes[c]
		var ri uint32
		if k := len(cl.partial); k > 0 {
			ri = cl.partial[k-1]
		} else if cl, ri, err = sh.runFor(c); err != nil {
			h.unlock(sh)
			return nil, false, fmt.Errorf("malloc: malloc(%d): %w", n, err)
		}
		r := sh.runs.at(ri)
		i := r.take()
		if i >= uint32(r.bump) {
			r.bump = uint16(i + 1)
			fresh = r.fresh
		}
		r.used++
		if r.used == uint32(r.nslots) {
			cl.removeCurrent(r)
		}
		sz := r.size
		off := r.start + i*sz
		a := sh.arenas[r.arena]
		st := &sh.stats
		st.allocs++
		st.bytesAllocated += uint64(sz)
		h.unlock(sh)
		return a.mem[off : int(off)+n : off+sz], fresh, nil
	}
	if h.compact && uint(n) <= fitMax && n < h.largeThreshold {
		return h.mallocFit(n)
	}
	return h.mallocBig(n)
}

// mallocFit serves an exact-fit request.
func (h *Heap) mallocFit(n int) ([]byte, bool, error) {
	sh := h.pickShard()
	a, off, size, err := sh.fitMalloc(uint32(n+align-1) &^ (align - 1))
	if err != nil {
		h.unlock(sh)
		return nil, false, fmt.Errorf("malloc: malloc(%d): %w", n, err)
	}
	st := &sh.stats
	st.allocs++
	st.bytesAllocated += uint64(size)
	h.unlock(sh)
	return a.mem[off : int(off)+n : off+size], false, nil
}

// mallocBig serves medium (a run of pages) and large (own mapping) requests.
func (h *Heap) mallocBig(n int) ([]byte, bool, error) {
	if n < 0 || n > maxRequest {
		return nil, false, fmt.Errorf("malloc: malloc(%d): %w", n, memkit.ErrInvalidSize)
	}
	pages := (n + pageSize - 1) >> pageShift
	if n >= h.largeThreshold || pages > h.arenaSize>>pageShift {
		return h.mallocLarge(n)
	}
	sh := h.pickShard()
	defer h.unlock(sh)
	_, r, err := sh.newRun(pages, mediumClass)
	if err != nil {
		return nil, false, fmt.Errorf("malloc: malloc(%d): %w", n, err)
	}
	r.used = 1
	a := sh.arenas[r.arena]
	sh.stats.allocs++
	sh.stats.bytesAllocated += uint64(r.size)
	return a.mem[r.start : int(r.start)+n : r.start+r.size], r.fresh, nil
}

// newRun makes a run of k pages: class c's slots, a medium block
// (mediumClass) or a fit run (fitClass). A slab run is put on its class's
// partial list.
func (sh *shard) newRun(k int, c int8) (uint32, *run, error) {
	a, p, ext := sh.findPages(k)
	if a == nil {
		var err error
		if a, err = sh.h.newArena(sh); err != nil {
			return 0, nil, err
		}
		p, ext = 0, a.npages
		if k > a.npages {
			return 0, nil, fmt.Errorf("malloc: %d pages do not fit an arena of %d: %w", k, a.npages, memkit.ErrInvalidSize)
		}
	}
	if ext > k {
		sh.stats.splits++
	}
	ri := sh.runs.alloc()
	r := sh.runs.at(ri)
	*r = run{
		start: uint32(p << pageShift),
		pages: uint32(k),
		arena: uint32(a.idx),
		class: c,
		pidx:  -1,
		fresh: a.take(p, k, ri),
	}
	switch {
	case c >= 0:
		r.size = classSize[c]
		r.nslots = uint16(classSlots[c])
		r.initSlots()
		sh.classes[c].add(r, ri)
		a.publish(p, k, ri, c)
	case c == fitClass:
		r.size = uint32(k << pageShift)
		a.fitBitmaps()
	default:
		r.size = uint32(k << pageShift)
	}
	return ri, r, nil
}

// runFor returns a run with a free slot for class c, whose partial list is
// empty, and the state of the class the run belongs to: a neighbour's
// (borrow), else a new run of class c.
func (sh *shard) runFor(c uint8) (*classState, uint32, error) {
	if cl, ri := sh.borrow(c); cl != nil {
		return cl, ri, nil
	}
	ri, _, err := sh.newRun(int(classPages[c]), int8(c))
	return &sh.classes[c], ri, err
}

// borrow returns, for a request of class c whose class has no free slot,
// the current run of the smallest larger class at most 1/4 larger than c
// that has at least two runs with free slots, and that class's state; or
// nil when there is none. Lending only from a class with a spare run keeps
// the lender from making a run at once in its turn; pooling the free slots
// of neighbouring classes this way absorbs their population swings
// without new runs (a few points of utilization at 10000 live blocks)
// for a little rounding on the borrowed blocks.
func (sh *shard) borrow(c uint8) (*classState, uint32) {
	lim := classSize[c] + classSize[c]/4
	for d := int(c) + 1; d < numClasses && classSize[d] <= lim; d++ {
		cl := &sh.classes[d]
		if k := len(cl.partial); k >= 2 {
			return cl, cl.partial[k-1]
		}
	}
	return nil, 0
}

// findPages looks for k free pages in the shard's arenas: first fit from
// the lowest arena that has free pages, so runs pack into the oldest
// arenas and the newest drain.
func (sh *shard) findPages(k int) (*arena, int, int) {
	for sh.cursor < len(sh.arenas) && (sh.arenas[sh.cursor] == nil || sh.arenas[sh.cursor].nfree == 0) {
		sh.cursor++
	}
	for _, a := range sh.arenas[sh.cursor:] {
		if a == nil {
			continue
		}
		if p, ext := a.findPages(k); p >= 0 {
			return a, p, ext
		}
	}
	return nil, 0, 0
}

// freeRun gives run ri's pages back to its arena and its record to the store.
func (sh *shard) freeRun(ri uint32, r *run) {
	a := sh.arenas[r.arena]
	if m := a.give(int(r.start>>pageShift), int(r.pages)); m > 0 {
		sh.stats.coalesces += uint64(m)
	}
	sh.cursor = min(sh.cursor, a.idx)
	sh.runs.release(ri)
}

// add puts run ri (record r) on the partial list. It becomes the current
// run: the run that just got a free slot back is the one whose record is
// in cache, and in a steady churn it has one free slot, so it fills and
// leaves the list again at once. (Picking the fullest run instead, to let
// the emptiest drain, cost a scan of the list per allocation and gained
// no utilization on the AllocFree churns: 92.38% and 95.77% either way.)
func (cl *classState) add(r *run, ri uint32) {
	r.pidx = int32(len(cl.partial))
	cl.partial = append(cl.partial, ri)
}

// removeCurrent drops the current (last) run r, now full.
func (cl *classState) removeCurrent(r *run) {
	r.pidx = -1
	cl.partial = cl.partial[:len(cl.partial)-1]
}

// remove takes run ri off the partial list.
func (cl *classState) remove(s *runStore, ri uint32) {
	r := s.at(ri)
	i := r.pidx
	last := cl.partial[len(cl.partial)-1]
	cl.partial[i] = last
	s.at(last).pidx = i
	cl.partial = cl.partial[:len(cl.partial)-1]
	r.pidx = -1
}

// block is a located live block.
type block struct {
	a   *arena
	r   *run
	ri  uint32
	off uint32
}

// arenaOf returns h's arena holding addr, or nil (addr may still be a
// large block of h).
func (h *Heap) arenaOf(addr uintptr) *arena {
	a := lookup(addr)
	if a == nil || a.heap != h || addr-a.base >= a.size {
		return nil
	}
	return a
}

// locate checks that addr starts a live block of arena a; the shard lock is held.
func (a *arena) locate(addr uintptr, op string) (block, error) {
	sh := a.shard
	off := uint32(addr - a.base)
	ri := a.pages[off>>pageShift]
	if ri == 0 {
		return block{}, fmt.Errorf("malloc: %s %#x: not the start of a live block: %w", op, addr, memkit.ErrInvalidFree)
	}
	r := sh.runs.at(ri)
	bl := block{a: a, r: r, ri: ri, off: off}
	switch {
	case r.class >= 0:
		if i, ok := r.slotOf(off); ok {
			if r.isLive(i) {
				return bl, nil
			}
			if i < uint32(r.bump) {
				return block{}, fmt.Errorf("malloc: %s %#x: %w", op, addr, memkit.ErrDoubleFree)
			}
		}
	case r.class == fitClass:
		if off&(align-1) == 0 && a.isStart(off) {
			return bl, nil
		}
		if off&(align-1) == 0 && a.isFree(off) {
			return block{}, fmt.Errorf("malloc: %s %#x: %w", op, addr, memkit.ErrDoubleFree)
		}
	default:
		if off == r.start {
			return bl, nil
		}
	}
	return block{}, fmt.Errorf("malloc: %s %#x: not the start of a live block: %w", op, addr, memkit.ErrInvalidFree)
}

// Free releases the block b starts. A nil b is a no-op. A slice that is
// not the start of a live block of h (foreign, interior, already freed)
// returns an error wrapping memkit.ErrInvalidFree (memkit.ErrDoubleFree
// when h can tell) and changes nothing. Only b's first address matters:
// any len and cap are accepted.
func (h *Heap) Free(b []byte) error {
	if b == nil {
		return nil
	}
	if h.closed.Load() {
		return fmt.Errorf("malloc: free %#x: %w", addrOf(b), memkit.ErrClosed)
	}
	if h.debug {
		return h.dbgFree(b)
	}
	return h.free(addrOf(b), "free")
}

// free frees the block at addr (no Debug layer).
func (h *Heap) free(addr uintptr, op string) error {
	// A slab block, found through the page table (ptable.go): the entry
	// names the shard, the run, the class and the page's place in the run.
	// The slot's release is written out here and again in freeSlow (for
	// heaps without a page-table id): as a function the compiler does not
	// inline, it cost 2.5 ns per AllocFree pair (33.0 -> 35.5 ns).
	// (pageEntry, inlined by hand: this is the hot path.)
	g := uint64(addr) >> pageShift
	var ep *atomic.Uint64
	if l := ptable.hot.Load(); l != nil && l.t == g>>ptLeafBits {
		ep = &l.e[g&(1<<ptLeafBits-1)]
	} else {
		ep = pageEntrySlow(g)
	}
	if ep != nil {
		e := ep.Load()
		if c := uint32(e>>entClassShift) & entNoClass; e&entTagMask == h.ptag && c < numClasses {
			sh := &h.shards[uint32(e>>entShardShift)&h.shardMask]
			h.lock(sh)
			if !h.concurrent || ep.Load() == e {
				x := uint32(e>>entPageShift&(maxRunPages-1))<<pageShift | uint32(addr)&(pageSize-1)
				i := uint32(uint64(x) * classMagic[c] >> 32)
				ri := uint32(e)
				r := sh.runs.at(ri)
				if i*classSize[c] == x && i < uint32(r.nslots) && r.isLive(i) {
					r.live[i>>6] &^= 1 << (i & 63)
					st := &sh.stats
					st.frees++
					st.bytesFreed += uint64(classSize[c])
					cl := &sh.classes[c]
					if r.used == uint32(r.nslots) {
						cl.add(r, ri)
					}
					r.used--
					if r.used == 0 {
						cl.remove(&sh.runs, ri)
						sh.freeRun(ri, r)
					}
					h.unlock(sh)
					return nil
				}
			}
			h.unlock(sh)
		}
	}
	return h.freeSlow(addr, op)
}

// freeSlow is free for every block the page table does not settle: medium,
// fit and large blocks, and invalid frees.
func (h *Heap) freeSlow(addr uintptr, op string) error {
	// lookup and arenaOf, inlined by hand.
	var a *arena
	g := uint64(addr) >> granShift
	if t := g >> leafBits; t < 1<<topBits {
		if l := table.top[t].Load(); l != nil {
			if e := l[g&(1<<leafBits-1)].Load(); e != 0 {
				reg := *table.reg.Load()
				a = reg[uint32(e)]
				if ah := reg[e>>32]; addr >= ah.base {
					a = ah
				}
			}
		}
	}
	if a == nil || a.heap != h || addr-addrOf(a.mem) >= uintptr(len(a.mem)) {
		return h.freeLarge(addr, op)
	}
	sh := a.shard
	h.lock(sh)
	off := uint32(addr - addrOf(a.mem))
	if ri := a.pages[off>>pageShift]; ri != 0 {
		r := sh.runs.at(ri)
		if r.class >= 0 {
			if i, ok := r.slotOf(off); ok && r.isLive(i) {
				r.live[i>>6] &^= 1 << (i & 63)
				sz := r.size
				st := &sh.stats
				st.frees++
				st.bytesFreed += uint64(sz)
				cl := &sh.classes[r.class]
				if r.used == uint32(r.nslots) {
					cl.add(r, ri)
				}
				r.used--
				if r.used == 0 {
					cl.remove(&sh.runs, ri)
					sh.freeRun(ri, r)
				}
				h.unlock(sh)
				return nil
			}
		} else if r.class == fitClass {
			if off&(align-1) == 0 && a.isStart(off) {
				size := a.fitSize(r, off)
				st := &sh.stats
				st.frees++
				st.bytesFreed += uint64(size)
				sh.fitFree(ri, r, off, size)
				h.unlock(sh)
				return nil
			}
		} else if off == r.start {
			st := &sh.stats
			st.frees++
			st.bytesFreed += uint64(r.size)
			sh.freeRun(ri, r)
			h.unlock(sh)
			return nil
		}
	}
	_, err := a.locate(addr, op)
	h.unlock(sh)
	return err
}

// UsableSize returns the usable size of the live block b starts (its cap
// as Malloc returned it), or an error wrapping memkit.ErrInvalidFree.
func (h *Heap) UsableSize(b []byte) (int, error) {
	if h.closed.Load() {
		return 0, fmt.Errorf("malloc: usable size %#x: %w", addrOf(b), memkit.ErrClosed)
	}
	addr := addrOf(b)
	if h.debug {
		return h.dbgUsable(addr)
	}
	if a := h.arenaOf(addr); a != nil {
		h.lock(a.shard)
		defer h.unlock(a.shard)
		bl, err := a.locate(addr, "usable size")
		if err != nil {
			return 0, err
		}
		if bl.r.class == fitClass {
			return int(a.fitSize(bl.r, bl.off)), nil
		}
		return int(bl.r.size), nil
	}
	h.largeMu.Lock()
	defer h.largeMu.Unlock()
	if l := h.large[addr]; l != nil && addr != 0 {
		return len(l.mem), nil
	}
	return 0, fmt.Errorf("malloc: usable size %#x: not a live block: %w", addr, memkit.ErrInvalidFree)
}

// Calloc returns count*size zeroed bytes. An overflowing product or a
// negative argument returns an error wrapping memkit.ErrInvalidSize.
// Memory fresh from the OS is not zeroed a second time.
func (h *Heap) Calloc(count, size int) ([]byte, error) {
	hi, n := bits.Mul64(uint64(count), uint64(size))
	if count < 0 || size < 0 || hi != 0 || n > maxRequest {
		return nil, fmt.Errorf("malloc: calloc(%d, %d): %w", count, size, memkit.ErrInvalidSize)
	}
	if h.closed.Load() {
		return nil, fmt.Errorf("malloc: calloc(%d, %d): %w", count, size, memkit.ErrClosed)
	}
	if h.debug {
		return h.dbgMalloc(int(n), true)
	}
	b, fresh, err := h.malloc(int(n))
	if err != nil {
		return nil, err
	}
	if !fresh {
		clear(b)
	}
	return b, nil
}

// Realloc resizes the block b starts to n bytes and returns it; len is n,
// the first min(len(b), n) bytes are kept. A nil b is Malloc(n); n == 0
// frees b and returns nil. A shrink, and a growth within the block's usable
// size, stay in place; a medium block grows in place into free pages after
// it; otherwise the contents move to a new block and b is freed. On
// failure b is untouched and still valid. The bytes kept are those of
// b[:len(b)], so pass the slice with the length in use.
func (h *Heap) Realloc(b []byte, n int) ([]byte, error) {
	if b == nil {
		return h.Malloc(n)
	}
	if h.closed.Load() {
		return nil, fmt.Errorf("malloc: realloc(%#x, %d): %w", addrOf(b), n, memkit.ErrClosed)
	}
	if n < 0 || n > maxRequest {
		return nil, fmt.Errorf("malloc: realloc(%#x, %d): %w", addrOf(b), n, memkit.ErrInvalidSize)
	}
	if h.debug {
		return h.dbgRealloc(b, n)
	}
	addr := addrOf(b)
	if n == 0 {
		return nil, h.free(addr, "realloc")
	}
	in, usable, err := h.resizeInPlace(addr, n)
	if err != nil {
		return nil, err
	}
	if in != nil {
		return in, nil
	}
	nb, _, err := h.malloc(n)
	if err != nil {
		return nil, err
	}
	copy(nb, b[:min(len(b), usable)])
	if err := h.free(addr, "realloc"); err != nil {
		_ = h.free(addrOf(nb), "realloc") // b was live a moment ago; keep the call failure-atomic anyway
		return nil, err
	}
	return nb, nil
}

// resizeInPlace validates the block at addr and, where it can, resizes it
// to hold n bytes without moving, returning the block as a slice of len n.
// Otherwise it returns nil and the block's usable size.
func (h *Heap) resizeInPlace(addr uintptr, n int) ([]byte, int, error) {
	a := h.arenaOf(addr)
	if a == nil {
		return h.resizeLarge(addr, n)
	}
	sh := a.shard
	h.lock(sh)
	defer h.unlock(sh)
	bl, err := a.locate(addr, "realloc")
	if err != nil {
		return nil, 0, err
	}
	r := bl.r
	if r.class == fitClass {
		size := a.fitSize(r, bl.off)
		if n > fitMax || n >= h.largeThreshold {
			if n <= int(size) {
				return a.mem[bl.off : int(bl.off)+n : bl.off+size], int(size), nil
			}
			return nil, int(size), nil
		}
		ns := sh.fitResize(bl.ri, r, bl.off, size, uint32(n+align-1)&^(align-1))
		if int(ns) < n {
			return nil, int(size), nil
		}
		if ns > size {
			sh.stats.bytesAllocated += uint64(ns - size)
		} else {
			sh.stats.bytesFreed += uint64(size - ns)
		}
		return a.mem[bl.off : int(bl.off)+n : bl.off+ns], int(ns), nil
	}
	size := int(r.size)
	if r.class >= 0 || n >= h.largeThreshold {
		if n <= size {
			return a.mem[bl.off : int(bl.off)+n : int(bl.off)+size], size, nil
		}
		return nil, size, nil
	}
	// a medium block: move its end within the arena
	k := (n + pageSize - 1) >> pageShift
	p := int(r.start >> pageShift)
	old := int(r.pages)
	switch {
	case k < old:
		if m := a.give(p+k, old-k); m > 0 {
			sh.stats.coalesces += uint64(m)
		}
		sh.cursor = min(sh.cursor, a.idx)
	case k > old:
		e := p + old
		if e+k-old > a.npages || a.nextUsed(e) < e+k-old {
			return nil, size, nil
		}
		if a.nextUsed(e) > e+k-old {
			sh.stats.splits++
		}
		a.take(e, k-old, bl.ri)
	default:
		return a.mem[bl.off : int(bl.off)+n : int(bl.off)+size], size, nil
	}
	nsize := uint32(k << pageShift)
	if nsize > r.size {
		sh.stats.bytesAllocated += uint64(nsize - r.size)
	} else {
		sh.stats.bytesFreed += uint64(r.size - nsize)
	}
	r.pages = uint32(k)
	r.size = nsize
	return a.mem[bl.off : int(bl.off)+n : bl.off+nsize], int(nsize), nil
}
