// The index: GoodFit's open-addressed hash table from a block's offset to its node.

package offset

// index maps the offset of every block (free or live) to its node, so Free
// finds a block in O(1) expected time without a Go map (whose per-entry
// overhead would break the 32-byte budget). It is a linear-probing table of
// node indexes (0: empty slot), with a slot count that is not a power of
// two: 3/2 slots per node, so the load never exceeds 2/3 and the table costs
// 6 bytes per node. Keys are not stored: a slot's key is its node's offset.
// Deletion shifts later entries back (no tombstones), so probe sequences
// stay short under any churn.
type index struct {
	slots []uint32
	n     uint64 // len(slots), as a multiplier for slot selection
}

// resize empties the table and sizes it for n nodes.
func (x *index) resize(n int) {
	m := n + n/2 + 1
	x.slots = make([]uint32, m)
	x.n = uint64(m)
}

func (x *index) clear() { clear(x.slots) }

func (x *index) bytes() uint64 { return uint64(cap(x.slots)) * 4 }

// home returns the first slot probed for off: the top 32 bits of a
// Fibonacci hash, scaled into [0, n) by multiplication (no division).
func (x *index) home(off uint64) uint64 {
	h := (off * 0x9e3779b97f4a7c15) >> 32
	return (h * x.n) >> 32
}

// find returns the node whose block starts at off, or 0.
func (x *index) find(nodes []node, off uint64) uint32 {
	s := x.home(off)
	for {
		v := x.slots[s]
		if v == 0 || nodes[v].off&^freeBit == off {
			return v
		}
		if s++; s == x.n {
			s = 0
		}
	}
}

// insert adds node i under off, which must not be present.
func (x *index) insert(nodes []node, off uint64, i uint32) {
	s := x.home(off)
	for x.slots[s] != 0 {
		if s++; s == x.n {
			s = 0
		}
	}
	x.slots[s] = i
}

// remove deletes the entry for off, which must be present, and moves later
// entries of the probe run back so that every entry stays reachable.
func (x *index) remove(nodes []node, off uint64) {
	s := x.home(off)
	for nodes[x.slots[s]].off&^freeBit != off {
		if s++; s == x.n {
			s = 0
		}
	}
	hole := s
	for {
		if s++; s == x.n {
			s = 0
		}
		v := x.slots[s]
		if v == 0 {
			break
		}
		h := x.home(nodes[v].off &^ freeBit)
		// v may fill the hole unless its home lies cyclically in (hole, s].
		if (hole < s && (h <= hole || h > s)) || (hole > s && h <= hole && h > s) {
			x.slots[hole] = v
			hole = s
		}
	}
	x.slots[hole] = 0
}
