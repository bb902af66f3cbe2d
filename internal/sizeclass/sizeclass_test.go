// Exhaustive tests of the class arithmetic at every boundary, and of Bitmap against a model.

package sizeclass

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// boundaries returns every class's first and last member and their
// neighbours: the sizes where an off-by-one would show.
func boundaries(c Classes) []uint64 {
	var out []uint64
	for k := 0; k < c.Count(); k++ {
		lo := c.Min(k)
		out = append(out, lo, lo-1, lo+1)
		if k+1 < c.Count() {
			hi := c.Min(k+1) - 1
			out = append(out, hi, hi+1)
		}
	}
	return append(out, math.MaxUint64, math.MaxUint64-1, 0, 1)
}

func TestNewRange(t *testing.T) {
	for _, b := range []int{-1, 0, MaxSubBits + 1} {
		if _, err := New(b); err == nil {
			t.Errorf("New(%d): got nil error, want one", b)
		}
	}
	for b := 1; b <= MaxSubBits; b++ {
		c := MustNew(b)
		if got, want := c.Count(), (65-b)<<b; got != want {
			t.Errorf("subBits=%d: Count() = %d, want %d", b, got, want)
		}
		if got := c.Down(math.MaxUint64); got != c.Count()-1 {
			t.Errorf("subBits=%d: Down(max) = %d, want last class %d", b, got, c.Count()-1)
		}
	}
}

// TestMinIsMonotonicAndExact checks the class grid itself: Min strictly
// increases, and every class spans a width that is a power of two not above
// 1/2^subBits of its sizes.
func TestMinIsMonotonicAndExact(t *testing.T) {
	for b := 1; b <= MaxSubBits; b++ {
		c := MustNew(b)
		for k := 0; k+1 < c.Count(); k++ {
			lo, next := c.Min(k), c.Min(k+1)
			if next <= lo {
				t.Fatalf("subBits=%d: Min(%d)=%d, Min(%d)=%d: not increasing", b, k, lo, k+1, next)
			}
			width := next - lo
			if width&(width-1) != 0 {
				t.Fatalf("subBits=%d class %d: width %d not a power of two", b, k, width)
			}
			if lo >= 1<<b && width > lo>>b {
				t.Fatalf("subBits=%d class %d: width %d > Min/2^b = %d", b, k, width, lo>>b)
			}
			if c.Down(lo) != k || c.Down(next-1) != k {
				t.Fatalf("subBits=%d class %d: Down(%d)=%d Down(%d)=%d, want %d", b, k, lo, c.Down(lo), next-1, c.Down(next-1), k)
			}
		}
	}
}

// TestDownUpAtEveryBoundary checks the two contracts at every class
// boundary, for every scheme.
func TestDownUpAtEveryBoundary(t *testing.T) {
	for b := 1; b <= MaxSubBits; b++ {
		c := MustNew(b)
		for _, s := range boundaries(c) {
			checkSize(t, c, s)
		}
	}
}

func TestDownUpRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for b := 1; b <= MaxSubBits; b++ {
		c := MustNew(b)
		for i := 0; i < 20000; i++ {
			s := r.Uint64() >> r.UintN(64)
			checkSize(t, c, s)
		}
	}
}

func checkSize(t *testing.T, c Classes, s uint64) {
	t.Helper()
	d := c.Down(s)
	if c.Min(d) > s {
		t.Fatalf("subBits=%d size=%d: Min(Down)=%d > size", c.SubBits(), s, c.Min(d))
	}
	if d+1 < c.Count() && c.Min(d+1) <= s {
		t.Fatalf("subBits=%d size=%d: Down=%d is not the largest class with Min ≤ size", c.SubBits(), s, d)
	}
	u, ok := c.Up(s)
	if !ok {
		if c.Min(c.Count()-1) >= s {
			t.Fatalf("subBits=%d size=%d: Up not ok, but last class Min %d ≥ size", c.SubBits(), s, c.Min(c.Count()-1))
		}
		return
	}
	if c.Min(u) < s {
		t.Fatalf("subBits=%d size=%d: Min(Up)=%d < size", c.SubBits(), s, c.Min(u))
	}
	if u > 0 && c.Min(u-1) >= s {
		t.Fatalf("subBits=%d size=%d: Up=%d is not the smallest class with Min ≥ size", c.SubBits(), s, u)
	}
	if r, _ := c.RoundUp(s); r != c.Min(u) {
		t.Fatalf("subBits=%d size=%d: RoundUp=%d, want %d", c.SubBits(), s, r, c.Min(u))
	}
	// Rounding waste is bounded by one class width.
	if s >= 1<<c.SubBits() && c.Min(u)-s > s>>c.SubBits() {
		t.Fatalf("subBits=%d size=%d: RoundUp wastes %d > size/2^b", c.SubBits(), s, c.Min(u)-s)
	}
}

func TestMinPanicsOutOfRange(t *testing.T) {
	c := MustNew(4)
	for _, k := range []int{-1, c.Count()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Min(%d): no panic", k)
				}
			}()
			c.Min(k)
		}()
	}
}

// TestBitmapAgainstModel drives Bitmap and a plain []bool with the same
// random operations and compares Next and Last after each.
func TestBitmapAgainstModel(t *testing.T) {
	for _, b := range []int{1, 3, 4, 5, MaxSubBits} {
		t.Run(fmt.Sprintf("subBits=%d", b), func(t *testing.T) {
			c := MustNew(b)
			seed := uint64(b)
			r := rand.New(rand.NewPCG(seed, 7))
			t.Logf("seed %d", seed)
			var m Bitmap
			model := make([]bool, c.Count())
			for i := 0; i < 50000; i++ {
				k := r.IntN(c.Count())
				if r.IntN(3) == 0 {
					m.Clear(c, k)
					model[k] = false
				} else {
					m.Set(c, k)
					model[k] = true
				}
				from := r.IntN(c.Count())
				want, wantOK := -1, false
				for j := from; j < len(model); j++ {
					if model[j] {
						want, wantOK = j, true
						break
					}
				}
				got, ok := m.Next(c, from)
				if ok != wantOK || (ok && got != want) {
					t.Fatalf("op %d: Next(%d) = %d,%v, want %d,%v", i, from, got, ok, want, wantOK)
				}
				if m.Has(c, k) != model[k] {
					t.Fatalf("op %d: Has(%d) = %v, want %v", i, k, m.Has(c, k), model[k])
				}
				last, lok := m.Last(c)
				wl, wlok := -1, false
				for j := len(model) - 1; j >= 0; j-- {
					if model[j] {
						wl, wlok = j, true
						break
					}
				}
				if lok != wlok || (lok && last != wl) {
					t.Fatalf("op %d: Last = %d,%v, want %d,%v", i, last, lok, wl, wlok)
				}
			}
			m.Reset()
			if !m.Empty() {
				t.Fatalf("after Reset: not empty")
			}
		})
	}
}

var sink int

func BenchmarkDown(b *testing.B) {
	c := MustNew(4)
	sizes := make([]uint64, 1024)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range sizes {
		sizes[i] = 1 + r.Uint64N(1<<20)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink += c.Down(sizes[i&1023])
	}
}
