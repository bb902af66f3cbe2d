// Bitmap: a two-level set of non-empty classes with O(1) search upward.

package sizeclass

import "math/bits"

// Bitmap records which classes are non-empty. The top word has one bit per
// group of 2^SubBits classes (a power of two); each group word has one bit
// per class in it. Set, Clear and Next each cost a few word operations,
// whatever the number of classes. It holds no pointers, so embedding it in
// allocator metadata adds nothing for the GC to scan.
//
// The zero value is an empty set. A Bitmap is not safe for concurrent use.
type Bitmap struct {
	top   uint64     // bit g set: groups[g] != 0
	group [64]uint64 // bit s of group[g]: class g<<sub | s is non-empty
}

// Set marks class non-empty.
func (m *Bitmap) Set(c Classes, class int) {
	g, s := uint(class)>>c.sub, uint(class)&(1<<c.sub-1)
	m.group[g&63] |= 1 << s
	m.top |= 1 << (g & 63)
}

// Clear marks class empty.
func (m *Bitmap) Clear(c Classes, class int) {
	g, s := uint(class)>>c.sub, uint(class)&(1<<c.sub-1)
	m.group[g&63] &^= 1 << s
	if m.group[g&63] == 0 {
		m.top &^= 1 << (g & 63)
	}
}

// Has reports whether class is marked non-empty.
func (m *Bitmap) Has(c Classes, class int) bool {
	g, s := uint(class)>>c.sub, uint(class)&(1<<c.sub-1)
	return m.group[g&63]&(1<<s) != 0
}

// Next returns the smallest non-empty class ≥ from, or ok false if there is
// none.
func (m *Bitmap) Next(c Classes, from int) (class int, ok bool) {
	g, s := uint(from)>>c.sub, uint(from)&(1<<c.sub-1)
	if g >= 64 {
		return 0, false
	}
	if w := m.group[g] >> s << s; w != 0 {
		return int(g<<c.sub) + bits.TrailingZeros64(w), true
	}
	g++
	if g >= 64 {
		return 0, false
	}
	t := m.top >> g << g
	if t == 0 {
		return 0, false
	}
	g = uint(bits.TrailingZeros64(t))
	return int(g<<c.sub) + bits.TrailingZeros64(m.group[g]), true
}

// Last returns the largest non-empty class, or ok false if the set is empty.
func (m *Bitmap) Last(c Classes) (class int, ok bool) {
	if m.top == 0 {
		return 0, false
	}
	g := uint(63 - bits.LeadingZeros64(m.top))
	return int(g<<c.sub) + 63 - bits.LeadingZeros64(m.group[g]), true
}

// Empty reports whether no class is marked.
func (m *Bitmap) Empty() bool { return m.top == 0 }

// Reset clears every class.
func (m *Bitmap) Reset() { *m = Bitmap{} }
