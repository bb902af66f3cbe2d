// FirstFit: an address-ordered treap of every block, annotated with subtree maxima.

package offset

// The treap holds every block keyed by its offset. Node i's children are
// nodes[i].a (left, lower offsets) and nodes[i].b (right); maxf[i] is the
// size of the largest free block in i's subtree. Priorities are not stored:
// prio hashes the node index, which is as good as a random number for
// balancing (expected depth about 2 ln n) and costs no memory. The
// operations recurse; their depth is the treap's, so they need no
// preallocated stack.

// prio returns node i's treap priority (a fixed mix of its index).
func prio(i uint32) uint32 {
	x := i * 0x9e3779b1
	x ^= x >> 15
	x *= 0x85ebca77
	x ^= x >> 13
	return x
}

// pull recomputes maxf[i] from i's own free size and its children's maxima.
func (a *Allocator) pull(i uint32) {
	n := &a.nodes[i]
	m := max(a.maxf[n.a], a.maxf[n.b])
	if n.off&freeBit != 0 {
		m = max(m, a.blockSize(i))
	}
	a.maxf[i] = m
}

// treeSplit splits the subtree t into the blocks below key and the rest.
func (a *Allocator) treeSplit(t uint32, key uint64) (lo, hi uint32) {
	if t == 0 {
		return 0, 0
	}
	if a.start(t) < key {
		l, r := a.treeSplit(a.nodes[t].b, key)
		a.nodes[t].b = l
		a.pull(t)
		return t, r
	}
	l, r := a.treeSplit(a.nodes[t].a, key)
	a.nodes[t].a = r
	a.pull(t)
	return l, t
}

// treeMerge joins two subtrees, every key of lo below every key of hi.
func (a *Allocator) treeMerge(lo, hi uint32) uint32 {
	if lo == 0 {
		return hi
	}
	if hi == 0 {
		return lo
	}
	if prio(lo) > prio(hi) {
		a.nodes[lo].b = a.treeMerge(a.nodes[lo].b, hi)
		a.pull(lo)
		return lo
	}
	a.nodes[hi].a = a.treeMerge(lo, a.nodes[hi].a)
	a.pull(hi)
	return hi
}

// treeInsert adds node x (children zero) to the subtree t and returns the
// new subtree root.
func (a *Allocator) treeInsert(t, x uint32) uint32 {
	if t == 0 {
		a.pull(x)
		return x
	}
	if prio(x) > prio(t) {
		l, r := a.treeSplit(t, a.start(x))
		a.nodes[x].a, a.nodes[x].b = l, r
		a.pull(x)
		return x
	}
	if a.start(x) < a.start(t) {
		a.nodes[t].a = a.treeInsert(a.nodes[t].a, x)
	} else {
		a.nodes[t].b = a.treeInsert(a.nodes[t].b, x)
	}
	a.pull(t)
	return t
}

// treeErase removes the block keyed key, which must be in the subtree t,
// and returns the new subtree root.
func (a *Allocator) treeErase(t uint32, key uint64) uint32 {
	k := a.start(t)
	if k == key {
		n := a.nodes[t]
		a.nodes[t].a, a.nodes[t].b = 0, 0
		return a.treeMerge(n.a, n.b)
	}
	if key < k {
		a.nodes[t].a = a.treeErase(a.nodes[t].a, key)
	} else {
		a.nodes[t].b = a.treeErase(a.nodes[t].b, key)
	}
	a.pull(t)
	return t
}

// treeTouch recomputes maxf on the path from t down to the block keyed key
// (which must be in t), after that block's size or state changed.
func (a *Allocator) treeTouch(t uint32, key uint64) {
	var path [64]uint32
	n := 0
	for t != 0 {
		if n == len(path) {
			// Deeper than any balanced treap gets in practice: fall back to
			// recursion for the rest of the path.
			a.treeTouchRec(t, key)
			break
		}
		path[n] = t
		n++
		k := a.start(t)
		if key == k {
			break
		}
		if key < k {
			t = a.nodes[t].a
		} else {
			t = a.nodes[t].b
		}
	}
	for n > 0 {
		n--
		a.pull(path[n])
	}
}

func (a *Allocator) treeTouchRec(t uint32, key uint64) {
	if k := a.start(t); key < k {
		a.treeTouchRec(a.nodes[t].a, key)
	} else if key > k {
		a.treeTouchRec(a.nodes[t].b, key)
	}
	a.pull(t)
}

// treeFind returns the block that starts at off, or 0.
func (a *Allocator) treeFind(off uint64) uint32 {
	t := a.root
	for t != 0 {
		k := a.start(t)
		if off == k {
			return t
		}
		if off < k {
			t = a.nodes[t].a
		} else {
			t = a.nodes[t].b
		}
	}
	return 0
}

// firstFit returns the lowest-addressed free block of at least s bytes, or
// 0: it descends left whenever the left subtree holds a fit.
func (a *Allocator) firstFit(s uint64) uint32 {
	t := a.root
	if a.maxf[t] < s {
		return 0
	}
	for {
		n := &a.nodes[t]
		if a.maxf[n.a] >= s {
			t = n.a
			continue
		}
		if n.off&freeBit != 0 && a.blockSize(t) >= s {
			return t
		}
		t = n.b
	}
}
