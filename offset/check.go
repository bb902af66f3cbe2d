// Check: a full walk of the metadata against every invariant.

package offset

import (
	"fmt"

	"github.com/memkit/memkit"
)

// Check walks all metadata and returns an error wrapping memkit.ErrCorrupt
// at the first broken invariant: blocks that do not tile the space, a
// misaligned or empty block, two free neighbours, a counter that differs
// from a recount, and the policy's own structures: for GoodFit a broken
// link, a free block missing from (or a live block present in) the free
// lists, an index that does not find a block; for FirstFit any B+-tree
// invariant (see btree). It costs O(n) for n blocks and allocates no Go
// memory. The zero Allocator passes.
func (a *Allocator) Check() error {
	if a.size == 0 {
		return nil
	}
	var err error
	if a.policy == FirstFit {
		err = a.checkTree()
	} else {
		err = a.checkNodes()
	}
	if err != nil {
		return err
	}
	return a.checkBlocks()
}

// corrupt formats a Check failure.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("offset: check: %s: %w", fmt.Sprintf(format, args...), memkit.ErrCorrupt)
}

// checkBlocks checks the blocks as walk lists them (the policy's check has
// made sure the walk ends): they tile the space, each aligned and
// non-empty, no two free ones touch, and the counters equal a recount.
func (a *Allocator) checkBlocks() error {
	var (
		off, allocated   uint64
		live, freeN      int
		prevFree, broken bool
		err              error
	)
	a.walk(func(start, end uint64, free bool) bool {
		switch {
		case start != off:
			err = corrupt("block starts at %#x, want %#x (gap or overlap)", start, off)
		case end <= start || end > a.size:
			err = corrupt("block %#x ends at %#x (space %#x)", start, end, a.size)
		case start&(a.align-1) != 0 || end&(a.align-1) != 0:
			err = corrupt("block [%#x, %#x) not aligned to %d", start, end, a.align)
		case free && prevFree:
			err = corrupt("free blocks at %#x and before it not merged", start)
		}
		if err != nil {
			broken = true
			return false
		}
		if free {
			freeN++
		} else {
			live++
			allocated += end - start
		}
		prevFree = free
		off = end
		return true
	})
	if broken {
		return err
	}
	if off != a.size {
		return corrupt("blocks end at %#x, space is %#x", off, a.size)
	}
	nodes := a.nodesInUse
	if a.policy == FirstFit {
		nodes = a.ff.n
	}
	if live != a.live || freeN != a.freeBlocks || live+freeN != nodes || allocated != a.allocated {
		return corrupt("counters say %d live, %d free, %d nodes, %d bytes allocated; recount: %d, %d, %d, %d",
			a.live, a.freeBlocks, nodes, a.allocated, live, freeN, live+freeN, allocated)
	}
	return nil
}

// checkNodes checks GoodFit's node table: the sentinel, the address
// chain's links (so that walk ends), that find locates every block, the
// index, the unused-node list and the free lists.
func (a *Allocator) checkNodes() error {
	limit := len(a.nodes) // any walk longer than this loops
	var (
		prev    uint32
		count   int
		freeN   int
		indexed int // blocks whose node is outside their window
	)
	if s := a.nodes[0]; s.off != a.size || s.next == 0 || a.nodes[s.next].prev != 0 {
		return corrupt("sentinel node 0 is {end %#x, first %d, last %d}, want end %#x and a first block", s.off, s.next, s.prev, a.size)
	}
	for i := a.nodes[0].next; i != 0; i = a.nodes[i].next {
		if int(i) >= len(a.nodes) {
			return corrupt("link to node %d outside the table of %d", i, len(a.nodes))
		}
		if count++; count > limit {
			return corrupt("address chain loops")
		}
		n := a.nodes[i]
		start := n.off &^ freeBit
		if n.prev != prev {
			return corrupt("block %#x: prev link %d, want %d", start, n.prev, prev)
		}
		if int(n.next) >= len(a.nodes) {
			return corrupt("link to node %d outside the table of %d", n.next, len(a.nodes))
		}
		if n.next == 0 && i != a.nodes[0].prev {
			return corrupt("block %#x ends the chain but last is node %d", start, a.nodes[0].prev)
		}
		if n.off&freeBit != 0 {
			freeN++
		}
		if got := a.find(start); got != i {
			return corrupt("lookup of %#x finds node %d, want %d", start, got, i)
		}
		if !a.atHome(i, start) {
			indexed++
		}
		prev = i
	}
	unused := 0
	var back uint32
	for i := a.spare; i != 0; i = a.nodes[i].next {
		if i >= a.used || int(i) >= len(a.nodes) {
			return corrupt("unused list links to node %d past the high-water mark %d", i, a.used)
		}
		if unused++; unused > limit {
			return corrupt("unused-node list loops")
		}
		if n := a.nodes[i]; n.off != unusedOff || n.prev != back {
			return corrupt("unused node %d holds offset %#x and back link %d, want %#x and %d", i, n.off, n.prev, uint64(unusedOff), back)
		}
		back = i
	}
	if int(a.used)-1 != count+unused {
		return corrupt("%d nodes handed out, %d in blocks and %d unused", a.used-1, count, unused)
	}
	if n := a.index.count(); n != indexed {
		return corrupt("index holds %d entries, %d blocks sit outside their window", n, indexed)
	}
	return a.checkLists(freeN)
}

