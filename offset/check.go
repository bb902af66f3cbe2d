// Check: a full walk of the metadata against every invariant.

package offset

import (
	"fmt"

	"github.com/memkit/memkit"
)

// Check walks all metadata and returns an error wrapping memkit.ErrCorrupt
// at the first broken invariant: blocks that do not tile the space, a
// misaligned or empty block, two free neighbours, a broken link, a free
// block missing from (or a live block present in) the free structures, an
// index or treap that does not find a block, a wrong subtree maximum, or a
// counter that differs from a recount. It costs O(n) for n blocks and
// allocates no Go memory. The zero Allocator passes.
func (a *Allocator) Check() error {
	if a.nodes == nil {
		return nil
	}
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("offset: check: %s: %w", fmt.Sprintf(format, args...), memkit.ErrCorrupt)
	}
	limit := len(a.nodes) // any walk longer than this loops
	var (
		off       uint64
		prev      uint32
		count     int
		live      int
		freeN     int
		allocated uint64
		prevFree  bool
		indexed   int // GoodFit: blocks whose node is outside their window
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
		if n.prev != prev {
			return corrupt("block %#x: prev link %d, want %d", a.start(i), n.prev, prev)
		}
		start := n.off &^ freeBit
		if start != off {
			return corrupt("block %d starts at %#x, want %#x (gap or overlap)", i, start, off)
		}
		end := a.size
		if n.next != 0 {
			if int(n.next) >= len(a.nodes) {
				return corrupt("link to node %d outside the table of %d", n.next, len(a.nodes))
			}
			end = a.nodes[n.next].off &^ freeBit
		} else if i != a.nodes[0].prev {
			return corrupt("block %#x ends the chain but last is node %d", start, a.nodes[0].prev)
		}
		if end <= start || end > a.size {
			return corrupt("block %#x ends at %#x (space %#x)", start, end, a.size)
		}
		if start&(a.align-1) != 0 || end&(a.align-1) != 0 {
			return corrupt("block [%#x, %#x) not aligned to %d", start, end, a.align)
		}
		free := n.off&freeBit != 0
		if free && prevFree {
			return corrupt("free blocks at %#x and before it not merged", start)
		}
		if free {
			freeN++
		} else {
			live++
			allocated += end - start
		}
		if err := a.checkFind(i, start); err != nil {
			return err
		}
		if a.policy == GoodFit && !a.atHome(i, start) {
			indexed++
		}
		prevFree = free
		prev = i
		off = end
	}
	if off != a.size {
		return corrupt("blocks end at %#x, space is %#x", off, a.size)
	}
	if live != a.live || freeN != a.freeBlocks || count != a.nodesInUse || allocated != a.allocated {
		return corrupt("counters say %d live, %d free, %d nodes, %d bytes allocated; recount: %d, %d, %d, %d",
			a.live, a.freeBlocks, a.nodesInUse, a.allocated, live, freeN, count, allocated)
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
	if a.policy == GoodFit {
		if n := a.index.count(); n != indexed {
			return corrupt("index holds %d entries, %d blocks sit outside their window", n, indexed)
		}
		return a.checkLists(freeN)
	}
	n, err := a.checkTree(a.root, 0, a.size, 0)
	if err != nil {
		return err
	}
	if n != count {
		return corrupt("treap holds %d blocks, chain %d", n, count)
	}
	return nil
}

// checkFind checks that the policy's lookup finds block i by its offset.
func (a *Allocator) checkFind(i uint32, start uint64) error {
	var got uint32
	if a.policy == GoodFit {
		got = a.find(start)
	} else {
		got = a.treeFind(start)
	}
	if got != i {
		return fmt.Errorf("offset: check: lookup of %#x finds node %d, want %d: %w", start, got, i, memkit.ErrCorrupt)
	}
	return nil
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

// checkTree checks the subtree t: keys within [lo, hi), heap order under a
// parent of priority parentPrio (0: the root), and maxf. It returns the
// number of nodes. Depth is bounded by the node count, checked by the
// caller's count comparison and by the key ranges shrinking.
func (a *Allocator) checkTree(t uint32, lo, hi uint64, depth int) (int, error) {
	if t == 0 {
		return 0, nil
	}
	if int(t) >= len(a.nodes) || depth > len(a.nodes) {
		return 0, fmt.Errorf("offset: check: treap link %d invalid: %w", t, memkit.ErrCorrupt)
	}
	n := a.nodes[t]
	k := n.off &^ freeBit
	if k < lo || k >= hi {
		return 0, fmt.Errorf("offset: check: treap key %#x outside [%#x, %#x): %w", k, lo, hi, memkit.ErrCorrupt)
	}
	for _, c := range [2]uint32{n.a, n.b} {
		if c != 0 && prio(c) > prio(t) {
			return 0, fmt.Errorf("offset: check: treap heap order broken at %#x: %w", k, memkit.ErrCorrupt)
		}
	}
	l, err := a.checkTree(n.a, lo, k, depth+1)
	if err != nil {
		return 0, err
	}
	r, err := a.checkTree(n.b, k+1, hi, depth+1)
	if err != nil {
		return 0, err
	}
	want := max(a.maxf[n.a], a.maxf[n.b])
	if n.off&freeBit != 0 {
		want = max(want, a.blockSize(t))
	}
	if a.maxf[t] != want {
		return 0, fmt.Errorf("offset: check: treap max at %#x is %d, want %d: %w", k, a.maxf[t], want, memkit.ErrCorrupt)
	}
	return l + r + 1, nil
}
