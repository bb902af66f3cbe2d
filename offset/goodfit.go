// GoodFit: segregated free lists over size classes, with an O(1) search.

package offset

import "math/bits"

// fallbackScan is how many blocks of the request's own class GoodFit
// examines, after the O(1) candidates failed, before it reports that no
// block fits. It bounds the work of a failing Alloc.
const fallbackScan = 16

// class returns the class a free block of size bytes is filed under.
func (a *Allocator) class(size uint64) int { return classDown(size >> (a.shift & 63)) }

// classDown is classes.Down(u) with the class grid's constant folded in
// (the same formula as internal/sizeclass; TestClassDown compares them).
//
// Below 1<<subBits units every class holds one size (sh is 0 there: the
// bit or'ed in keeps the length at subBits+1), so one formula covers all
// sizes and the compiler needs no branch.
func classDown(u uint64) int {
	sh := uint(bits.Len64(u|1<<subBits)) - 1 - subBits
	return int(sh<<subBits) + int(u>>sh)
}

// classBits is the set of non-empty classes: internal/sizeclass's
// two-level Bitmap with the class grid's constant (subBits) folded in, so
// that each operation is a few instructions with no loads of the grid
// (TestClassBits compares the two). Group word g holds classes
// g<<subBits to g<<subBits + 31; bit g of top says group g is non-empty.
// 64 groups cover every class of a 1<<62-byte space at alignment 1.
type classBits struct {
	top   uint64
	group [64]uint64
}

func (m *classBits) set(c int) {
	g := uint(c) >> subBits & 63
	m.group[g] |= 1 << (uint(c) & (1<<subBits - 1))
	m.top |= 1 << g
}

func (m *classBits) clear(c int) { m.clearIf(c, true) }

// clearIf clears class c when cond holds, without a branch on cond (list
// heads empty out at random, so such a branch mispredicts often).
func (m *classBits) clearIf(c int, cond bool) {
	g := uint(c) >> subBits & 63
	var e, z uint64
	if cond {
		e = 1
	}
	w := m.group[g] &^ (e << (uint(c) & (1<<subBits - 1)))
	m.group[g] = w
	if w == 0 {
		z = 1
	}
	m.top &^= z << g
}

func (m *classBits) has(c int) bool {
	return m.group[uint(c)>>subBits&63]&(1<<(uint(c)&(1<<subBits-1))) != 0
}

// next returns the smallest non-empty class ≥ from, or ok false.
func (m *classBits) next(from int) (c int, ok bool) {
	g := uint(from) >> subBits
	if g >= 64 {
		return 0, false
	}
	if w := m.group[g] >> (uint(from) & (1<<subBits - 1)); w != 0 {
		return from + bits.TrailingZeros64(w), true
	}
	t := m.top &^ (2<<g - 1) // groups above g (2<<63 is 0: none)
	if t == 0 {
		return 0, false
	}
	g = uint(bits.TrailingZeros64(t))
	return int(g<<subBits) + bits.TrailingZeros64(m.group[g]), true
}

// last returns the largest non-empty class, or ok false.
func (m *classBits) last() (c int, ok bool) {
	if m.top == 0 {
		return 0, false
	}
	g := uint(63 - bits.LeadingZeros64(m.top))
	return int(g<<subBits) + 63 - bits.LeadingZeros64(m.group[g]), true
}

// listPush files free block i (of size bytes) at the head of its class's
// list. Last in, first out: a block just freed is the first reused, which
// keeps the working set of a churning program small.
func (a *Allocator) listPush(i uint32, size uint64) {
	c := a.class(size)
	heads, nodes := a.heads, a.nodes // locals: the stores below make the compiler reload fields
	h := heads[c]
	n := &nodes[i]
	n.a, n.b = 0, h
	nodes[h].a = i  // h == 0: a harmless write to the sentinel
	a.bitmap.set(c) // idempotent: cheaper than a branch
	heads[c] = i
}

// listRemove takes free block i (of size bytes, as when it was filed) off
// its class's list.
func (a *Allocator) listRemove(i uint32, size uint64) {
	nodes := a.nodes
	n := &nodes[i]
	p, q := n.a, n.b
	if p != 0 {
		nodes[p].b = q
	} else {
		c := a.class(size)
		a.heads[c] = q
		a.bitmap.clearIf(c, q == 0)
	}
	nodes[q].a = p // q == 0: a harmless write to the sentinel
	n.a, n.b = 0, 0
}

// goodFit returns a free block of at least s bytes, or 0. In order:
//  1. the head of class Down(s): a block of s bytes exactly is filed there,
//     below the classes a rounded-up search looks at (the hole that makes
//     OffsetAllocator waste a third of the space when sizes fall between
//     classes);
//  2. the head of the first non-empty class at or above Up(s), where every
//     block fits (one bitmap search);
//  3. at most fallbackScan more blocks of class Down(s).
//
// Each step is O(1), so a failing search is O(1) too; it may miss a block
// that fits further down class Down(s)'s list (FirstFit never does).
func (a *Allocator) goodFit(s uint64) uint32 {
	u := s >> a.shift
	c := classes.Down(u)
	h := a.heads[c]
	if h != 0 && a.blockSize(h) >= s {
		return h
	}
	if up, ok := classes.Up(u); ok {
		if c2, ok := a.bitmap.next(up); ok {
			return a.heads[c2]
		}
	}
	return a.goodFitScan(c, s)
}

// classUp returns sizeclass Up(u) for u < 1<<62 units (always in range):
// Down(u), plus one unless u is its class's smallest member.
func classUp(u uint64) int {
	sh := uint(bits.Len64(u|1<<subBits)) - 1 - subBits
	r := u & (1<<sh - 1)                                   // the bits Down drops
	return int(sh<<subBits) + int(u>>sh) + int((r|-r)>>63) // +1 when r != 0
}

// goodFitScan is goodFit's step 3: up to fallbackScan blocks of class c
// after its head.
func (a *Allocator) goodFitScan(c int, s uint64) uint32 {
	h := a.heads[c]
	if h == 0 {
		return 0
	}
	i := a.nodes[h].b
	for k := 0; k < fallbackScan && i != 0; k++ {
		if a.blockSize(i) >= s {
			return i
		}
		i = a.nodes[i].b
	}
	return 0
}

// goodFitAligned is AllocAligned's last resort, when no block holds s
// bytes at every possible padding: it tries the first blocks of the classes
// from Down(s) up to Down(s+align) for one whose aligned start leaves room
// for s bytes. O(1): at most fallbackScan blocks in all.
func (a *Allocator) goodFitAligned(s, align uint64) uint32 {
	lo := classes.Down(s >> a.shift)
	hi := classes.Down((s + align) >> a.shift)
	budget := fallbackScan
	for c := lo; c <= hi && budget > 0; c++ {
		next, ok := a.bitmap.next(c)
		if !ok || next > hi {
			return 0
		}
		c = next
		for i := a.heads[c]; i != 0 && budget > 0; i = a.nodes[i].b {
			budget--
			if a.fitsAligned(i, s, align) {
				return i
			}
		}
	}
	return 0
}
