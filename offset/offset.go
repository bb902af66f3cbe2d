// The Allocator: configuration, the public alloc/free API and statistics.

package offset

import (
	"fmt"
	"math/bits"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/sizeclass"
)

// Offset is a byte position in the managed space. 0 is a valid offset.
type Offset uint64

// Policy selects how Alloc picks a free block.
type Policy int

const (
	// GoodFit picks a block from a size class that fits (TLSF-style
	// segregated lists, looking at the head of the request's own class
	// first). Alloc and Free are O(1), whatever the number of blocks.
	GoodFit Policy = iota
	// FirstFit picks the lowest-addressed free block that fits, in
	// O(log n) for n blocks, using a B+-tree of every block ordered by
	// address and annotated with the largest free block of each subtree.
	FirstFit
)

// String returns "goodfit" or "firstfit".
func (p Policy) String() string {
	switch p {
	case GoodFit:
		return "goodfit"
	case FirstFit:
		return "firstfit"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// MaxSize is the largest managed space: Config.Size and Grow accept at most
// this many bytes.
const MaxSize = 1 << 62

// MaxNodes is the largest node budget Config.MaxNodes accepts, and the most
// blocks (free or live) a growing Allocator can hold.
const MaxNodes = 1<<31 - 2

// DefaultAlign is the alignment used when Config.Align is 0.
const DefaultAlign = 16

// Config describes a managed space. The zero value is not usable: Size must
// be set.
type Config struct {
	// Size is the number of bytes in the managed space, at most MaxSize.
	// It is rounded down to a multiple of Align; the rounded value must not
	// be 0.
	Size uint64
	// Align is a power of two (0 means DefaultAlign). Every offset handed
	// out, and every block size, is a multiple of it.
	Align uint64
	// MaxNodes is the node budget: 0 lets metadata grow on demand (Alloc
	// may then allocate Go memory when it needs more nodes); n > 0 sets a
	// fixed budget of n nodes, allocated by New, after which no method but
	// UnmarshalBinary allocates Go memory on success. Each block, free or
	// live, takes one node: n is the number of blocks the Allocator can
	// hold, and New sizes every structure for the worst case of n blocks.
	MaxNodes int
	// Policy is GoodFit (the default) or FirstFit.
	Policy Policy
}

// Block is one block of the space as Walk reports it.
type Block struct {
	Off  Offset // start, a multiple of Align
	Size uint64 // bytes, a multiple of Align
	Free bool   // false: live (allocated)
}

// Stats is a snapshot of an Allocator's state and lifetime counters.
type Stats struct {
	Size          uint64 // bytes in the managed space (Config.Size rounded down to Align)
	Allocated     uint64 // bytes in live blocks (their rounded sizes, whole-block handouts included)
	Free          uint64 // bytes in free blocks; Allocated + Free == Size
	LargestFree   uint64 // size of the largest free block (exact)
	Live          int    // live blocks
	FreeBlocks    int    // free blocks
	Nodes         int    // nodes in use: Live + FreeBlocks
	NodeCap       int    // nodes the metadata holds now (MaxNodes when fixed)
	MetadataBytes uint64 // Go memory held for metadata: capacity of every slice and table
	Allocs        uint64 // successful Alloc and AllocAligned calls (lifetime)
	Frees         uint64 // successful Free calls (lifetime)
	Failed        uint64 // Alloc and AllocAligned calls that returned an error (lifetime)
	WholeBlocks   uint64 // allocations handed a whole free block because no node was left for the remainder (lifetime)
}

// node is one block's metadata record. Nodes live in a flat slice and link
// to each other by index, so the GC never scans them. Index 0 is the
// sentinel: a link equal to 0 means "none", and node 0 closes the address
// chain into a ring (its next is the first block, its prev the last, its
// off the space's size and never free), so a block's end is always
// nodes[next].off and a missing neighbour reads as a live one. GoodFit may
// scribble on its a and b. FirstFit has no nodes: its B+-tree (btree.go)
// holds the blocks.
//
// A node's size is not stored: it is the next node's offset minus its own
// (or the space's end for the last node), since blocks tile the space.
type node struct {
	off        uint64 // start of the block in bytes; freeBit set when the block is free
	prev, next uint32 // neighbours in address order (0: none)
	// a and b: previous and next block in the free list of the block's
	// class (free blocks only). An unused node has off == unusedOff and
	// links the unused list through prev and next.
	a, b uint32
}

// unusedOff is node.off of an unused node: no block starts there, with or
// without freeBit, since offsets are below MaxSize.
const unusedOff = 1 << 62

// freeBit marks a free block in node.off. Offsets are below MaxSize = 1<<62,
// so the top bit is never part of one.
const freeBit = 1 << 63

// subBits sets GoodFit's class grid: 32 classes per power of two, so a
// rounded-up search wastes at most 1/32 of a request.
const subBits = 5

var classes = sizeclass.MustNew(subBits)

// Allocator hands out blocks of an external address space [0, Size). Its
// metadata lives in ordinary Go memory, apart from the space, so it never
// reads or writes the space itself.
//
// Invariants (checked by Check):
//   - the blocks tile [0, Size) in address order, each a non-zero multiple
//     of Align; no two free blocks are neighbours (freed blocks coalesce);
//   - GoodFit: every free block is in exactly the free list of class
//     Down(size/Align), and the bitmap marks exactly the non-empty lists;
//     a block (free or live) is in the index exactly when its node lies
//     outside its home window (see home.go);
//   - FirstFit: the B+-tree holds every block in address order, and each
//     inner node's entries hold its children's first offsets and largest
//     free blocks (see btree);
//   - counters equal a recount.
//
// An Allocator is not safe for concurrent use; Locked is. Its zero value is
// empty and refuses every allocation until UnmarshalBinary restores a state
// into it; use New.
type Allocator struct {
	nodes []node // GoodFit's node table; nodes[0] is the sentinel (see node)

	// GoodFit
	heads  []uint32  // heads[c]: first free block of class c; one entry per class up to the whole space's
	bitmap classBits // classes with a non-empty list
	index  index     // the blocks whose node lies outside their home window, by offset

	spare uint32 // first unused node; the unused list is doubly linked through prev and next
	used  uint32 // high-water mark: nodes[used:] were never handed out and are zero
	homes uint64 // GoodFit: number of home nodes, len(nodes)-homeWindow at least 1 (see home.go)

	size     uint64 // bytes in the space, a multiple of align; 0 only in the zero Allocator
	align    uint64 // immutable after New
	shift    uint   // log2(align)
	maxNodes int    // 0: growing; > 0: fixed budget
	policy   Policy

	allocated  uint64 // bytes in live blocks
	live       int
	freeBlocks int
	nodesInUse int // GoodFit; FirstFit counts in ff.n

	allocs, frees, failed, whole uint64

	err Error // the error of the last failed Alloc, returned by pointer so failures do not allocate

	// FirstFit, last: GoodFit's hot fields above stay on few cache lines.
	ff btree // every block, by offset, with free-size maxima
}

// New returns an Allocator for cfg, with the whole space one free block.
// A bad cfg returns an error wrapping memkit.ErrInvalidConfig.
func New(cfg Config) (*Allocator, error) {
	a := new(Allocator)
	if err := a.init(cfg); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Allocator) init(cfg Config) error {
	align := cfg.Align
	if align == 0 {
		align = DefaultAlign
	}
	if align&(align-1) != 0 || align > MaxSize {
		return fmt.Errorf("offset: align %d is not a power of two ≤ 1<<62: %w", cfg.Align, memkit.ErrInvalidConfig)
	}
	if cfg.Size > MaxSize {
		return fmt.Errorf("offset: size %d > 1<<62: %w", cfg.Size, memkit.ErrInvalidConfig)
	}
	size := cfg.Size &^ (align - 1)
	if size == 0 {
		return fmt.Errorf("offset: size %d holds no block of align %d: %w", cfg.Size, align, memkit.ErrInvalidConfig)
	}
	if cfg.MaxNodes < 0 || cfg.MaxNodes > MaxNodes {
		return fmt.Errorf("offset: MaxNodes %d outside [0, %d]: %w", cfg.MaxNodes, MaxNodes, memkit.ErrInvalidConfig)
	}
	if cfg.Policy != GoodFit && cfg.Policy != FirstFit {
		return fmt.Errorf("offset: unknown policy %d: %w", int(cfg.Policy), memkit.ErrInvalidConfig)
	}
	*a = Allocator{
		size:     size,
		align:    align,
		shift:    uint(bits.TrailingZeros64(align)),
		maxNodes: cfg.MaxNodes,
		policy:   cfg.Policy,
	}
	n := cfg.MaxNodes
	if n == 0 {
		n = 16
	}
	if a.policy == FirstFit {
		a.ff.init(n, a.size)
		a.freeBlocks = 1
		return nil
	}
	a.resize(n)
	a.heads = make([]uint32, a.class(a.size)+1)
	a.reset()
	return nil
}

// resize makes room for n nodes (plus the sentinel), keeping every node
// where it is. The new nodes stay zero, past the high-water mark a.used,
// so a large budget costs no work until it is used.
func (a *Allocator) resize(n int) {
	old := len(a.nodes)
	nodes := make([]node, n+1)
	copy(nodes, a.nodes)
	a.nodes = nodes
	a.setHomes()
	a.index.resize(n)
	if old == 0 {
		return
	}
	for i := a.nodes[0].next; i != 0; i = a.nodes[i].next {
		a.place(i, a.start(i))
	}
}

// reset makes the whole space one free block, keeping the metadata. It
// zeroes the nodes (or tree nodes) used so far: O(high-water mark).
func (a *Allocator) reset() {
	a.allocated, a.live, a.freeBlocks, a.nodesInUse = 0, 0, 1, 0
	if a.policy == FirstFit {
		a.ff.reset(a.size)
		return
	}
	used := max(a.used, 1) // 0 in a fresh Allocator
	clear(a.nodes[1:used])
	a.spare, a.used = 0, 1
	clear(a.heads)
	a.bitmap = classBits{}
	a.index.clear()
	i := a.newNodeFor(0)
	a.nodes[i] = node{off: freeBit}
	a.nodes[0] = node{off: a.size, prev: i, next: i}
	a.place(i, 0)
	a.listPush(i, a.size)
}

// newNode returns an unused node, or 0 when the budget is spent. A growing
// Allocator enlarges its table instead (the only place it allocates). The
// node's fields are stale: every caller assigns the whole node.
func (a *Allocator) newNode() uint32 {
	if i := a.spare; i != 0 {
		a.takeNode(i)
		return i
	}
	if int(a.used) == len(a.nodes) {
		if a.maxNodes > 0 || len(a.nodes)-1 >= MaxNodes {
			return 0
		}
		a.resize(min(2*(len(a.nodes)-1), MaxNodes))
	}
	i := a.used
	a.takeFresh(i)
	return i
}

// takeFresh takes node i at or past the high-water mark a.used; the fresh
// nodes it skips join the unused list.
func (a *Allocator) takeFresh(i uint32) {
	for j := a.used; j < i; j++ {
		a.releaseNode(j)
		a.nodesInUse++ // releaseNode counts a node leaving a block
	}
	a.used = i + 1
	a.nodesInUse++
}

// takeNode takes unused node i off the unused list.
func (a *Allocator) takeNode(i uint32) {
	n := &a.nodes[i]
	p, q := n.prev, n.next
	if p != 0 {
		a.nodes[p].next = q
	} else {
		a.spare = q
	}
	if q != 0 {
		a.nodes[q].prev = p
	}
	n.off = 0 // no longer unusedOff, for callers that assign fields one by one
	a.nodesInUse++
}

// releaseNode returns node i to the unused list, at its head.
func (a *Allocator) releaseNode(i uint32) {
	s := a.spare
	a.nodes[i] = node{off: unusedOff, next: s}
	if s != 0 {
		a.nodes[s].prev = i
	}
	a.spare = i
	a.nodesInUse--
}

// hasSpareNode reports whether the Allocator can hold one more block
// (newNode would succeed).
func (a *Allocator) hasSpareNode() bool {
	if a.policy == FirstFit {
		return a.ffHasSpare()
	}
	return a.spare != 0 || int(a.used) < len(a.nodes) || (a.maxNodes == 0 && len(a.nodes)-1 < MaxNodes)
}

// setSize changes the space's size, which the sentinel holds too.
func (a *Allocator) setSize(n uint64) {
	a.size = n
	a.nodes[0].off = n
}

// start and end of block i, and its size.
func (a *Allocator) start(i uint32) uint64 { return a.nodes[i].off &^ freeBit }

func (a *Allocator) end(i uint32) uint64 { return a.nodes[a.nodes[i].next].off &^ freeBit }

func (a *Allocator) blockSize(i uint32) uint64 { return a.end(i) - a.start(i) }

func (a *Allocator) isFree(i uint32) bool { return a.nodes[i].off&freeBit != 0 }

// round returns size rounded up to the alignment, or ok false when it is 0
// or larger than the space.
func (a *Allocator) round(size uint64) (uint64, bool) {
	if size == 0 || size > a.size {
		return 0, false
	}
	return (size + a.align - 1) &^ (a.align - 1), true // a.size is a multiple of align, so no overflow
}

// Alloc returns the offset of a new block of at least size bytes (size
// rounded up to Align). It fails with an error wrapping
// memkit.ErrInvalidSize (size 0 or larger than the space),
// memkit.ErrOutOfMemory (no free block fits) or memkit.ErrNoMetadata (no
// free block fits and the node budget is spent). A failed Alloc changes
// nothing but the Failed counter, and allocates no Go memory: the *Error it
// returns belongs to the Allocator and is overwritten by its next failure.
func (a *Allocator) Alloc(size uint64) (Offset, error) {
	s, ok := a.round(size)
	if !ok {
		return 0, a.fail("alloc", size, 0, memkit.ErrInvalidSize)
	}
	if a.policy == FirstFit {
		return a.ffAlloc(size, s)
	}
	// GoodFit, steps 2, 3 and 5 of doc.go written out: both candidates
	// are list heads, so taking one needs no search of its list.
	u := s >> (a.shift & 63)
	c := classDown(u)
	nodes, heads := a.nodes, a.heads
	h := heads[c]
	hn := &nodes[h] // h == 0: the sentinel, harmless to read
	start, end := hn.off&^freeBit, nodes[hn.next].off&^freeBit
	if h == 0 || end-start < s {
		c2, ok := a.bitmap.next(classUp(u))
		if !ok {
			i := a.goodFitScan(c, s)
			if i == 0 {
				return 0, a.failNoFit("alloc", size, 0)
			}
			return Offset(a.take(i, 0, s)), nil
		}
		c, h = c2, heads[c2]
		hn = &nodes[h]
		start, end = hn.off&^freeBit, nodes[hn.next].off&^freeBit
	}
	// Take h = [start, end): it becomes a live block of s bytes and the
	// rest, if any, a new free block r after it (or part of h when no
	// node is left).
	rest := end - start - s
	var r uint32
	if rest > 0 {
		if r = a.newNodeFor(start + s); r == 0 {
			s, rest = s+rest, 0
			a.whole++
		}
		nodes = a.nodes // newNodeFor may grow the table
		hn = &nodes[h]
	}
	b := hn.b
	nodes[b].a = 0 // b == 0: a harmless write to the sentinel
	heads[c] = b
	a.bitmap.clearIf(c, b == 0)
	hn.off, hn.a, hn.b = start, 0, 0
	a.live++
	a.allocs++
	a.allocated += s
	if rest == 0 {
		a.freeBlocks--
		return Offset(start), nil
	}
	// r = [roff, end) joins the address chain after h and, filed as
	// listPush would file it (written out), the head of its class's list.
	roff := start + s
	nx := hn.next
	rc := a.class(rest)
	heads = a.heads
	rh := heads[rc]
	nodes[r] = node{off: roff | freeBit, prev: h, next: nx, b: rh}
	hn.next = r
	nodes[nx].prev = r // nx == 0: the sentinel's last link
	nodes[rh].a = r    // rh == 0: a harmless write to the sentinel
	a.bitmap.set(rc)
	heads[rc] = r
	if r-a.home(roff) >= homeWindow { // place, written out
		a.index.insert(roff, r)
	}
	return Offset(start), nil
}

// AllocAligned is like Alloc except that the block's offset is a multiple
// of align, a power of two (an align at or below Config.Align is the same as
// Alloc). The padding between the free block's start and the aligned offset
// stays a free block when a node is available for it; otherwise it is
// absorbed into the live block before it, whose SizeOf grows by the padding.
// The search looks for a block of size+align-Align bytes, so that any
// padding fits, then checks a few blocks of the request's own size (see
// doc.go): a tight aligned fit deeper in the structures can be missed. An
// align that is not a power of two, or above 1<<62, is
// memkit.ErrInvalidSize.
func (a *Allocator) AllocAligned(size, align uint64) (Offset, error) {
	if align <= a.align {
		if align == 0 || align&(align-1) != 0 {
			return 0, a.fail("alloc aligned", size, align, memkit.ErrInvalidSize)
		}
		return a.Alloc(size)
	}
	s, ok := a.round(size)
	if !ok || align&(align-1) != 0 || align > MaxSize {
		return 0, a.fail("alloc aligned", size, align, memkit.ErrInvalidSize)
	}
	worst := s + align - a.align // < 1<<63: both terms ≤ 1<<62
	if a.policy == FirstFit {
		var li uint32
		var k int
		if worst <= a.size {
			li, k = a.ffFits(worst, 0)
		}
		if li == 0 {
			li, k = a.ffFits(s, align)
		}
		if li == 0 {
			return 0, a.failNoFit("alloc aligned", size, align)
		}
		start := a.ff.leaves[li].keys[k] &^ freeBit
		return Offset(a.ffTake(li, k, alignPad(start, align), s)), nil
	}
	var i uint32
	if worst <= a.size {
		i = a.goodFit(worst)
	}
	if i == 0 {
		i = a.goodFitAligned(s, align)
	}
	if i == 0 {
		return 0, a.failNoFit("alloc aligned", size, align)
	}
	return Offset(a.take(i, alignPad(a.start(i), align), s)), nil
}

// alignPad returns the bytes from start to its next multiple of align.
func alignPad(start, align uint64) uint64 {
	return (start+align-1)&^(align-1) - start
}

// fitsAligned reports whether free block i holds s bytes at its first
// offset aligned to align.
func (a *Allocator) fitsAligned(i uint32, s, align uint64) bool {
	return fitsAt(a.start(i), a.end(i), s, align)
}

// fitsAt reports whether [start, end) holds s bytes at its first offset
// aligned to align.
func fitsAt(start, end, s, align uint64) bool {
	at := start + alignPad(start, align)
	return at <= end && end-at >= s
}

// fail records a failed allocation and returns the Allocator's *Error.
func (a *Allocator) fail(op string, size, align uint64, err error) error {
	a.failed++
	a.err = Error{Op: op, Size: size, Align: align, Err: err}
	return &a.err
}

// failNoFit fails with ErrNoMetadata when the budget is spent, else with
// ErrOutOfMemory.
func (a *Allocator) failNoFit(op string, size, align uint64) error {
	if !a.hasSpareNode() {
		return a.fail(op, size, align, memkit.ErrNoMetadata)
	}
	return a.fail(op, size, align, memkit.ErrOutOfMemory)
}

// take (GoodFit) turns free block i into a live block of s bytes starting pad bytes
// into it (pad a multiple of Align; the block holds pad+s bytes at least).
// The padding becomes a free block, or joins the live block before i when no
// node is left; the remainder after the live block becomes a free block, or
// stays in the live block when no node is left. It returns the live block's
// offset.
func (a *Allocator) take(i uint32, pad, s uint64) uint64 {
	a.unfile(i)
	if pad > 0 {
		if j := a.newNodeFor(a.start(i) + pad); j != 0 {
			// i keeps the padding as a free block; j is the new live block.
			a.link(i, j, a.start(i)+pad)
			a.freeBlocks++
			a.refile(i)
			i = j
		} else {
			// Absorb the padding into the live block before i (there is
			// one: i is free, so its neighbour is live, and a block at
			// offset 0 needs no padding).
			a.unindex(i)
			a.nodes[i].off = (a.start(i) + pad) | freeBit
			a.reindex(i)
			a.allocated += pad
		}
	}
	n := &a.nodes[i]
	n.off &^= freeBit
	off := n.off
	a.freeBlocks--
	a.live++
	a.allocs++
	if b := a.blockSize(i); b > s {
		if r := a.newNodeFor(off + s); r != 0 {
			a.link(i, r, off+s)
			a.nodes[r].off |= freeBit
			a.freeBlocks++
			a.refile(r)
		} else {
			s = b
			a.whole++
		}
	}
	a.allocated += s
	return off
}

// link puts unused node j right after block i, starting at off (inside i),
// and files j in the policy's structures as a live block (callers mark it
// free and refile it when it is free).
func (a *Allocator) link(i, j uint32, off uint64) {
	ni := &a.nodes[i]
	next := ni.next
	a.nodes[j] = node{off: off, prev: i, next: next}
	ni.next = j
	a.nodes[next].prev = j // next == 0: the sentinel's last link
	a.place(j, off)
}

// appendBlock adds a block at off, above every block's start, as the last
// block, for UnmarshalBinary (off 0 sets the state of the first block,
// which init made). GoodFit's lists are left to the caller. It reports
// false when the budget is spent.
func (a *Allocator) appendBlock(off uint64, free bool) bool {
	if a.policy == FirstFit {
		return a.ffAppend(off, free)
	}
	i := a.nodes[0].prev
	if off != 0 {
		j := a.newNodeFor(off)
		if j == 0 {
			return false
		}
		a.link(i, j, off)
		i = j
	}
	if free {
		off |= freeBit
	}
	a.nodes[i].off = off
	return true
}

// unindex and reindex bracket a change of block i's offset.
func (a *Allocator) unindex(i uint32) { a.unplace(i, a.start(i)) }

func (a *Allocator) reindex(i uint32) { a.place(i, a.start(i)) }

// unfile takes free block i out of its free list before its size or state
// changes.
func (a *Allocator) unfile(i uint32) { a.listRemove(i, a.blockSize(i)) }

// refile files free block i after its size or state changed.
func (a *Allocator) refile(i uint32) { a.listPush(i, a.blockSize(i)) }

// Free frees the live block that starts at off; its bytes merge at once
// with free neighbours. Anything but the start of a live block (an offset
// past the end, misaligned, inside a block, or the start of a free block)
// fails with an error wrapping memkit.ErrInvalidFree (memkit.ErrDoubleFree
// for the start of a free block) and changes nothing.
func (a *Allocator) Free(off Offset) error {
	if a.policy == FirstFit {
		return a.ffFree(off)
	}
	// GoodFit, with the merges written out: each neighbour is read once and
	// the freed block's index entry is removed at the slot its lookup found.
	o := uint64(off)
	if o >= a.size || o&(a.align-1) != 0 {
		_, err := a.lookup("free", off)
		return err
	}
	nodes := a.nodes
	i := a.find(o)
	if i == 0 || nodes[i].off&freeBit != 0 {
		_, err := a.lookup("free", off)
		return err
	}
	// The sentinel node 0 stands for a missing neighbour: it is live and
	// starts at the space's end, so neither test below needs a nil check.
	// Nothing below allocates, so pointers into nodes stay valid.
	n := &nodes[i]
	p, q := n.prev, n.next
	pn, qn := &nodes[p], &nodes[q]
	poff, qoff := pn.off, qn.off
	end := qoff &^ freeBit
	a.allocated -= end - o
	a.live--
	a.frees++
	start := o
	if poff&freeBit != 0 {
		// p absorbs i, whose node leaves the index if it was there (place
		// and unplace written out: they are not inlined).
		if i-a.home(o) >= homeWindow {
			a.index.removeNode(nodes, o, i)
		}
		start = poff &^ freeBit
		a.listRemove(p, o-start)
		pn.next = q
		qn.prev = p
		a.releaseNode(i)
		i, n = p, pn
	} else {
		a.freeBlocks++
	}
	if qoff&freeBit != 0 {
		// i absorbs q.
		qq := qn.next
		qend := nodes[qq].off &^ freeBit
		nodes[qq].prev = i
		a.listRemove(q, qend-end)
		if q-a.home(end) >= homeWindow {
			a.index.removeNode(nodes, end, q)
		}
		n.next = qq
		a.releaseNode(q)
		a.freeBlocks--
		end = qend
	}
	// listPush(i, end-start), written out: the call costs more than it.
	c := a.class(end - start)
	heads := a.heads
	h := heads[c]
	n.off, n.a, n.b = start|freeBit, 0, h
	nodes[h].a = i // h == 0: a harmless write to the sentinel
	a.bitmap.set(c)
	heads[c] = i
	return nil
}

// lookup finds GoodFit's live block that starts at off, or explains why
// there is none.
func (a *Allocator) lookup(op string, off Offset) (uint32, error) {
	o := uint64(off)
	if err := a.checkOff(op, o); err != nil {
		return 0, err
	}
	i := a.find(o)
	if err := a.blockErr(op, o, i != 0, i != 0 && a.isFree(i)); err != nil {
		return 0, err
	}
	return i, nil
}

// checkOff rejects an offset past the end or not a multiple of Align.
func (a *Allocator) checkOff(op string, o uint64) error {
	if o >= a.size {
		return fmt.Errorf("offset: %s %#x: past the end of the %#x-byte space: %w", op, o, a.size, memkit.ErrInvalidFree)
	}
	if o&(a.align-1) != 0 {
		return fmt.Errorf("offset: %s %#x: not a multiple of the alignment %d: %w", op, o, a.align, memkit.ErrInvalidFree)
	}
	return nil
}

// blockErr explains why o is not the start of a live block, given whether
// a block starts there and whether it is free; nil when it is a live one.
func (a *Allocator) blockErr(op string, o uint64, found, free bool) error {
	if !found {
		return fmt.Errorf("offset: %s %#x: not the start of a block: %w", op, o, memkit.ErrInvalidFree)
	}
	if free {
		return fmt.Errorf("offset: %s %#x: block is free: %w", op, o, memkit.ErrDoubleFree)
	}
	return nil
}

// SizeOf returns the size of the live block that starts at off: the
// request rounded up to Align, or more when the block was handed out whole
// or absorbed padding. Anything but the start of a live block fails like
// Free.
func (a *Allocator) SizeOf(off Offset) (uint64, error) {
	if a.policy == FirstFit {
		li, k, err := a.ffLookup("size of", off)
		if err != nil {
			return 0, err
		}
		l := &a.ff.leaves[li]
		return l.endAt(k) - uint64(off), nil
	}
	i, err := a.lookup("size of", off)
	if err != nil {
		return 0, err
	}
	return a.blockSize(i), nil
}

// Stats returns the current statistics. It costs O(1) for FirstFit and, for
// GoodFit, a walk of the largest non-empty class's list (to make
// LargestFree exact).
func (a *Allocator) Stats() Stats {
	if a.size == 0 {
		return Stats{}
	}
	s := Stats{
		Size:          a.size,
		Allocated:     a.allocated,
		Free:          a.size - a.allocated,
		Live:          a.live,
		FreeBlocks:    a.freeBlocks,
		Nodes:         a.nodesInUse,
		NodeCap:       len(a.nodes) - 1,
		MetadataBytes: a.metadataBytes(),
		Allocs:        a.allocs,
		Frees:         a.frees,
		Failed:        a.failed,
		WholeBlocks:   a.whole,
	}
	if a.policy == FirstFit {
		s.Nodes, s.NodeCap, s.LargestFree = a.ff.n, a.ff.capBlocks, a.ff.largest()
		return s
	}
	s.LargestFree = a.largestFree()
	return s
}

// largestFree returns GoodFit's largest free block: the largest in the
// highest non-empty class.
func (a *Allocator) largestFree() uint64 {
	c, ok := a.bitmap.last()
	if !ok {
		return 0
	}
	var m uint64
	for i := a.heads[c]; i != 0; i = a.nodes[i].b {
		m = max(m, a.blockSize(i))
	}
	return m
}

// nodeBytes is the size of one node record.
const nodeBytes = 24

func (a *Allocator) metadataBytes() uint64 {
	if a.policy == FirstFit {
		return a.ff.bytes()
	}
	return uint64(cap(a.nodes))*nodeBytes + uint64(cap(a.heads))*4 + a.index.bytes() + 65*8 // 65 words of bitmap
}

// Reset frees every block at once: the space becomes one free block. It
// keeps the metadata (no Go allocation) and the lifetime counters.
func (a *Allocator) Reset() {
	if a.size == 0 {
		return
	}
	a.reset()
}

// Grow extends the space to newSize bytes (rounded down to Align); live
// blocks stay where they are. The new bytes merge with a free last block,
// or become a new free block, which needs a node (memkit.ErrNoMetadata
// when none is left). A newSize below the current size or above MaxSize is
// memkit.ErrInvalidSize; equal is a no-op. GoodFit's list heads cover the
// classes up to the space's size, so a Grow into larger classes allocates
// a bigger head array (a few hundred bytes).
func (a *Allocator) Grow(newSize uint64) error {
	if a.size == 0 {
		return fmt.Errorf("offset: grow to %d: allocator not initialized: %w", newSize, memkit.ErrInvalidConfig)
	}
	if newSize > MaxSize {
		return fmt.Errorf("offset: grow to %d: above 1<<62: %w", newSize, memkit.ErrInvalidSize)
	}
	ns := newSize &^ (a.align - 1)
	if ns < a.size {
		return fmt.Errorf("offset: grow to %d: below the current size %d: %w", newSize, a.size, memkit.ErrInvalidSize)
	}
	if ns == a.size {
		return nil
	}
	if a.policy == FirstFit {
		return a.ffGrow(ns, newSize)
	}
	if !a.isFree(a.nodes[0].prev) && !a.hasSpareNode() {
		return fmt.Errorf("offset: grow to %d: no node for the new free block: %w", newSize, memkit.ErrNoMetadata)
	}
	if a.class(ns) >= len(a.heads) {
		// A bigger space has bigger classes: the only allocation Grow makes.
		heads := make([]uint32, a.class(ns)+1)
		copy(heads, a.heads)
		a.heads = heads
	}
	l := a.nodes[0].prev
	if a.isFree(l) {
		a.unfile(l)
		a.setSize(ns)
		a.refile(l)
		return nil
	}
	r := a.newNodeFor(a.size)
	if r == 0 {
		return fmt.Errorf("offset: grow to %d: no node for the new free block: %w", newSize, memkit.ErrNoMetadata)
	}
	old := a.size
	a.setSize(ns)
	a.link(l, r, old)
	a.nodes[r].off |= freeBit
	a.freeBlocks++
	a.refile(r)
	return nil
}

// Walk calls fn for every block, free or live, in address order, until fn
// returns false. fn must not call the Allocator's mutating methods.
func (a *Allocator) Walk(fn func(b Block) bool) {
	a.walk(func(start, end uint64, free bool) bool {
		return fn(Block{Off: Offset(start), Size: end - start, Free: free})
	})
}

// walk calls fn with every block's bounds and state, in address order,
// until fn returns false: the one place that knows how each policy lists
// its blocks (Walk, MarshalBinary and Check build on it).
func (a *Allocator) walk(fn func(start, end uint64, free bool) bool) {
	if a.size == 0 {
		return
	}
	if a.policy == FirstFit {
		a.ff.walk(fn)
		return
	}
	for i := a.nodes[0].next; i != 0; i = a.nodes[i].next {
		if !fn(a.start(i), a.end(i), a.isFree(i)) {
			return
		}
	}
}

// Config returns the configuration the Allocator runs with now (Size is the
// current, rounded size).
func (a *Allocator) Config() Config {
	return Config{Size: a.size, Align: a.align, MaxNodes: a.maxNodes, Policy: a.policy}
}

// Error is the error a failed Alloc or AllocAligned returns. It unwraps to
// one of memkit's sentinels.
type Error struct {
	Op    string // "alloc" or "alloc aligned"
	Size  uint64 // requested bytes
	Align uint64 // requested alignment (0 for Alloc)
	Err   error  // memkit.ErrInvalidSize, ErrOutOfMemory or ErrNoMetadata
}

// Error formats the failure, e.g. "offset: alloc 4096: memkit: out of memory".
func (e *Error) Error() string {
	if e.Align != 0 {
		return fmt.Sprintf("offset: %s %d (align %d): %v", e.Op, e.Size, e.Align, e.Err)
	}
	return fmt.Sprintf("offset: %s %d: %v", e.Op, e.Size, e.Err)
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }
