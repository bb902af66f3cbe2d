// The B+-tree: FirstFit's index of every block by offset, with free-size maxima.

package offset

import "math/bits"

// btree holds every block of a FirstFit space, free or live, in address
// order. Leaves store each block's start offset (freeBit set for a free
// block); a block's size is the next entry's offset, or the leaf's end for
// its last entry. Inner nodes store, per child, the child subtree's first
// block offset and the size of its largest free block, so one root-to-leaf
// descent finds either the block at an offset (by key) or the lowest free
// block that fits (by maximum).
//
// Nodes live in two pools of fixed-size structs referenced by uint32 index
// (index 0 of each pool is never used: 0 means "none"), so the GC never
// scans them. The pools are sized in advance for the worst case of capBlocks
// blocks (every non-root node at its minimum fill), so an insertion never
// allocates, and a budget of n blocks always holds n blocks.
//
// Invariants (checked by Allocator.Check):
//   - every leaf is at depth height; a non-root leaf holds leafMin to
//     leafCap entries, a non-root inner node innerMin to innerCap children,
//     an inner root at least 2, a leaf root at least 1;
//   - keys increase strictly across the leaf chain, which links the leaves
//     in address order; a leaf's end is the next leaf's first key, or the
//     space's size for the last leaf;
//   - an inner node's key[j] is the first key of child j's subtree and
//     max[j] its largest free block; rootMax is the whole tree's. The tail
//     (the last block, when free) counts in no maximum: firstFit falls
//     back to it, and carving it repairs nothing;
//   - lastLeaf is the last leaf of the chain;
//   - unused slots hold noKey (leaf and inner keys), 0 (maxima, children),
//     so descents may scan whole arrays without reading a count.
type btree struct {
	leaves []leaf  // leaf pool; leaves[0] unused
	inners []inner // inner-node pool; inners[0] unused

	root     uint32 // a leaf when height is 0, else an inner node
	height   int    // inner levels above the leaves
	rootMax  uint64 // largest free block of the whole tree, the tail left out
	n        int    // blocks (entries in all leaves)
	lastLeaf uint32 // the last leaf, which holds the tail

	capBlocks int // blocks the pools are sized for (worst case)

	freeLeaves, freeInners uint32 // unused-node lists, linked through leaf.next and inner.child[0]
	usedLeaves, usedInners uint32 // high-water marks: pool entries at or past them were never used and are zero

	// The path of the last descent: the inner node at each level, root
	// first, and the child slot taken in it.
	path [maxHeight]uint32
	slot [maxHeight]int
}

const (
	leafCap  = 13 // entries in a leaf: with its end and links, 128 bytes (two cache lines)
	leafMin  = 6  // fewest entries in a non-root leaf; leafCap+1 splits into two of 7
	innerCap = 16 // children of an inner node
	innerMin = 8  // fewest children of a non-root inner node

	// maxHeight bounds the inner levels: a tree of MaxNodes blocks has at
	// most MaxNodes/leafMin leaves and, with innerMin children per node,
	// at most 10 inner levels (TestTreePoolBound).
	maxHeight = 16

	leafBytes  = 128 // size of a leaf
	innerBytes = 384 // size of an inner node: six cache lines, so that each array starts a line
)

// noKey fills unused key slots: it compares above every offset, has no
// freeBit (so it never reads as a free block), and is below 1<<63, so a
// comparison with an offset can be done by subtraction. Bit 62 is set in
// it and in no offset.
const noKey = 1<<63 - 1

// leaf is a leaf of the B+-tree: up to leafCap block starts in address
// order.
type leaf struct {
	keys       [leafCap]uint64 // block starts, freeBit for free blocks; noKey past n
	end        uint64          // end of the last block: the next leaf's first key, or the space's size
	next, prev uint32          // leaf chain in address order (0: none); next links the unused list
	n          uint32          // entries in use
	_          uint32
}

// inner is an inner node: up to innerCap children in address order.
type inner struct {
	key   [innerCap]uint64 // key[j]: first block offset in child j's subtree; noKey past n
	max   [innerCap]uint64 // max[j]: largest free block in child j's subtree; 0 past n
	child [innerCap]uint32 // child j: an inner node, or a leaf on the lowest level
	n     uint32           // children in use
	_     [15]uint32       // pads the node to innerBytes
}

// first returns the offset of the leaf's first block.
func (l *leaf) first() uint64 { return l.keys[0] &^ freeBit }

// endAt returns the end of entry k: the next entry's start, or the leaf's
// end.
func (l *leaf) endAt(k int) uint64 {
	if k+1 < int(l.n) {
		return l.keys[k+1] &^ freeBit
	}
	return l.end
}

// maxFree returns the size of the leaf's largest free block, with no
// branch on the data (see freeSize).
func (l *leaf) maxFree() uint64 {
	return max(max(max(max(max(l.freeSize(0), l.freeSize(1)), max(l.freeSize(2), l.freeSize(3))), max(max(l.freeSize(4), l.freeSize(5)), max(l.freeSize(6), l.freeSize(7)))), max(max(l.freeSize(8), l.freeSize(9)), max(l.freeSize(10), l.freeSize(11)))),
		l.lastSize())
}

// lastSize returns the size of the leaf's last entry when it is free and
// counted: the tail (the last block of the space, in the last leaf) is not.
func (l *leaf) lastSize() uint64 {
	e := l.keys[l.n-1]
	nx := uint64(l.next)
	return (l.end - e&^freeBit) & -(e >> 63) & -((nx | -nx) >> 63)
}

// counted returns the size of entry k as the maxima count it: 0 for a live
// block and for the tail.
func (l *leaf) counted(k int) uint64 {
	e := l.keys[k]
	if e&freeBit == 0 || (k == int(l.n)-1 && l.next == 0) {
		return 0
	}
	return l.endAt(k) - e&^freeBit
}

// freeSize returns the size of entry k when it is free and entry k+1 is
// in use, else 0: the top bit says free, and bit 62 of a key is set only in
// noKey.
func (l *leaf) freeSize(k int) uint64 {
	e, nx := l.keys[k], l.keys[k+1]
	return (nx&^freeBit - e&^freeBit) & -(e >> 63) & (nx>>62&1 - 1)
}

// fits returns a mask with bit k set when entry k is a free block of at
// least s bytes, the tail left out.
func (l *leaf) fits(s uint64) uint64 {
	return ge(l.lastSize(), s)<<(l.n-1) |
		ge(l.freeSize(0), s) |
		ge(l.freeSize(1), s)<<1 |
		ge(l.freeSize(2), s)<<2 |
		ge(l.freeSize(3), s)<<3 |
		ge(l.freeSize(4), s)<<4 |
		ge(l.freeSize(5), s)<<5 |
		ge(l.freeSize(6), s)<<6 |
		ge(l.freeSize(7), s)<<7 |
		ge(l.freeSize(8), s)<<8 |
		ge(l.freeSize(9), s)<<9 |
		ge(l.freeSize(10), s)<<10 |
		ge(l.freeSize(11), s)<<11
}

// seekKey returns the last entry that starts at or below off (≥ the
// first entry's start), as count does for an inner node.
func (l *leaf) seekKey(off uint64) int {
	g := 4 * int(ge(off, l.keys[4]&^freeBit)+ge(off, l.keys[8]&^freeBit)+ge(off, l.keys[12]&^freeBit))
	if g == 12 {
		return 12 // the last slot
	}
	k := l.keys[g+1 : g+4 : g+4]
	return g + int(ge(off, k[0]&^freeBit)+ge(off, k[1]&^freeBit)+ge(off, k[2]&^freeBit))
}

// The scans below are written out slot by slot: every slot is compared,
// with no branch on the data (unused slots hold noKey or 0 and drop out),
// and with constant shifts the compiler keeps each in a few instructions.

// ge returns 1 when a ≥ b, else 0; both must be below 1<<63.
func ge(a, b uint64) uint64 { return (a-b)>>63 ^ 1 }

// fits returns a mask with bit j set when child j's largest free block
// holds s bytes.
func (x *inner) fits(s uint64) uint64 {
	return ge(x.max[0], s) |
		ge(x.max[1], s)<<1 |
		ge(x.max[2], s)<<2 |
		ge(x.max[3], s)<<3 |
		ge(x.max[4], s)<<4 |
		ge(x.max[5], s)<<5 |
		ge(x.max[6], s)<<6 |
		ge(x.max[7], s)<<7 |
		ge(x.max[8], s)<<8 |
		ge(x.max[9], s)<<9 |
		ge(x.max[10], s)<<10 |
		ge(x.max[11], s)<<11 |
		ge(x.max[12], s)<<12 |
		ge(x.max[13], s)<<13 |
		ge(x.max[14], s)<<14 |
		ge(x.max[15], s)<<15
}

// count returns the number of children after the first that start at or
// below off (≥ key[0]): the slot a lookup of off descends into. Keys are
// sorted, so three compares pick the group of four that holds the answer
// and three more finish it.
func (x *inner) count(off uint64) int {
	g := 4 * int(ge(off, x.key[4])+ge(off, x.key[8])+ge(off, x.key[12]))
	k := x.key[g : g+4 : g+4]
	return g + int(ge(off, k[1])+ge(off, k[2])+ge(off, k[3]))
}

// maxAll returns the largest free block under the inner node.
func (x *inner) maxAll() uint64 {
	return max(max(max(max(x.max[0], x.max[1]), max(x.max[2], x.max[3])), max(max(x.max[4], x.max[5]), max(x.max[6], x.max[7]))), max(max(max(x.max[8], x.max[9]), max(x.max[10], x.max[11])), max(max(x.max[12], x.max[13]), max(x.max[14], x.max[15]))))
}

// maxLeaves is the most leaves a tree of n blocks can need.
func maxLeaves(n int) int { return max(1, n/leafMin) }

// maxInners is the most inner nodes a tree of n blocks can need: each level
// holds at most a 1/innerMin of the one below (at least one node) until a
// single root.
func maxInners(n int) int {
	total := 0
	for c := maxLeaves(n); c > 1; {
		c = max(1, c/innerMin)
		total += c
	}
	return total
}

// init sizes the pools for capBlocks blocks and makes the tree one free
// block [0, size).
func (t *btree) init(capBlocks int, size uint64) {
	*t = btree{
		leaves:    make([]leaf, maxLeaves(capBlocks)+1),
		inners:    make([]inner, maxInners(capBlocks)+1),
		capBlocks: capBlocks,
	}
	t.reset(size)
}

// reset makes the tree one free block [0, size), keeping the pools. It
// clears what was used: O(high-water marks).
func (t *btree) reset(size uint64) {
	clear(t.leaves[:max(t.usedLeaves, 1)])
	clear(t.inners[:max(t.usedInners, 1)])
	t.usedLeaves, t.usedInners = 1, 1
	t.freeLeaves, t.freeInners = 0, 0
	t.height, t.n = 0, 1
	t.root = t.newLeaf()
	t.lastLeaf = t.root
	l := &t.leaves[t.root]
	l.keys[0], l.n, l.end = freeBit, 1, size
	t.rootMax = 0 // the one block is the tail
}

// grow resizes the pools for capBlocks blocks, keeping every node where it
// is.
func (t *btree) grow(capBlocks int) {
	leaves := make([]leaf, maxLeaves(capBlocks)+1)
	copy(leaves, t.leaves)
	inners := make([]inner, maxInners(capBlocks)+1)
	copy(inners, t.inners)
	t.leaves, t.inners, t.capBlocks = leaves, inners, capBlocks
}

// bytes returns the Go memory the pools hold.
func (t *btree) bytes() uint64 {
	return uint64(cap(t.leaves))*leafBytes + uint64(cap(t.inners))*innerBytes
}

// poolNode is what a pool holds: a leaf or an inner node, through a
// pointer with the two operations the pool needs.
type poolNode[E any] interface {
	*E
	link() *uint32 // the unused-list link of an unused node
	empty()        // makes the node empty: keys noKey, all else 0
}

func (l *leaf) link() *uint32  { return &l.next }
func (x *inner) link() *uint32 { return &x.child[0] }

func (l *leaf) empty()  { *l = emptyLeaf }
func (x *inner) empty() { *x = emptyInner }

// emptyLeaf and emptyInner are nodes with no entries: keys noKey, all
// else 0.
var emptyLeaf, emptyInner = func() (l leaf, x inner) {
	for k := range l.keys {
		l.keys[k] = noKey
	}
	for k := range x.key {
		x.key[k] = noKey
	}
	return l, x
}()

// get returns an empty node of the pool items: the head of its unused
// list (free) or the next never-used one (used, the high-water mark). The
// pools are sized for the worst case, so there always is one.
func get[E any, P poolNode[E]](items []E, free, used *uint32) uint32 {
	i := *free
	if i != 0 {
		*free = *P(&items[i]).link()
	} else {
		i = *used
		*used++
	}
	P(&items[i]).empty()
	return i
}

