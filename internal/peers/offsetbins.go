// OffsetBins: sebbbi's OffsetAllocator design.

package peers

import (
	"fmt"
	"math/bits"

	"github.com/memkit/memkit"
)

// OffsetBins models sebbbi's OffsetAllocator: it hands out offsets of an
// external space of up to 4 GiB, with its metadata apart. What it keeps of
// the design:
//
//   - 256 bins indexed by a small float of the size: 3 bits of mantissa, 5
//     of exponent, so 8 bins per power of two;
//   - a 32-bit mask of non-empty bin groups over 32 masks of 8 bins, and
//     find-first-set to choose a bin;
//   - a free block is filed under its size rounded down and a search starts
//     at the request rounded up, taking only the head of the first non-empty
//     bin: a block in the request's own bin is never tried, so freed blocks
//     of a size between two bins stay unused;
//   - nodes in a fixed array, spare ones on a stack; each node links its
//     address neighbours and its bin list; 32-bit offsets and sizes, no
//     alignment;
//   - Free takes the node Alloc returned (the caller keeps it), so it needs
//     no lookup by offset.
type OffsetBins struct {
	nodes  []binNode
	spare  []uint32 // stack of unused node indexes
	heads  [256]uint32
	top    uint32
	leaves [32]uint8
	free   uint64 // bytes in free blocks
}

// none marks a missing link.
const none = ^uint32(0)

type binNode struct {
	off, size            uint32
	binPrev, binNext     uint32
	neighPrev, neighNext uint32
	used                 bool
}

// NewOffsetBins returns an OffsetBins for a space of size bytes (at most
// 1<<32 - 1) with room for maxNodes blocks (at least 2).
func NewOffsetBins(size uint64, maxNodes int) (*OffsetBins, error) {
	if size == 0 || size > 1<<32-1 || maxNodes < 2 || uint64(maxNodes) > 1<<31 {
		return nil, fmt.Errorf("peers: offset bins: size %d or node budget %d out of range: %w", size, maxNodes, memkit.ErrInvalidConfig)
	}
	a := &OffsetBins{nodes: make([]binNode, maxNodes), spare: make([]uint32, maxNodes)}
	for i := range a.spare {
		a.spare[i] = uint32(maxNodes - 1 - i)
	}
	for i := range a.heads {
		a.heads[i] = none
	}
	a.insert(0, uint32(size))
	return a, nil
}

// binDown and binUp return the bin of a size rounded down and up.
func binDown(size uint32) uint32 {
	if size < 8 {
		return size
	}
	sh := uint32(bits.Len32(size)) - 4
	return (sh+1)<<3 | (size>>sh)&7
}

func binUp(size uint32) uint32 {
	b := binDown(size)
	if size >= 8 && size&(1<<(uint32(bits.Len32(size))-4)-1) != 0 {
		b++ // carries into the next exponent at mantissa 7
	}
	return b
}

// insert files a new free block [off, off+size) and returns its node.
func (a *OffsetBins) insert(off, size uint32) uint32 {
	b := binDown(size)
	if a.heads[b] == none {
		a.leaves[b>>3] |= 1 << (b & 7)
		a.top |= 1 << (b >> 3)
	}
	i := a.spare[len(a.spare)-1]
	a.spare = a.spare[:len(a.spare)-1]
	h := a.heads[b]
	a.nodes[i] = binNode{off: off, size: size, binPrev: none, binNext: h, neighPrev: none, neighNext: none}
	if h != none {
		a.nodes[h].binPrev = i
	}
	a.heads[b] = i
	a.free += uint64(size)
	return i
}

// unfile takes free node i off its bin list and returns it to the stack.
func (a *OffsetBins) unfile(i uint32) {
	n := &a.nodes[i]
	if n.binPrev != none {
		a.nodes[n.binPrev].binNext = n.binNext
		if n.binNext != none {
			a.nodes[n.binNext].binPrev = n.binPrev
		}
	} else {
		a.pop(binDown(n.size), n.binNext)
	}
	a.spare = append(a.spare, i)
	a.free -= uint64(n.size)
}

