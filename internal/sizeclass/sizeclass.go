// Package sizeclass is the two-level (TLSF-style) size-class arithmetic shared
// by offset, bufheap and malloc.
//
// A size class groups sizes the way a small floating-point number does: below
// 2^SubBits every size is its own class (the linear range); above it, each
// power of two [2^e, 2^(e+1)) is cut into 2^SubBits classes of equal width
// 2^(e-SubBits). The class index of a size s ≥ 2^SubBits is
//
//	e = floor(log2 s)
//	index = (e-SubBits)<<SubBits + s>>(e-SubBits)
//
// which is monotonic in s and continuous with the linear range, so every
// uint64 maps to exactly one class and classes are ordered like their sizes.
// With SubBits = b the worst rounding waste is 1/2^b of the size (b = 4:
// 6.25%), and there are (65-b)<<b classes in all.
//
// Allocators file a free block under Down(size) (the largest class whose
// smallest member is ≤ size) and search from Up(request) (the smallest class
// whose every member is ≥ request), so any block found in a class at or above
// Up(request) fits without looking at it. Bitmap finds that class in O(1).
package sizeclass

import (
	"fmt"
	"math/bits"
)

// MaxSubBits is the largest SubBits accepted: a group of sub-classes must fit
// one 64-bit word of the Bitmap.
const MaxSubBits = 6

// Classes holds the parameters of one class scheme. The zero value is not
// usable; build one with New. It is immutable and safe for concurrent use.
type Classes struct {
	sub   uint // SubBits: log2 of the number of classes per power of two
	count int  // number of classes, (65-sub)<<sub
}

// New returns the scheme with 2^subBits classes per power of two,
// 1 ≤ subBits ≤ MaxSubBits.
func New(subBits int) (Classes, error) {
	if subBits < 1 || subBits > MaxSubBits {
		return Classes{}, fmt.Errorf("sizeclass: subBits %d outside [1, %d]", subBits, MaxSubBits)
	}
	return Classes{sub: uint(subBits), count: (65 - subBits) << subBits}, nil
}

// MustNew is New for constant arguments known to be valid.
func MustNew(subBits int) Classes {
	c, err := New(subBits)
	if err != nil {
		panic(err)
	}
	return c
}

// SubBits returns log2 of the number of classes per power of two.
func (c Classes) SubBits() int { return int(c.sub) }

// Count returns the number of classes; valid indexes are [0, Count()).
func (c Classes) Count() int { return c.count }

// Down returns the class a free block of the given size is filed under: the
// largest class whose smallest member is ≤ size.
func (c Classes) Down(size uint64) int {
	// Every shift count here is below 64 (sub ≤ MaxSubBits, size < 2^64);
	// masking with 63 says so to the compiler, which then drops its code
	// for oversized shifts from these hot paths.
	sub := c.sub & 63
	if size < 1<<sub {
		return int(size)
	}
	shift := (uint(bits.Len64(size)-1) - sub) & 63
	return int(shift<<sub) + int(size>>shift)
}

// Up returns the class a search for size starts from: the smallest class
// whose smallest member is ≥ size, so every block filed there or above fits.
// ok is false when no such class exists (size is above the smallest member of
// the last class).
func (c Classes) Up(size uint64) (class int, ok bool) {
	d := c.Down(size)
	if c.Min(d) == size {
		return d, true
	}
	if d+1 >= c.count {
		return 0, false
	}
	return d + 1, true
}

// Min returns the smallest size filed under class. It panics if class is out
// of range, as indexing would.
func (c Classes) Min(class int) uint64 {
	if class < 0 || class >= c.count {
		panic(fmt.Sprintf("sizeclass: class %d outside [0, %d)", class, c.count))
	}
	sub := c.sub & 63 // shift counts below 64: see Down
	if class < 1<<sub {
		return uint64(class)
	}
	shift := (uint(class>>sub) - 1) & 63
	mant := uint64(class)&(1<<sub-1) | 1<<sub
	return mant << shift
}

// RoundUp returns the smallest member of class Up(size): size rounded up to
// the class grid. ok is false when that would overflow uint64.
func (c Classes) RoundUp(size uint64) (uint64, bool) {
	u, ok := c.Up(size)
	if !ok {
		return 0, false
	}
	return c.Min(u), true
}
