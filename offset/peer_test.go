// A benchmark peer: sebbbi's OffsetAllocator design, modelled in Go.

package offset

import (
	"cmp"
	"math/bits"
	"slices"
	"testing"

	"github.com/memkit/memkit/internal/workload"
)

// binAlloc models the design of sebbbi's OffsetAllocator (C++), written
// here from its description so that BenchmarkAllocFree can run the same
// loop over both in one process (the C++ figures in ../shared/ANCHORS.md
// come from another program). What it keeps of the design:
//
//   - 256 bins indexed by a small float of the size: 3 bits of mantissa, 5
//     of exponent, so 8 bins per power of two;
//   - a 32-bit mask of non-empty bin groups over 32 masks of 8 bins, and
//     find-first-set to choose a bin;
//   - a free block is filed under its size rounded down and a search starts
//     at the request rounded up, taking only the head of the first non-empty
//     bin: a block of the request's own bin is never tried (the hole that
//     TestRefillUtilization checks memkit does not have);
//   - nodes in a fixed array, spare ones on a stack; each node links its
//     address neighbours and its bin list; 32-bit offsets and sizes, no
//     alignment;
//   - free takes the node index the alloc returned (the caller keeps it),
//     so it needs no lookup by offset.
type binAlloc struct {
	nodes  []binNode
	spare  []uint32 // stack of unused node indexes
	heads  [256]uint32
	top    uint32
	leaves [32]uint8
	free   uint32 // bytes in free blocks
}

// binNone marks a missing link.
const binNone = ^uint32(0)

type binNode struct {
	off, size            uint32
	binPrev, binNext     uint32
	neighPrev, neighNext uint32
	used                 bool
}

func newBinAlloc(size uint32, maxNodes int) *binAlloc {
	a := &binAlloc{nodes: make([]binNode, maxNodes), spare: make([]uint32, maxNodes)}
	for i := range a.spare {
		a.spare[i] = uint32(maxNodes - 1 - i)
	}
	for i := range a.heads {
		a.heads[i] = binNone
	}
	a.insert(0, size)
	return a
}

// binDown and binUp return the bin of a size rounded down and up.
func binDown(size uint32) uint32 {
	if size < 8 {
		return size
	}
	hi := uint32(bits.Len32(size)) - 1
	sh := hi - 3
	return (sh+1)<<3 | (size>>sh)&7
}

func binUp(size uint32) uint32 {
	if size < 8 {
		return size
	}
	hi := uint32(bits.Len32(size)) - 1
	sh := hi - 3
	b := (sh+1)<<3 | (size>>sh)&7
	if size&(1<<sh-1) != 0 {
		b++ // carries into the next exponent at mantissa 7
	}
	return b
}

// insert files a new free block [off, off+size) and returns its node.
func (a *binAlloc) insert(off, size uint32) uint32 {
	b := binDown(size)
	if a.heads[b] == binNone {
		a.leaves[b>>3] |= 1 << (b & 7)
		a.top |= 1 << (b >> 3)
	}
	i := a.spare[len(a.spare)-1]
	a.spare = a.spare[:len(a.spare)-1]
	h := a.heads[b]
	a.nodes[i] = binNode{off: off, size: size, binPrev: binNone, binNext: h, neighPrev: binNone, neighNext: binNone}
	if h != binNone {
		a.nodes[h].binPrev = i
	}
	a.heads[b] = i
	a.free += size
	return i
}

// unfile takes free node i off its bin list and returns it to the stack.
func (a *binAlloc) unfile(i uint32) {
	n := &a.nodes[i]
	if n.binPrev != binNone {
		a.nodes[n.binPrev].binNext = n.binNext
		if n.binNext != binNone {
			a.nodes[n.binNext].binPrev = n.binPrev
		}
	} else {
		b := binDown(n.size)
		a.heads[b] = n.binNext
		if n.binNext != binNone {
			a.nodes[n.binNext].binPrev = binNone
		} else {
			a.leaves[b>>3] &^= 1 << (b & 7)
			if a.leaves[b>>3] == 0 {
				a.top &^= 1 << (b >> 3)
			}
		}
	}
	a.spare = append(a.spare, i)
	a.free -= n.size
}