// checkLists checks GoodFit's free lists and bitmap: every listed block is
// free and filed under its class, links are symmetric, and the lists hold
// freeN blocks in all.
func (a *Allocator) checkLists(freeN int) error {
	listed := 0
	for c := range a.heads {
		h := a.heads[c]
		if (h != 0) != a.bitmap.has(c) {
			return fmt.Errorf("offset: check: class %d head %d but bitmap bit %v: %w", c, h, a.bitmap.has(c), memkit.ErrCorrupt)
		}
		var prev uint32
		for i := h; i != 0; i = a.nodes[i].b {
			if int(i) >= len(a.nodes) {
				return fmt.Errorf("offset: check: class %d links to node %d outside the table: %w", c, i, memkit.ErrCorrupt)
			}
			if listed++; listed > freeN {
				return fmt.Errorf("offset: check: free lists hold more than the %d free blocks: %w", freeN, memkit.ErrCorrupt)
			}
			if !a.isFree(i) {
				return fmt.Errorf("offset: check: live block %#x on the free list of class %d: %w", a.start(i), c, memkit.ErrCorrupt)
			}
			if got := a.class(a.blockSize(i)); got != c {
				return fmt.Errorf("offset: check: block %#x of %d bytes filed in class %d, want %d: %w", a.start(i), a.blockSize(i), c, got, memkit.ErrCorrupt)
			}
			if a.nodes[i].a != prev {
				return fmt.Errorf("offset: check: block %#x: list back link %d, want %d: %w", a.start(i), a.nodes[i].a, prev, memkit.ErrCorrupt)
			}
			prev = i
		}
	}
	if listed != freeN {
		return fmt.Errorf("offset: check: free lists hold %d blocks, chain has %d free: %w", listed, freeN, memkit.ErrCorrupt)
	}
	return nil
}

// checkTree checks FirstFit's B+-tree against every invariant of btree:
// uniform leaf depth, fill bounds, unused slots cleared, each inner entry's
// first key and maximum equal to a recount of its child, the leaf chain in
// the order of the tree, leaf ends, the block count, the unused-node lists
// and pool sizes that hold the worst case of the block budget. Keys that
// increase and tile the space are checkBlocks' part.
func (a *Allocator) checkTree() error {
	t := &a.ff
	if t.capBlocks < 1 || len(t.leaves) < maxLeaves(t.capBlocks)+1 || len(t.inners) < maxInners(t.capBlocks)+1 {
		return corrupt("pools of %d leaves and %d inner nodes for %d blocks, want %d and %d",
			len(t.leaves)-1, len(t.inners)-1, t.capBlocks, maxLeaves(t.capBlocks), maxInners(t.capBlocks))
	}
	if t.n < 1 || t.n > t.capBlocks {
		return corrupt("%d blocks, budget %d", t.n, t.capBlocks)
	}
	if t.height < 0 || t.height > maxHeight || int(t.usedLeaves) > len(t.leaves) || int(t.usedInners) > len(t.inners) {
		return corrupt("height %d, high-water marks %d and %d", t.height, t.usedLeaves, t.usedInners)
	}
	c := treeCheck{t: t}
	_, mx, err := c.node(t.root, 0)
	if err != nil {
		return err
	}
	if mx != t.rootMax {
		return corrupt("largest free block %d, recount %d", t.rootMax, mx)
	}
	if last := &t.leaves[c.prevLeaf]; last.next != 0 || last.end != a.size || c.prevLeaf != t.lastLeaf {
		return corrupt("last leaf %d (recorded %d) links to %d and ends at %#x, want 0 and %#x", c.prevLeaf, t.lastLeaf, last.next, last.end, a.size)
	}
	if c.blocks != t.n {
		return corrupt("leaves hold %d blocks, count says %d", c.blocks, t.n)
	}
	if t.firstLeaf() != c.firstLeaf {
		return corrupt("first leaf %d, tree's %d", t.firstLeaf(), c.firstLeaf)
	}
	// Unused nodes: every pool entry below the high-water mark is in the
	// tree or on its unused list, once.
	if u := countUnused(t.leaves, t.freeLeaves, t.usedLeaves); c.leaves+u != int(t.usedLeaves)-1 {
		return corrupt("%d leaves handed out, %d in the tree and %d unused (-1: a broken list)", t.usedLeaves-1, c.leaves, u)
	}
	if u := countUnused(t.inners, t.freeInners, t.usedInners); c.inners+u != int(t.usedInners)-1 {
		return corrupt("%d inner nodes handed out, %d in the tree and %d unused (-1: a broken list)", t.usedInners-1, c.inners, u)
	}
	return nil
}

