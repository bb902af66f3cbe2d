package peers

import (
	"cmp"
	"errors"
	"slices"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/workload"
)

// TestOffsetBinsChurn: under churn no two live blocks overlap and the free
// count adds up; freeing everything merges the space back into one block.
func TestOffsetBinsChurn(t *testing.T) {
	const space, live = 1 << 24, 500
	c := workload.NewChurn(7, live, 1, 4096, 1<<12)
	a, err := NewOffsetBins(space, 2*live+16)
	if err != nil {
		t.Fatal(err)
	}
	handles := make([]uint32, live)
	var used uint64
	for i, s := range c.Initial {
		if _, handles[i], err = a.Alloc(s); err != nil {
			t.Fatalf("initial alloc %d: %v", i, err)
		}
		used += s
	}
	check := func(step int) {
		t.Helper()
		idx := slices.Clone(handles)
		slices.SortFunc(idx, func(x, y uint32) int {
			ox, _ := a.Block(x)
			oy, _ := a.Block(y)
			return cmp.Compare(ox, oy)
		})
		for k := 1; k < live; k++ {
			po, ps := a.Block(idx[k-1])
			qo, qs := a.Block(idx[k])
			if po+ps > qo {
				t.Fatalf("step %d: [%d,+%d) overlaps [%d,+%d)", step, po, ps, qo, qs)
			}
		}
		if a.FreeBytes()+used != space {
			t.Fatalf("step %d: %d free + %d live != %d", step, a.FreeBytes(), used, space)
		}
	}
	check(-1)
	for i := range 20000 {
		k := i & c.Mask
		v := c.Victims[k]
		_, s := a.Block(handles[v])
		a.Free(handles[v])
		used -= uint64(s)
		if _, handles[v], err = a.Alloc(c.Sizes[k]); err != nil {
			t.Fatalf("step %d: alloc %d with %d free: %v", i, c.Sizes[k], a.FreeBytes(), err)
		}
		if _, s := a.Block(handles[v]); uint64(s) != c.Sizes[k] {
			t.Fatalf("step %d: block of %d bytes for %d", i, s, c.Sizes[k])
		}
		used += c.Sizes[k]
		if i%1000 == 0 {
			check(i)
		}
	}
	for _, h := range handles {
		a.Free(h)
	}
	if off, _, err := a.Alloc(space); err != nil || off != 0 || a.FreeBytes() != 0 {
		t.Fatalf("after freeing everything: alloc of the whole space = %d, %v (%d free left)", off, err, a.FreeBytes())
	}
}

// TestOffsetBinsHole: a churn of one size between two bins never reuses a
// freed block, so the space runs out with half of it free in blocks of
// exactly that size: the behaviour the model must keep (memkit's offset
// reuses every one of them: its TestRefillUtilization).
func TestOffsetBinsHole(t *testing.T) {
	const size, n = 1000, 64 // 1000 lies inside a bin: a search for it starts a bin higher
	a, err := NewOffsetBins(n*size+3000, 4*n)
	if err != nil {
		t.Fatal(err)
	}
	hs := make([]uint32, n)
	for i := range hs {
		if _, hs[i], err = a.Alloc(size); err != nil {
			t.Fatalf("fill %d: %v", i, err)
		}
	}
	for i := 0; i < n; i += 2 {
		a.Free(hs[i])
	}
	got := 0
	for ; got < n; got++ {
		if _, _, err = a.Alloc(size); err != nil {
			break
		}
	}
	if !errors.Is(err, memkit.ErrOutOfMemory) || got > 2 {
		t.Fatalf("with %d blocks of %d bytes freed, %d allocs of %d succeeded, then %v; want at most 2 (from the tail), then out of memory", n/2, size, got, size, err)
	}
}

// TestTLSFChurn: under churn the blocks stay inside the buffer and never
// overlap (each is filled with its own byte and checked before it is
// freed); freeing everything merges the buffer back into one block.
func TestTLSFChurn(t *testing.T) {
	const live = 300
	buf := make([]byte, 4<<20)
	a, err := NewTLSF(buf)
	if err != nil {
		t.Fatal(err)
	}
	c := workload.NewChurn(5, live, 1, 4096, 1<<12)
	slots := make([][]byte, live)
	offs := make([]int, live)
	alloc := func(v int, n uint64) {
		t.Helper()
		off, b, err := a.Alloc(int(n))
		if err != nil || len(b) != int(n) || &b[0] != &buf[off] {
			t.Fatalf("alloc %d: %d bytes at %d, %v", n, len(b), off, err)
		}
		slots[v], offs[v] = b, off
		for i := range b {
			b[i] = byte(v)
		}
	}
	for i, n := range c.Initial {
		alloc(i, n)
	}
	for i := range 20000 {
		k := i & c.Mask
		v := int(c.Victims[k])
		for j, x := range slots[v] {
			if x != byte(v) {
				t.Fatalf("step %d: block %d byte %d is %d: another block overlaps it", i, v, j, x)
			}
		}
		a.Free(offs[v])
		alloc(v, c.Sizes[k])
	}
	for _, off := range offs {
		a.Free(off)
	}
	e := uint64(len(buf)-16) &^ 7
	if w := a.word(16); w != (e-8)|tlsfFree {
		t.Fatalf("after freeing everything the first block's size word is %#x, want %#x", w, (e-8)|tlsfFree)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := NewOffsetBins(0, 16); !errors.Is(err, memkit.ErrInvalidConfig) {
		t.Errorf("NewOffsetBins(0, 16): %v", err)
	}
	if _, err := NewOffsetBins(1<<32, 16); !errors.Is(err, memkit.ErrInvalidConfig) {
		t.Errorf("NewOffsetBins(1<<32, 16): %v", err)
	}
	if _, err := NewTLSF(make([]byte, 63)); !errors.Is(err, memkit.ErrInvalidConfig) {
		t.Errorf("NewTLSF(63 bytes): %v", err)
	}
}

func TestAllocErrors(t *testing.T) {
	a, err := NewOffsetBins(1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Alloc(0); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Errorf("OffsetBins.Alloc(0): %v", err)
	}
	if _, _, err := a.Alloc(1 << 32); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Errorf("OffsetBins.Alloc(1<<32): %v", err)
	}
	if _, _, err := a.Alloc(1<<20 + 1); !errors.Is(err, memkit.ErrOutOfMemory) {
		t.Errorf("OffsetBins.Alloc(space+1): %v", err)
	}
	// Three nodes: the free block, then two splits use them all.
	for i := range 2 {
		if _, _, err := a.Alloc(16); err != nil {
			t.Fatalf("alloc %d: %v", i, err)
		}
	}
	if _, _, err := a.Alloc(16); !errors.Is(err, memkit.ErrNoMetadata) {
		t.Errorf("OffsetBins.Alloc with no node left: %v", err)
	}

	tl, err := NewTLSF(make([]byte, 1<<16))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tl.Alloc(0); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Errorf("TLSF.Alloc(0): %v", err)
	}
	if _, _, err := tl.Alloc(1<<16 + 1); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Errorf("TLSF.Alloc(len+1): %v", err)
	}
	if _, _, err := tl.Alloc(1 << 16); !errors.Is(err, memkit.ErrOutOfMemory) {
		t.Errorf("TLSF.Alloc(len): %v", err)
	}
}