// put returns node i to the unused list of its pool.
func put[E any, P poolNode[E]](items []E, free *uint32, i uint32) {
	var zero E
	items[i] = zero
	*P(&items[i]).link() = *free
	*free = i
}

// countUnused returns the length of a pool's unused list, or -1 when the
// list leaves the nodes handed out (used) or loops.
func countUnused[E any, P poolNode[E]](items []E, free, used uint32) int {
	n := 0
	for i := free; i != 0; i = *P(&items[i]).link() {
		if i >= used || n >= len(items) {
			return -1
		}
		n++
	}
	return n
}

// insertInto writes src with v inserted at position k into buf and
// returns that part of buf.
func insertInto[T ~uint64 | ~uint32](buf, src []T, k int, v T) []T {
	copy(buf, src[:k])
	buf[k] = v
	copy(buf[k+1:], src[k:])
	return buf[:len(src)+1]
}

// share redistributes the first na entries of a and nb of b, in order, so
// that a keeps half of them (rounded down) and b the rest; the slots past
// each one's new count are set to fill. It returns a's new count.
func share[T ~uint64 | ~uint32](a, b []T, na, nb int, fill T) int {
	var buf [2 * innerCap]T
	copy(buf[:], a[:na])
	copy(buf[na:], b[:nb])
	h := (na + nb) / 2
	for k := range a {
		a[k] = fill
	}
	for k := range b {
		b[k] = fill
	}
	copy(a, buf[:h])
	copy(b, buf[h:na+nb])
	return h
}

func (t *btree) newLeaf() uint32    { return get(t.leaves, &t.freeLeaves, &t.usedLeaves) }
func (t *btree) freeLeaf(i uint32)  { put(t.leaves, &t.freeLeaves, i) }
func (t *btree) newInner() uint32   { return get(t.inners, &t.freeInners, &t.usedInners) }
func (t *btree) freeInner(i uint32) { put(t.inners, &t.freeInners, i) }

// seek descends by key to the leaf entry that holds offset off (the last
// entry starting at or below it), recording the path. off must be below
// the space's size.
func (t *btree) seek(off uint64) (uint32, int) {
	x := t.root
	for lv := 0; lv < t.height; lv++ {
		in := &t.inners[x]
		// Count the children after the first that start at or below off:
		// unused slots hold noKey, so the whole array can be scanned
		// without a data-dependent exit.
		j := in.count(off)
		t.path[lv], t.slot[lv] = x, j
		x = in.child[j]
	}
	return x, t.leaves[x].seekKey(off)
}

// firstFit descends by maximum to the lowest free block of at least s
// bytes, recording the path, and returns its leaf and entry, or leaf 0
// when none fits. The tail, being the last block, is the lowest fit only
// when no counted block fits.
func (t *btree) firstFit(s uint64) (uint32, int) {
	x := t.root
	if t.rootMax < s {
		if t.tail() < s {
			return 0, 0
		}
		// The tail: the last entry down the rightmost path.
		for lv := 0; lv < t.height; lv++ {
			in := &t.inners[x]
			j := int(in.n) - 1
			t.path[lv], t.slot[lv] = x, j
			x = in.child[j]
		}
		return x, int(t.leaves[x].n) - 1
	}
	// Each level builds a mask of the slots that fit and takes the lowest:
	// every slot is compared, with no exit to mispredict.
	for lv := 0; lv < t.height; lv++ {
		in := &t.inners[x]
		j := bits.TrailingZeros64(in.fits(s)) // not 0: the parent's maximum fits
		t.path[lv], t.slot[lv] = x, j
		x = in.child[j]
	}
	return x, bits.TrailingZeros64(t.leaves[x].fits(s))
}

// tail returns the size of the last block of the space when it is free,
// else 0.
func (t *btree) tail() uint64 {
	l := &t.leaves[t.lastLeaf]
	e := l.keys[l.n-1]
	return (l.end - e&^freeBit) & -(e >> 63)
}

// largest returns the size of the largest free block.
func (t *btree) largest() uint64 { return max(t.rootMax, t.tail()) }

