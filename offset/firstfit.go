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

// pullKept is pull for a node whose own block did not change since maxf[t]
// was last right (only its subtree did), and reports whether maxf[t]
// changed. Its own size is then at most the old maximum, so when the
// children reach that maximum it cannot matter, and the neighbour that
// holds the block's end is not read.
func (a *Allocator) pullKept(t uint32) bool {
	n := &a.nodes[t]
	old := a.maxf[t]
	m := max(a.maxf[n.a], a.maxf[n.b])
	if m < old && n.off&freeBit != 0 {
		m = max(m, a.blockSize(t))
	}
	a.maxf[t] = m
	return m != old
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
	path := &a.touch
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
	if n == 0 {
		return
	}
	// The block keyed key changed; its ancestors' own blocks did not.
	n--
	t = path[n]
	old := a.maxf[t]
	a.pull(t)
	if a.maxf[t] == old {
		return // nothing above can change
	}
	for n > 0 {
		n--
		if !a.pullKept(path[n]) {
			return
		}
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
// It records the path to the block in a.path, for treeTake.
func (a *Allocator) firstFit(s uint64) uint32 {
	t := a.root
	if a.maxf[t] < s {
		return 0
	}
	nodes := a.nodes
	var pf uint64
	d := 0
	for {
		if d < maxPath {
			a.path[d] = t
		}
		d++
		n := &nodes[t]
		l, r := n.a, n.b
		// Start reading both children and the block's end before the
		// branches decide which one is needed (see Allocator.pf).
		pf += nodes[l].off + nodes[r].off + nodes[n.next].off
		if a.maxf[l] >= s {
			t = l
			continue
		}
		if n.off&freeBit != 0 && a.blockSize(t) >= s {
			break
		}
		t = r
	}
	a.pf = pf
	if d > maxPath {
		d = -1
	}
	a.plen = d
	return t
}

// attachBefore makes leaf j the in-order predecessor of x, the last node of
// the recorded path, then rotates j up to its heap position and repairs
// maxf on the way to the root. It reports false, changing nothing, when the
// path would outgrow a.path.
func (a *Allocator) attachBefore(x, j uint32) bool {
	n := a.plen
	if n < 0 {
		return false
	}
	// The leaf slot: x's left child, or the right end of x's left subtree.
	t := a.nodes[x].a
	spine := 0
	for u := t; u != 0; u = a.nodes[u].b {
		spine++
	}
	if n+spine >= maxPath {
		return false
	}
	if t == 0 {
		a.nodes[x].a = j
	} else {
		for {
			a.path[n] = t
			n++
			if a.nodes[t].b == 0 {
				break
			}
			t = a.nodes[t].b
		}
		a.nodes[t].b = j
	}
	a.nodes[j].a, a.nodes[j].b = 0, 0
	pj := prio(j)
	for n > 0 && pj > prio(a.path[n-1]) {
		p := a.path[n-1]
		if a.nodes[p].a == j {
			a.nodes[p].a = a.nodes[j].b
			a.nodes[j].b = p
		} else {
			a.nodes[p].b = a.nodes[j].a
			a.nodes[j].a = p
		}
		a.pull(p)
		n--
		if n == 0 {
			a.root = j
		} else if g := a.path[n-1]; a.nodes[g].a == p {
			a.nodes[g].a = j
		} else {
			a.nodes[g].b = j
		}
	}
	a.pull(j)
	// x shrank: pull every node from j up to x, then stop early above it.
	// (When j rose above x, x was pulled by the rotation.)
	xpos := a.plen - 1
	for n > xpos {
		n--
		a.pull(a.path[n])
	}
	a.pullPath(n)
	return true
}

// maxPath bounds the path a lookup records; a treap of n nodes has expected
// depth about 2 ln n (under 45 for 2^31 nodes), so deeper paths are
// vanishingly rare and take the recursive route instead.
const maxPath = 96

// treeFindPath is treeFind that also records the root-to-block path in
// a.path, for treeFree.
func (a *Allocator) treeFindPath(off uint64) uint32 {
	nodes := a.nodes
	var pf uint64
	t := a.root
	n := 0
	for t != 0 {
		if n < maxPath {
			a.path[n] = t
		}
		n++
		nd := &nodes[t]
		l, r := nd.a, nd.b
		pf += nodes[l].off + nodes[r].off // both children, before the branch
		k := nd.off &^ freeBit
		if off == k {
			break
		}
		if off < k {
			t = l
		} else {
			t = r
		}
	}
	a.pf = pf
	if n > maxPath {
		n = -1
	}
	a.plen = n
	return t
}

// pullPath recomputes maxf for the first n nodes of the recorded path,
// deepest first. It stops at the first node whose maximum does not change:
// callers use it only when every node off the path is already correct, so
// nothing above that node can change either. Only the deepest node's own
// block may have changed.
func (a *Allocator) pullPath(n int) {
	if n == 0 {
		return
	}
	n--
	t := a.path[n]
	old := a.maxf[t]
	a.pull(t)
	if a.maxf[t] == old {
		return
	}
	for n > 0 {
		n--
		if !a.pullKept(a.path[n]) {
			return
		}
	}
}

// pathIndex returns the position of node x among the first n nodes of the
// path, or -1.
func (a *Allocator) pathIndex(x uint32, n int) int {
	for k, y := range a.path[:n] {
		if y == x {
			return k
		}
	}
	return -1
}

// eraseAt removes the last node of the recorded path (of n ≥ 1 nodes) from
// the treap, without comparing keys: its children take its place. It
// returns the subtree now in that place.
func (a *Allocator) eraseAt(n int) uint32 {
	b := a.path[n-1]
	m := a.treeMerge(a.nodes[b].a, a.nodes[b].b)
	a.nodes[b].a, a.nodes[b].b = 0, 0
	if n == 1 {
		a.root = m
		return m
	}
	p := a.path[n-2]
	if a.nodes[p].a == b {
		a.nodes[p].a = m
	} else {
		a.nodes[p].b = m
	}
	return m
}

// treeFree finishes FirstFit's Free of block i, already marked free and
// counted, with a.path leading to it (from lookup). Address-chain changes
// come first so that every pull sees final sizes. A merge keeps the
// surviving node's treap position; the freed node leaves the treap from its
// recorded path, so most frees cost one descent.
func (a *Allocator) treeFree(i uint32) {
	p, q := a.nodes[i].prev, a.nodes[i].next
	pFree := p != 0 && a.isFree(p)
	qFree := q != 0 && a.isFree(q)
	n := a.plen
	switch {
	case !pFree && !qFree:
		if n < 0 {
			a.treeTouch(a.root, a.start(i))
		} else {
			a.pullPath(n)
		}
	case pFree && !qFree: // p absorbs i
		a.chainRemove(i)
		a.freeBlocks--
		if n < 0 {
			a.root = a.treeErase(a.root, a.start(i))
			a.treeTouch(a.root, a.start(p))
		} else if k := a.pathIndex(p, n); k >= 0 {
			// p is an ancestor of i. The subtree that replaces i has
			// i's old maximum (i was live, so it did not count), so only
			// p and what is above it can change.
			a.eraseAt(n)
			a.pullPath(k + 1)
		} else {
			// p sits in i's left subtree. The merge that replaces i may
			// already pull p's new size into the merged subtree, so after
			// repairing p's path, repair i's ancestors too.
			// p is in the subtree that took i's place: repair from there.
			m := a.eraseAt(n)
			a.treeTouch(m, a.start(p))
			a.pullPath(n - 1)
		}
		a.releaseNode(i)
	case qFree && !pFree: // q absorbs i and takes its offset
		a.chainRemove(i)
		a.freeBlocks--
		off := a.start(i)
		if n < 0 {
			a.root = a.treeErase(a.root, off)
			a.nodes[q].off = off | freeBit
			a.treeTouch(a.root, off)
		} else {
			a.nodes[q].off = off | freeBit
			k := a.pathIndex(q, n)
			m := a.eraseAt(n)
			if k >= 0 {
				a.pullPath(k + 1) // as for p above
			} else {
				a.treeTouch(m, off)
				a.pullPath(n - 1)
			}
		}
		a.releaseNode(i)
	default: // p absorbs i and q
		a.chainRemove(i)
		a.chainRemove(q)
		a.freeBlocks -= 2
		a.root = a.treeErase(a.root, a.start(i))
		a.root = a.treeErase(a.root, a.start(q))
		a.treeTouch(a.root, a.start(p))
		a.releaseNode(i)
		a.releaseNode(q)
	}
}

// treeTake is FirstFit's Alloc of s bytes from free block x. When x must be
// split and a node is free, the new node takes the live front [off, off+s)
// and x keeps the free rest, so x's treap position stays valid; inserting
// the new node walks the search path of off, which passes through x (its
// successor) and every ancestor of x, so one descent repairs all maxima.
func (a *Allocator) treeTake(x uint32, s uint64) uint64 {
	off := a.start(x)
	b := a.end(x) - off
	a.live++
	a.allocs++
	if b > s {
		if j := a.newNode(); j != 0 {
			nx := &a.nodes[x]
			p := nx.prev
			a.nodes[j] = node{off: off, prev: p, next: x}
			nx.prev = j
			nx.off = (off + s) | freeBit
			a.nodes[p].next = j // p == 0: the sentinel's first link
			a.allocated += s
			if !a.attachBefore(x, j) {
				a.root = a.treeInsert(a.root, j)
			}
			return off
		}
		a.whole++
	}
	a.nodes[x].off = off
	a.freeBlocks--
	a.allocated += b
	a.treeTouch(a.root, off)
	return off
}