// treeCheck is checkTree's state while it visits the tree in order.
type treeCheck struct {
	t                   *btree
	firstLeaf, prevLeaf uint32 // the first and the last leaf visited
	blocks              int    // entries in the leaves visited
	leaves, inners      int    // nodes visited
}

// node checks the subtree x at depth d and returns its first key and
// largest free block.
func (c *treeCheck) node(x uint32, d int) (uint64, uint64, error) {
	t := c.t
	if d == t.height {
		return c.leaf(x)
	}
	if x == 0 || x >= t.usedInners {
		return 0, 0, corrupt("inner link %d at depth %d outside [1, %d)", x, d, t.usedInners)
	}
	if c.inners++; c.inners >= int(t.usedInners) {
		return 0, 0, corrupt("inner node %d visited twice", x)
	}
	in := &t.inners[x]
	n := int(in.n)
	lo := innerMin
	if d == 0 {
		lo = 2
	}
	if n < lo || n > innerCap {
		return 0, 0, corrupt("inner node %d at depth %d has %d children, want %d to %d", x, d, n, lo, innerCap)
	}
	for j := n; j < innerCap; j++ {
		if in.key[j] != noKey || in.max[j] != 0 || in.child[j] != 0 {
			return 0, 0, corrupt("inner node %d: unused slot %d not cleared", x, j)
		}
	}
	var mx uint64
	for j := 0; j < n; j++ {
		first, m, err := c.node(in.child[j], d+1)
		if err != nil {
			return 0, 0, err
		}
		if in.key[j] != first || in.max[j] != m {
			return 0, 0, corrupt("inner node %d slot %d says first %#x, largest free %d; child has %#x, %d", x, j, in.key[j], in.max[j], first, m)
		}
		mx = max(mx, m)
	}
	return in.key[0], mx, nil
}

// leaf checks leaf x: its fill, cleared slots, increasing keys, its place
// in the leaf chain and the end of the leaf before it.
func (c *treeCheck) leaf(x uint32) (uint64, uint64, error) {
	t := c.t
	if x == 0 || x >= t.usedLeaves {
		return 0, 0, corrupt("leaf link %d outside [1, %d)", x, t.usedLeaves)
	}
	if c.leaves++; c.leaves >= int(t.usedLeaves) {
		return 0, 0, corrupt("leaf %d visited twice", x)
	}
	l := &t.leaves[x]
	n := int(l.n)
	lo := leafMin
	if t.height == 0 {
		lo = 1
	}
	if n < lo || n > leafCap {
		return 0, 0, corrupt("leaf %d has %d entries, want %d to %d", x, n, lo, leafCap)
	}
	for k := n; k < leafCap; k++ {
		if l.keys[k] != noKey {
			return 0, 0, corrupt("leaf %d: unused slot %d not cleared", x, k)
		}
	}
	for k := 1; k < n; k++ {
		if l.keys[k]&^freeBit <= l.keys[k-1]&^freeBit {
			return 0, 0, corrupt("leaf %d: key %#x after %#x", x, l.keys[k]&^freeBit, l.keys[k-1]&^freeBit)
		}
	}
	if l.prev != c.prevLeaf {
		return 0, 0, corrupt("leaf %d: prev link %d, want %d", x, l.prev, c.prevLeaf)
	}
	if p := c.prevLeaf; p != 0 {
		if pl := &t.leaves[p]; pl.next != x || pl.end != l.first() {
			return 0, 0, corrupt("leaf %d links to %d and ends at %#x; next leaf %d starts at %#x", p, pl.next, pl.end, x, l.first())
		}
	} else {
		c.firstLeaf = x
	}
	if l.end <= l.keys[n-1]&^freeBit {
		return 0, 0, corrupt("leaf %d ends at %#x, its last block starts at %#x", x, l.end, l.keys[n-1]&^freeBit)
	}
	c.prevLeaf = x
	c.blocks += n
	return l.first(), l.maxFree(), nil
}