// fixUp stores a changed child's first key and maximum at path level lv
// and repairs the levels above, stopping at the first level where nothing
// changes. lv = height-1 is the leaf's parent; lv = -1 means the child is
// the root. moved says whether the child's first key may have changed:
// when not, no key is read or written (an allocation's descent reads only
// the maxima, so the key lines stay out of the cache).
//
// Every stored entry above the changed child must equal the maximum of
// the entries below it, as they were: then a node's old maximum is what
// its parent holds for it, and its new one is known without reading its
// other entries unless the child held the maximum alone and shrank.
func (t *btree) fixUp(lv int, first, mx uint64, moved bool) {
	if lv < 0 {
		t.rootMax = mx
		return
	}
	in := &t.inners[t.path[lv]]
	j := t.slot[lv]
	old := in.max[j]
	for {
		if old == mx && (!moved || in.key[j] == first) {
			return
		}
		in.max[j] = mx
		if moved {
			in.key[j] = first
			moved = j == 0
			first = in.key[0]
		}
		// The node's old maximum is what its parent (or rootMax) holds.
		var up *inner
		var uj int
		nodeOld := t.rootMax
		if lv > 0 {
			up, uj = &t.inners[t.path[lv-1]], t.slot[lv-1]
			nodeOld = up.max[uj]
		}
		if mx < nodeOld {
			if old < nodeOld {
				mx = nodeOld // another child holds the maximum
			} else {
				mx = in.maxAll() // this child held it and shrank
			}
		}
		if lv == 0 {
			t.rootMax = mx
			return
		}
		lv--
		in, j, old = up, uj, nodeOld
	}
}

// touch repairs the maxima above leaf li, reached by the recorded path,
// after its entries changed (the leaf keeps at least its minimum fill).
func (t *btree) touch(li uint32) {
	l := &t.leaves[li]
	t.fixUp(t.height-1, l.first(), l.maxFree(), true)
}

// update is touch for a change that removed a free block of gone bytes
// (0: none) from leaf li and added or grew free blocks of at most added
// bytes, leaving the others alone (sizes as counted: see counted); moved
// says whether the leaf's first key changed. The leaf's old maximum is
// what is stored above it, so the new one needs no scan of the leaf unless
// the block that went was its largest and nothing as large came.
func (t *btree) update(li uint32, gone, added uint64, moved bool) {
	l := &t.leaves[li]
	m := t.rootMax
	if lv := t.height - 1; lv >= 0 {
		m = t.inners[t.path[lv]].max[t.slot[lv]]
	}
	if gone <= added || gone < m {
		m = max(m, added)
	} else {
		m = l.maxFree()
	}
	t.fixUp(t.height-1, l.first(), m, moved)
}

// refresh repairs the maxima above leaf li, which need not be on the
// recorded path (the path is overwritten).
func (t *btree) refresh(li uint32) {
	l := &t.leaves[li]
	t.seek(l.first())
	t.touch(li)
}

// insertAt inserts key e at position k ≥ 1 of leaf li, reached by the
// recorded path, splitting nodes up to the root as needed, and repairs the
// maxima; gone and added describe the change to the leaf as for update
// (the new entry included). The caller has checked that the pools hold one
// more block. The path is stale afterwards.
func (t *btree) insertAt(li uint32, k int, e, gone, added uint64) {
	t.n++
	l := &t.leaves[li]
	if l.n < leafCap {
		copy(l.keys[k+1:l.n+1], l.keys[k:l.n])
		l.keys[k] = e
		l.n++
		t.update(li, gone, added, false)
		return
	}
	// Split: leafCap+1 entries, half to a new right sibling.
	var buf [leafCap + 1]uint64
	all := insertInto(buf[:], l.keys[:], k, e)
	ri := t.newLeaf()
	l = &t.leaves[li]
	r := &t.leaves[ri]
	const left = (leafCap + 1) / 2
	l.keys = emptyLeaf.keys
	copy(l.keys[:], all[:left])
	copy(r.keys[:], all[left:])
	l.n, r.n = left, leafCap+1-left
	r.end = l.end
	l.end = r.first()
	r.next, r.prev = l.next, li
	if l.next != 0 {
		t.leaves[l.next].prev = ri
	} else {
		t.lastLeaf = ri
	}
	l.next = ri
	t.splitUp(t.height-1, l.first(), l.maxFree(), r.first(), r.maxFree(), ri)
}

