// The index: GoodFit's open-addressed hash table from a block's offset to its node.

package offset

import "math/bits"

// index maps the offset of every block (free or live) whose node lies
// outside its home window (home.go) to that node, so Free finds such a
// block in O(1) expected time without a Go map (whose per-entry
// overhead would break the 32-byte budget). It is a linear-probing table of
// uint32 entries (0: empty slot), with a slot count that is not a power of
// two: 3/2 slots per node, so the load never exceeds 2/3 and the table costs
// 6 bytes per node. Keys are not stored: a slot's key is its node's offset.
//
// An entry packs the node index in its low nbits bits (enough for every
// node of the table) and, in the bits above, the entry's distance from its
// home slot, saturated at dmax (a stored dmax means "dmax or more": the
// distance is then recomputed from the node's offset). The distance is a
// filter and a shortcut: a lookup whose probe is d slots from its home
// compares offsets only with entries stored at distance d (the others have
// another home), and a deletion moves entries back without reading their
// nodes. Deletion shifts later entries back (no tombstones), so probe
// sequences stay short under any churn.
type index struct {
	slots []uint32
	n     uint64 // len(slots), as a multiplier for slot selection
	nbits uint   // low bits of an entry that hold the node index
	mask  uint32 // 1<<nbits - 1
	dmax  uint32 // largest distance an entry stores; ≥ 1
}

// resize empties the table and sizes it for n nodes (indexes 1..n).
func (x *index) resize(n int) {
	m := n + n/2 + 1
	x.slots = make([]uint32, m)
	x.n = uint64(m)
	x.nbits = uint(bits.Len32(uint32(n))) // n ≤ MaxNodes < 1<<31: at least one bit is left
	x.mask = 1<<x.nbits - 1
	x.dmax = 1<<(32-x.nbits) - 1
}

func (x *index) clear() { clear(x.slots) }

// count returns the number of entries, in O(len(slots)).
func (x *index) count() int {
	n := 0
	for _, e := range x.slots {
		if e != 0 {
			n++
		}
	}
	return n
}

func (x *index) bytes() uint64 { return uint64(cap(x.slots)) * 4 }

// home returns the first slot probed for off: the top 32 bits of a
// Fibonacci hash, scaled into [0, n) by multiplication (no division).
func (x *index) home(off uint64) uint64 {
	h := (off * 0x9e3779b97f4a7c15) >> 32
	return (h * x.n) >> 32
}

// entry packs node i found d slots from its home.
func (x *index) entry(i uint32, d uint64) uint32 {
	return i | uint32(min(d, uint64(x.dmax)))<<x.nbits
}

// find returns the node whose block starts at off, or 0.
func (x *index) find(nodes []node, off uint64) uint32 {
	_, v := x.findSlot(nodes, off)
	return v
}

// findSlot returns the slot holding the node whose block starts at off and
// that node, or node 0 when no block starts there.
func (x *index) findSlot(nodes []node, off uint64) (uint64, uint32) {
	slots := x.slots
	s := x.home(off)
	var d uint32
	for {
		if s >= uint64(len(slots)) {
			s = 0
		}
		e := slots[s]
		if e == 0 {
			return s, 0
		}
		if e>>x.nbits == min(d, x.dmax) {
			if v := e & x.mask; nodes[v].off&^freeBit == off {
				return s, v
			}
		}
		d++
		s++
	}
}

// insert adds node i under off, which must not be present.
func (x *index) insert(off uint64, i uint32) {
	slots := x.slots
	s := x.home(off)
	var d uint64
	for {
		if s >= uint64(len(slots)) {
			s = 0
		}
		if slots[s] == 0 {
			break
		}
		d++
		s++
	}
	slots[s] = x.entry(i, d)
}

// remove deletes the entry for off, which must be present.
func (x *index) remove(nodes []node, off uint64) {
	s, _ := x.findSlot(nodes, off)
	x.removeAt(nodes, s)
}

// removeNode deletes the entry of node i, whose block starts at off. It
// compares node indexes, so it reads no node (but a saturated entry's
// while shifting).
func (x *index) removeNode(nodes []node, off uint64, i uint32) {
	slots := x.slots
	s := x.home(off)
	for {
		if s >= uint64(len(slots)) {
			s = 0
		}
		e := slots[s]
		if e&x.mask == i {
			break
		}
		if e == 0 {
			return // not there: cannot happen while the invariants hold
		}
		s++
	}
	x.removeAt(nodes, s)
}

// removeAt empties slot s (which holds an entry) and moves later entries
// of the probe run back so that every entry stays reachable.
func (x *index) removeAt(nodes []node, s uint64) {
	slots := x.slots
	hole := s
	var gap uint64 // slots from hole to s
	for {
		s++
		gap++
		if s >= uint64(len(slots)) {
			s = 0
		}
		e := slots[s]
		if e == 0 {
			break
		}
		d := uint64(e >> x.nbits)
		if d == 0 {
			continue // at its home: it stays
		}
		v := e & x.mask
		if d == uint64(x.dmax) {
			// Saturated: recompute the distance from the offset.
			h := x.home(nodes[v].off &^ freeBit)
			d = s - h
			if s < h {
				d += x.n
			}
		}
		// v may fill the hole when its home is not in (hole, s].
		if d >= gap {
			slots[hole] = x.entry(v, d-gap)
			hole, gap = s, 0
		}
	}
	slots[hole] = 0
}
