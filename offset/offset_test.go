// The alloctest adapter and the conformance suite for both policies.

package offset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
	"github.com/memkit/memkit/internal/sizeclass"
)

// target adapts an Allocator to alloctest.Target.
type target struct {
	a *Allocator
	t testing.TB
}

func (x *target) Alloc(size uint64) (alloctest.Ref, error) {
	off, err := x.a.Alloc(size)
	return alloctest.Ref(off), err
}

func (x *target) AllocAligned(size, align uint64) (alloctest.Ref, error) {
	off, err := x.a.AllocAligned(size, align)
	return alloctest.Ref(off), err
}

func (x *target) Free(r alloctest.Ref) error { return x.a.Free(Offset(r)) }

func (x *target) FreeInterior(r alloctest.Ref, delta uint64) error {
	return x.a.Free(Offset(uint64(r) + delta))
}

func (x *target) Span(r alloctest.Ref) alloctest.Span {
	n, err := x.a.SizeOf(Offset(r))
	if err != nil {
		x.t.Fatalf("SizeOf(%#x) of a live block: %v", r, err)
	}
	return alloctest.Span{Off: uint64(r), Len: n}
}

func (x *target) Check() error { return x.a.Check() }

func (x *target) Reset() { x.a.Reset() }

func (x *target) Live() (int, uint64) {
	s := x.a.Stats()
	return s.Live, s.Allocated
}

var policies = []Policy{GoodFit, FirstFit}

func mustNew(t testing.TB, cfg Config) *Allocator {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return a
}

// checkOK fails t when a's Check fails.
func checkOK(t testing.TB, a *Allocator) {
	t.Helper()
	if err := a.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func TestConformance(t *testing.T) {
	mix := alloctest.DefaultMix
	mix.Reset = 1
	mix.MaxAlign = 4096
	for _, p := range policies {
		for _, tc := range []struct {
			space    uint64
			align    uint64
			maxNodes int
		}{
			{1 << 16, 16, 0},
			{1 << 20, 16, 0},
			{1 << 16, 1, 0},
			{1 << 16, 64, 0},
			{1 << 16, 16, 4},
			{1 << 16, 16, 17},
			{1 << 18, 8, 64},
		} {
			name := fmt.Sprintf("policy=%v/space=%d/align=%d/maxnodes=%d", p, tc.space, tc.align, tc.maxNodes)
			t.Run(name, func(t *testing.T) {
				cfg := Config{Size: tc.space, Align: tc.align, MaxNodes: tc.maxNodes, Policy: p}
				alloctest.Run(t, func(t *testing.T) alloctest.Target {
					return &target{a: mustNew(t, cfg), t: t}
				}, alloctest.Config{Space: tc.space, Align: tc.align, Mix: mix, Ops: 1500, Seeds: 8})
			})
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Size: 8, Align: 16},
		{Size: 1 << 20, Align: 24},
		{Size: 1<<62 + 1},
		{Size: 1 << 20, MaxNodes: -1},
		{Size: 1 << 20, MaxNodes: MaxNodes + 1},
		{Size: 1 << 20, Policy: 7},
		{Size: 1 << 20, Align: 1 << 63},
	} {
		if _, err := New(cfg); !errors.Is(err, memkit.ErrInvalidConfig) {
			t.Errorf("New(%+v): got %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

// TestClassDown checks that the constant-folded class arithmetic agrees with
// internal/sizeclass at every class boundary and around it.
func TestClassDown(t *testing.T) {
	for k := 0; k < classes.Count(); k++ {
		m := classes.Min(k)
		for _, u := range []uint64{m - 1, m, m + 1} {
			if m == 0 && u == m-1 {
				continue
			}
			if got, want := classDown(u), classes.Down(u); got != want {
				t.Fatalf("classDown(%d) = %d, want %d", u, got, want)
			}
			if u < 1<<62 {
				if got, _ := classes.Up(u); classUp(u) != got {
					t.Fatalf("classUp(%d) = %d, want %d", u, classUp(u), got)
				}
			}
		}
	}
}

// TestClassBits checks the constant-folded class set against
// internal/sizeclass's Bitmap under a seeded random stream of sets and
// clears, comparing every query after every change.
func TestClassBits(t *testing.T) {
	const seed = 7
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, seed))
	var got classBits
	var want sizeclass.Bitmap
	n := classes.Count()
	if n > 64<<subBits {
		t.Fatalf("%d classes, classBits holds %d", n, 64<<subBits)
	}
	for step := 0; step < 4000; step++ {
		// Cluster the classes touched so groups fill and empty.
		c := r.IntN(n)
		if step%3 == 0 {
			c = r.IntN(96)
		}
		if r.IntN(2) == 0 {
			got.set(c)
			want.Set(classes, c)
		} else {
			got.clear(c)
			want.Clear(classes, c)
		}
		from := r.IntN(n + 40)
		gc, gok := got.next(from)
		wc, wok := want.Next(classes, from)
		if gc != wc || gok != wok {
			t.Fatalf("step %d: next(%d) = %d, %v, want %d, %v", step, from, gc, gok, wc, wok)
		}
		gc, gok = got.last()
		wc, wok = want.Last(classes)
		if gc != wc || gok != wok {
			t.Fatalf("step %d: last() = %d, %v, want %d, %v", step, gc, gok, wc, wok)
		}
		if k := r.IntN(n); got.has(k) != want.Has(classes, k) {
			t.Fatalf("step %d: has(%d) = %v, want %v", step, k, got.has(k), want.Has(classes, k))
		}
	}
}

// TestMetadataPerNode checks the metadata budget: each block a budget
// adds costs at most 32 bytes (GoodFit 30: node and index; FirstFit about
// 30.5: B+-tree pools sized for every node at its minimum fill, the worst
// case), whatever the space's size. The fixed part (the sentinel, the class
// heads and bitmap) is what a budget of 0 extra nodes costs, so the
// marginal cost is measured between two budgets.
func TestMetadataPerNode(t *testing.T) {
	for _, p := range policies {
		for _, size := range []uint64{1 << 20, 1 << 40, MaxSize} {
			meta := func(n int) uint64 {
				a := mustNew(t, Config{Size: size, MaxNodes: n, Policy: p})
				st := a.Stats()
				if st.NodeCap != n {
					t.Fatalf("%v: NodeCap %d, want %d", p, st.NodeCap, n)
				}
				return st.MetadataBytes
			}
			const n = 1 << 12
			per := float64(meta(2*n)-meta(n)) / n
			if per > 32 {
				t.Errorf("%v, size %#x: %.2f bytes of metadata per node, want at most 32", p, size, per)
			}
			t.Logf("%v, size %#x: %.2f bytes per node", p, size, per)
		}
	}
}