// splitUp finishes a split at path level lv: the child in slot t.slot[lv]
// of t.path[lv] now has first key lf and maximum lm, and a new right
// sibling rc (first key rf, maximum rm) goes into the next slot. lv = -1:
// the split child was the root, and a new root holds both.
func (t *btree) splitUp(lv int, lf, lm, rf, rm uint64, rc uint32) {
	for ; lv >= 0; lv-- {
		xi := t.path[lv]
		j := t.slot[lv]
		x := &t.inners[xi]
		x.key[j], x.max[j] = lf, lm
		if x.n < innerCap {
			n := int(x.n)
			copy(x.key[j+2:n+1], x.key[j+1:n])
			copy(x.max[j+2:n+1], x.max[j+1:n])
			copy(x.child[j+2:n+1], x.child[j+1:n])
			x.key[j+1], x.max[j+1], x.child[j+1] = rf, rm, rc
			x.n++
			t.fixUp(lv-1, x.key[0], x.maxAll(), true)
			return
		}
		// Split x: innerCap+1 children, innerMin to a new right sibling.
		var kb, mb [innerCap + 1]uint64
		var cb [innerCap + 1]uint32
		keys := insertInto(kb[:], x.key[:], j+1, rf)
		maxs := insertInto(mb[:], x.max[:], j+1, rm)
		kids := insertInto(cb[:], x.child[:], j+1, rc)
		yi := t.newInner()
		x = &t.inners[xi]
		y := &t.inners[yi]
		const left = innerCap + 1 - innerMin
		*x = emptyInner
		copy(x.key[:], keys[:left])
		copy(x.max[:], maxs[:left])
		copy(x.child[:], kids[:left])
		copy(y.key[:], keys[left:])
		copy(y.max[:], maxs[left:])
		copy(y.child[:], kids[left:])
		x.n, y.n = left, innerMin
		lf, lm, rf, rm, rc = x.key[0], x.maxAll(), y.key[0], y.maxAll(), yi
	}
	// The root split: a new root over the old one and its new sibling.
	ni := t.newInner()
	x := &t.inners[ni]
	x.key[0], x.max[0], x.child[0] = lf, lm, t.root
	x.key[1], x.max[1], x.child[1] = rf, rm, rc
	x.n = 2
	t.root = ni
	t.height++
	if t.height > maxHeight {
		panic("offset: B+-tree deeper than maxHeight") // impossible: see maxHeight
	}
	t.rootMax = max(lm, rm)
}

// removeAt removes c (1 or 2) entries from position k of leaf li, reached
// by the recorded path: the block before them absorbs their bytes. It
// rebalances and repairs the maxima, the previous leaf's included when k is
// 0. The path is stale afterwards.
func (t *btree) removeAt(li uint32, k, c int) {
	t.n -= c
	l := &t.leaves[li]
	n := int(l.n)
	// For update: the largest free block removed, and the new size of the
	// block that absorbs them when it is a free one in this leaf.
	// The absorbing block's old size goes too: when it becomes the tail it
	// no longer counts, else its new size is larger.
	var gone, added uint64
	for j := max(k-1, 0); j < k+c; j++ {
		gone = max(gone, l.counted(j))
	}
	copy(l.keys[k:n-c], l.keys[k+c:n])
	for j := n - c; j < n; j++ {
		l.keys[j] = noKey
	}
	l.n -= uint32(c)
	if k > 0 {
		added = l.counted(k - 1)
	}
	if k != 0 || l.prev == 0 {
		t.rebalance(li, gone, added, k == 0)
		return
	}
	// The previous leaf's last block absorbed the entries: it now ends
	// where this leaf starts (a leaf keeps at least one entry).
	pi := l.prev
	p := &t.leaves[pi]
	p.end = l.first()
	grown := p.lastSize()
	if lv := t.height - 1; lv >= 0 && t.slot[lv] > 0 {
		// It is the sibling before this leaf: repair it through the same
		// path, then this leaf.
		t.slot[lv]--
		t.update(pi, 0, grown, false)
		t.slot[lv]++
		t.rebalance(li, gone, added, true)
		return
	}
	t.rebalance(li, gone, added, true)
	t.refresh(pi)
}