// pop makes next the head of bin b, whose head was just taken.
func (a *OffsetBins) pop(b, next uint32) {
	a.heads[b] = next
	if next != none {
		a.nodes[next].binPrev = none
		return
	}
	a.leaves[b>>3] &^= 1 << (b & 7)
	if a.leaves[b>>3] == 0 {
		a.top &^= 1 << (b >> 3)
	}
}

// Alloc returns the offset of a new block of size bytes and its node, the
// handle Free takes.
func (a *OffsetBins) Alloc(size uint64) (off, node uint32, err error) {
	if size == 0 || size > 1<<32-1 {
		return 0, 0, fmt.Errorf("peers: offset bins: alloc %d: %w", size, memkit.ErrInvalidSize)
	}
	if len(a.spare) == 0 {
		return 0, 0, fmt.Errorf("peers: offset bins: alloc %d: %w", size, memkit.ErrNoMetadata)
	}
	s := uint32(size)
	min := binUp(s)
	b := none
	if g := min >> 3; g < 32 {
		if m := uint32(a.leaves[g]) >> (min & 7); m != 0 {
			b = min + uint32(bits.TrailingZeros32(m))
		} else if t := a.top &^ (2<<g - 1); t != 0 {
			g = uint32(bits.TrailingZeros32(t))
			b = g<<3 + uint32(bits.TrailingZeros8(a.leaves[g]))
		}
	}
	if b == none {
		return 0, 0, fmt.Errorf("peers: offset bins: alloc %d: %w", size, memkit.ErrOutOfMemory)
	}
	i := a.heads[b]
	n := &a.nodes[i]
	total := n.size
	n.size, n.used = s, true
	a.pop(b, n.binNext)
	a.free -= uint64(total)
	if rest := total - s; rest > 0 {
		r := a.insert(n.off+s, rest)
		n = &a.nodes[i]
		rn := &a.nodes[r]
		rn.neighPrev, rn.neighNext = i, n.neighNext
		if n.neighNext != none {
			a.nodes[n.neighNext].neighPrev = r
		}
		n.neighNext = r
	}
	return n.off, i, nil
}

// Free frees the block of node i (as Alloc returned it), merging it with
// free neighbours. Like the design, it trusts i.
func (a *OffsetBins) Free(i uint32) {
	n := a.nodes[i]
	off, size := n.off, n.size
	if p := n.neighPrev; p != none && !a.nodes[p].used {
		pn := a.nodes[p]
		off, size = pn.off, size+pn.size
		a.unfile(p)
		n.neighPrev = pn.neighPrev
	}
	if q := n.neighNext; q != none && !a.nodes[q].used {
		qn := a.nodes[q]
		size += qn.size
		a.unfile(q)
		n.neighNext = qn.neighNext
	}
	a.spare = append(a.spare, i)
	r := a.insert(off, size)
	rn := &a.nodes[r]
	rn.neighPrev, rn.neighNext = n.neighPrev, n.neighNext
	if rn.neighPrev != none {
		a.nodes[rn.neighPrev].neighNext = r
	}
	if rn.neighNext != none {
		a.nodes[rn.neighNext].neighPrev = r
	}
}

// Block returns the offset and size of node i's block.
func (a *OffsetBins) Block(i uint32) (off, size uint32) { return a.nodes[i].off, a.nodes[i].size }

// FreeBytes returns the bytes in free blocks.
func (a *OffsetBins) FreeBytes() uint64 { return a.free }

// MetadataBytes returns the memory of the node array and the spare stack.
func (a *OffsetBins) MetadataBytes() uint64 {
	return uint64(cap(a.nodes))*28 + uint64(cap(a.spare))*4 + 256*4 + 4 + 32 // a node is 28 bytes
}
