// Node placement: GoodFit keeps a block's node near a hash of its offset.

package offset

import "math/bits"

// homeWindow is how many consecutive nodes, starting at a block's home
// node, GoodFit tries for the block's node. A node inside that window is
// found from the offset alone, by reading the window (one or two cache
// lines, no dependent load); only a block whose window was full when its
// node was chosen sits in the index.
const homeWindow = 4

// setHomes sizes the home range for the node table: homes are 1..homes,
// so that every window fits in the table.
func (a *Allocator) setHomes() {
	a.homes = uint64(max(len(a.nodes)-homeWindow, 1))
}

// home returns the first node of the window of a block at off: the top 32
// bits of a Fibonacci hash of off (a different multiplier from the
// index's, so that blocks whose windows collide do not also collide there),
// scaled into [1, homes] by a multiplication.
func (a *Allocator) home(off uint64) uint32 {
	h := (off * 0xc2b2ae3d27d4eb4f) >> 32
	return uint32((h*a.homes)>>32) + 1
}

// atHome reports whether node i lies in the window of a block at off.
func (a *Allocator) atHome(i uint32, off uint64) bool {
	return i-a.home(off) < homeWindow
}

// newNodeFor returns an unused node for a block that will start at off: a
// node of its window when one is unused (GoodFit), else any (newNode).
func (a *Allocator) newNodeFor(off uint64) uint32 {
	if a.policy == GoodFit {
		h := a.home(off)
		nodes := a.nodes
		var i uint32
		if int(h)+homeWindow <= len(nodes) {
			// The lowest unused node of the window, from a mask of the
			// nodes whose bit 62 is set (only unusedOff has it): no
			// branch per node to mispredict.
			// Nodes at or past the high-water mark are unused too.
			w := nodes[h : h+homeWindow : h+homeWindow]
			m := w[0].off>>62&1 | w[1].off>>62&1<<1 | w[2].off>>62&1<<2 | w[3].off>>62&1<<3
			fresh := uint(min(max(int(a.used)-int(h), 0), homeWindow))
			m |= (1<<homeWindow - 1) << fresh & (1<<homeWindow - 1)
			if m != 0 {
				i = h + uint32(bits.TrailingZeros64(m))
			}
		} else {
			// A table of fewer than homeWindow nodes.
			for j := int(h); j < len(nodes); j++ {
				if nodes[j].off == unusedOff || j >= int(a.used) {
					i = uint32(j)
					break
				}
			}
		}
		if i >= a.used {
			a.takeFresh(i)
			return i
		}
		if i != 0 {
			a.takeNode(i)
			return i
		}
	}
	return a.newNode()
}

// place records that node i now holds the block at off: a node outside
// the block's window goes into the index.
func (a *Allocator) place(i uint32, off uint64) {
	if !a.atHome(i, off) {
		a.index.insert(off, i)
	}
}

// unplace undoes place, before the block at off loses node i or its
// offset.
func (a *Allocator) unplace(i uint32, off uint64) {
	if !a.atHome(i, off) {
		a.index.removeNode(a.nodes, off, i)
	}
}

// find returns GoodFit's node of the block (free or live) that starts at
// off, or 0: the block's window first, then the index.
//
// Never-used nodes are zero, so they look like blocks at offset 0: the
// block at 0 is found through the sentinel instead, always the first.
func (a *Allocator) find(off uint64) uint32 {
	if off == 0 {
		return a.nodes[0].next
	}
	h := a.home(off)
	nodes := a.nodes
	var i uint32
	if int(h)+homeWindow <= len(nodes) {
		// At most one node matches; conditional moves pick it without
		// the mispredicted branches of an early exit.
		w := nodes[h : h+homeWindow : h+homeWindow]
		if w[3].off&^freeBit == off {
			i = h + 3
		}
		if w[2].off&^freeBit == off {
			i = h + 2
		}
		if w[1].off&^freeBit == off {
			i = h + 1
		}
		if w[0].off&^freeBit == off {
			i = h
		}
	} else {
		// A table of fewer than homeWindow nodes.
		for j := int(h); j < len(nodes); j++ {
			if nodes[j].off&^freeBit == off {
				i = uint32(j)
			}
		}
	}
	if i != 0 {
		return i
	}
	return a.index.find(nodes, off)
}