// rebalance repairs the tree above leaf li, reached by the recorded path,
// after entries left it (gone and added as for update): an under-full leaf
// borrows from or merges with a sibling, and an under-full inner node
// likewise, up to the root. moved says whether the leaf's first key
// changed.
func (t *btree) rebalance(li uint32, gone, added uint64, moved bool) {
	l := &t.leaves[li]
	lv := t.height - 1
	if l.n >= leafMin || lv < 0 {
		t.update(li, gone, added, moved)
		return
	}
	x := &t.inners[t.path[lv]]
	j := t.slot[lv]
	if j == int(x.n)-1 {
		j-- // pair the last child with its left sibling
	}
	ai, bi := x.child[j], x.child[j+1]
	a, b := &t.leaves[ai], &t.leaves[bi]
	if int(a.n+b.n) <= leafCap {
		// Merge b into a.
		copy(a.keys[a.n:], b.keys[:b.n])
		a.n += b.n
		a.end = b.end
		a.next = b.next
		if b.next != 0 {
			t.leaves[b.next].prev = ai
		} else {
			t.lastLeaf = ai
		}
		t.freeLeaf(bi)
		x.key[j], x.max[j] = a.first(), a.maxFree()
		t.removeChild(lv, j+1)
		return
	}
	// Share the entries evenly: both end with at least leafMin.
	tot := a.n + b.n
	a.n = uint32(share(a.keys[:], b.keys[:], int(a.n), int(b.n), noKey))
	b.n = tot - a.n
	a.end = b.first()
	x.key[j], x.max[j] = a.first(), a.maxFree()
	x.key[j+1], x.max[j+1] = b.first(), b.maxFree()
	t.fixUp(lv-1, x.key[0], x.maxAll(), true)
}

// removeChild removes slot j of the inner node at path level lv (whose
// other slots are up to date) and rebalances from there up.
func (t *btree) removeChild(lv int, j int) {
	for {
		xi := t.path[lv]
		x := &t.inners[xi]
		n := int(x.n)
		copy(x.key[j:n-1], x.key[j+1:n])
		copy(x.max[j:n-1], x.max[j+1:n])
		copy(x.child[j:n-1], x.child[j+1:n])
		n--
		x.key[n], x.max[n], x.child[n] = noKey, 0, 0
		x.n = uint32(n)
		if lv == 0 {
			if n == 1 {
				// The root has one child left: it becomes the root.
				t.root = x.child[0]
				t.rootMax = x.max[0]
				t.height--
				t.freeInner(xi)
				return
			}
			t.rootMax = x.maxAll()
			return
		}
		if n >= innerMin {
			t.fixUp(lv-1, x.key[0], x.maxAll(), true)
			return
		}
		// x is under-full: borrow from or merge with a sibling.
		lv--
		p := &t.inners[t.path[lv]]
		j = t.slot[lv]
		if j == int(p.n)-1 {
			j--
		}
		ai, bi := p.child[j], p.child[j+1]
		a, b := &t.inners[ai], &t.inners[bi]
		if int(a.n+b.n) <= innerCap {
			copy(a.key[a.n:], b.key[:b.n])
			copy(a.max[a.n:], b.max[:b.n])
			copy(a.child[a.n:], b.child[:b.n])
			a.n += b.n
			t.freeInner(bi)
			p.key[j], p.max[j] = a.key[0], a.maxAll()
			j++ // remove b's slot on the next round
			continue
		}
		na, nb := int(a.n), int(b.n)
		h := share(a.key[:], b.key[:], na, nb, noKey)
		share(a.max[:], b.max[:], na, nb, 0)
		share(a.child[:], b.child[:], na, nb, 0)
		a.n, b.n = uint32(h), uint32(na+nb-h)
		p.key[j], p.max[j] = a.key[0], a.maxAll()
		p.key[j+1], p.max[j+1] = b.key[0], b.maxAll()
		t.fixUp(lv-1, p.key[0], p.maxAll(), true)
		return
	}
}

// last returns the last leaf.
func (t *btree) last() uint32 {
	x := t.root
	for lv := 0; lv < t.height; lv++ {
		in := &t.inners[x]
		x = in.child[in.n-1]
	}
	return x
}

// firstLeaf returns the first leaf.
func (t *btree) firstLeaf() uint32 {
	x := t.root
	for lv := 0; lv < t.height; lv++ {
		x = t.inners[x].child[0]
	}
	return x
}

// walk calls fn for every block in address order until fn returns false.
func (t *btree) walk(fn func(start, end uint64, free bool) bool) {
	for li := t.firstLeaf(); li != 0; li = t.leaves[li].next {
		l := &t.leaves[li]
		for k := 0; k < int(l.n); k++ {
			if !fn(l.keys[k]&^freeBit, l.endAt(k), l.keys[k]&freeBit != 0) {
				return
			}
		}
	}
}
