// The ordered set of live spans: a treap keyed by offset, for overlap checks.

package trace

// spanSet holds non-overlapping spans ordered by offset, in flat arrays
// (no Go pointers per node, so a million live blocks cost the GC nothing to
// scan). Insert finds the neighbours of the new span in O(log n) expected
// time and refuses it if it overlaps one of them; that is enough, because
// the spans already in the set do not overlap each other.
type spanSet struct {
	nodes []spanNode
	root  int32
	free  int32  // head of the list of unused nodes, linked through left
	rng   uint64 // xorshift state for priorities
	n     int
}

type spanNode struct {
	off, len    uint64
	slot        int32 // the replay slot of the block
	left, right int32 // children, -1 for none
	prio        uint32
}

func newSpanSet() *spanSet {
	return &spanSet{root: -1, free: -1, rng: 0x9e3779b97f4a7c15}
}

func (s *spanSet) reset() {
	s.nodes = s.nodes[:0]
	s.root, s.free, s.n = -1, -1, 0
}

func (s *spanSet) len() int { return s.n }

func (s *spanSet) newNode(off, n uint64, slot int32) int32 {
	s.rng ^= s.rng << 13
	s.rng ^= s.rng >> 7
	s.rng ^= s.rng << 17
	nd := spanNode{off: off, len: n, slot: slot, left: -1, right: -1, prio: uint32(s.rng >> 32)}
	if s.free >= 0 {
		i := s.free
		s.free = s.nodes[i].left
		s.nodes[i] = nd
		return i
	}
	s.nodes = append(s.nodes, nd)
	return int32(len(s.nodes) - 1)
}

// neighbours returns the node with the largest offset ≤ off and the node
// with the smallest offset > off (-1 where there is none).
func (s *spanSet) neighbours(off uint64) (pred, succ int32) {
	pred, succ = -1, -1
	for i := s.root; i >= 0; {
		if s.nodes[i].off <= off {
			pred = i
			i = s.nodes[i].right
		} else {
			succ = i
			i = s.nodes[i].left
		}
	}
	return pred, succ
}

// insert adds [off, off+n) for slot unless it overlaps a span already in
// the set; then it returns that span's node index and adds nothing.
func (s *spanSet) insert(off, n uint64, slot int32) (conflict int32) {
	pred, succ := s.neighbours(off)
	if pred >= 0 {
		p := &s.nodes[pred]
		if p.off == off || p.len > off-p.off {
			return pred
		}
	}
	if succ >= 0 && s.nodes[succ].off-off < n {
		return succ
	}
	nd := s.newNode(off, n, slot)
	l, r := s.split(s.root, off)
	s.root = s.merge(s.merge(l, nd), r)
	s.n++
	return -1
}

// split cuts the tree at i into offsets < off and offsets ≥ off.
func (s *spanSet) split(i int32, off uint64) (int32, int32) {
	if i < 0 {
		return -1, -1
	}
	if s.nodes[i].off < off {
		l, r := s.split(s.nodes[i].right, off)
		s.nodes[i].right = l
		return i, r
	}
	l, r := s.split(s.nodes[i].left, off)
	s.nodes[i].left = r
	return l, i
}

// merge joins two trees where every offset in a is below every one in b.
func (s *spanSet) merge(a, b int32) int32 {
	if a < 0 {
		return b
	}
	if b < 0 {
		return a
	}
	if s.nodes[a].prio > s.nodes[b].prio {
		s.nodes[a].right = s.merge(s.nodes[a].right, b)
		return a
	}
	s.nodes[b].left = s.merge(a, s.nodes[b].left)
	return b
}

// remove deletes the span starting at off; it reports whether there was one.
func (s *spanSet) remove(off uint64) bool {
	parent, i := int32(-1), s.root
	for i >= 0 && s.nodes[i].off != off {
		parent = i
		if off < s.nodes[i].off {
			i = s.nodes[i].left
		} else {
			i = s.nodes[i].right
		}
	}
	if i < 0 {
		return false
	}
	m := s.merge(s.nodes[i].left, s.nodes[i].right)
	switch {
	case parent < 0:
		s.root = m
	case s.nodes[parent].left == i:
		s.nodes[parent].left = m
	default:
		s.nodes[parent].right = m
	}
	s.nodes[i].left = s.free
	s.free = i
	s.n--
	return true
}

// last returns the span with the highest offset, which (spans being
// disjoint) also has the highest end.
func (s *spanSet) last() (Span, bool) {
	i := s.root
	if i < 0 {
		return Span{}, false
	}
	for s.nodes[i].right >= 0 {
		i = s.nodes[i].right
	}
	return Span{Off: s.nodes[i].off, Len: s.nodes[i].len}, true
}

// first returns the span with the lowest offset.
func (s *spanSet) first() (Span, bool) {
	i := s.root
	if i < 0 {
		return Span{}, false
	}
	for s.nodes[i].left >= 0 {
		i = s.nodes[i].left
	}
	return Span{Off: s.nodes[i].off, Len: s.nodes[i].len}, true
}

// appendAll appends every span in offset order.
func (s *spanSet) appendAll(dst []Span) []Span {
	var walk func(i int32)
	walk = func(i int32) {
		for i >= 0 {
			walk(s.nodes[i].left)
			dst = append(dst, Span{Off: s.nodes[i].off, Len: s.nodes[i].len})
			i = s.nodes[i].right
		}
	}
	walk(s.root)
	return dst
}