// alloc returns the offset of a new block of size bytes and its node, or
// ok false.
func (a *binAlloc) alloc(size uint32) (off, node uint32, ok bool) {
	if size == 0 || len(a.spare) < 1 {
		return 0, 0, false
	}
	min := binUp(size)
	if min >= 256 {
		return 0, 0, false
	}
	b := binNone
	g := min >> 3
	if m := uint32(a.leaves[g]) >> (min & 7); m != 0 {
		b = min + uint32(bits.TrailingZeros32(m))
	} else if t := a.top &^ (2<<g - 1); t != 0 && g < 31 {
		g = uint32(bits.TrailingZeros32(t))
		b = g<<3 + uint32(bits.TrailingZeros8(a.leaves[g]))
	}
	if b == binNone {
		return 0, 0, false
	}
	i := a.heads[b]
	n := &a.nodes[i]
	total := n.size
	n.size = size
	n.used = true
	a.heads[b] = n.binNext
	if n.binNext != binNone {
		a.nodes[n.binNext].binPrev = binNone
	} else {
		a.leaves[b>>3] &^= 1 << (b & 7)
		if a.leaves[b>>3] == 0 {
			a.top &^= 1 << (b >> 3)
		}
	}
	a.free -= total
	if rest := total - size; rest > 0 {
		r := a.insert(n.off+size, rest)
		n = &a.nodes[i]
		rn := &a.nodes[r]
		rn.neighPrev, rn.neighNext = i, n.neighNext
		if n.neighNext != binNone {
			a.nodes[n.neighNext].neighPrev = r
		}
		n.neighNext = r
	}
	return n.off, i, true
}

// release frees the block of node i, merging it with free neighbours.
func (a *binAlloc) release(i uint32) {
	n := a.nodes[i]
	off, size := n.off, n.size
	if p := n.neighPrev; p != binNone && !a.nodes[p].used {
		pn := a.nodes[p]
		off, size = pn.off, size+pn.size
		a.unfile(p)
		n.neighPrev = pn.neighPrev
	}
	if q := n.neighNext; q != binNone && !a.nodes[q].used {
		qn := a.nodes[q]
		size += qn.size
		a.unfile(q)
		n.neighNext = qn.neighNext
	}
	a.spare = append(a.spare, i)
	r := a.insert(off, size)
	rn := &a.nodes[r]
	rn.neighPrev, rn.neighNext = n.neighPrev, n.neighNext
	if rn.neighPrev != binNone {
		a.nodes[rn.neighPrev].neighNext = r
	}
	if rn.neighNext != binNone {
		a.nodes[rn.neighNext].neighPrev = r
	}
}

// TestBinAllocPeer checks the benchmark peer itself: under churn no two
// live blocks overlap and the free count adds up, and freeing everything
// merges the space back into one block.
func TestBinAllocPeer(t *testing.T) {
	const space, live = 1 << 24, 500
	c := workload.NewChurn(7, live, 1, 4096, 1<<12)
	a := newBinAlloc(space, 2*live+16)
	offs := make([]uint32, live)
	handles := make([]uint32, live)
	sizes := make([]uint32, live)
	var used uint32
	for i, s := range c.Initial {
		off, h, ok := a.alloc(uint32(s))
		if !ok {
			t.Fatalf("initial alloc %d failed", i)
		}
		offs[i], handles[i], sizes[i] = off, h, uint32(s)
		used += uint32(s)
	}
	check := func(step int) {
		t.Helper()
		idx := make([]int, live)
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(x, y int) int { return cmp.Compare(offs[x], offs[y]) })
		for k := 1; k < live; k++ {
			p, q := idx[k-1], idx[k]
			if offs[p]+sizes[p] > offs[q] {
				t.Fatalf("step %d: [%d,+%d) overlaps [%d,+%d)", step, offs[p], sizes[p], offs[q], sizes[q])
			}
		}
		if a.free+used != space {
			t.Fatalf("step %d: %d free + %d live != %d", step, a.free, used, space)
		}
	}
	check(-1)
	for i := range 20000 {
		k := i & c.Mask
		v := c.Victims[k]
		a.release(handles[v])
		used -= sizes[v]
		s := uint32(c.Sizes[k])
		off, h, ok := a.alloc(s)
		if !ok {
			t.Fatalf("step %d: alloc %d failed with %d free", i, s, a.free)
		}
		offs[v], handles[v], sizes[v] = off, h, s
		used += s
		if i%1000 == 0 {
			check(i)
		}
	}
	for _, h := range handles {
		a.release(h)
	}
	if off, _, ok := a.alloc(space); !ok || off != 0 || a.free != 0 {
		t.Fatalf("after freeing everything: alloc of the whole space = %d, %v (%d free left)", off, ok, a.free)
	}
}
