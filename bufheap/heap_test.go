// Scenario tests: configuration, exact-size reuse, coalescing, realloc in place, misuse, utilities.

package bufheap

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/memkit/memkit"
)

func TestNewConfig(t *testing.T) {
	for _, tc := range []struct {
		size, align int
		want        error
	}{
		{255, 16, memkit.ErrInvalidConfig},
		{256, 16, nil},
		{256, 8, nil},
		{1 << 20, 0, nil},
		{4096, 4, memkit.ErrInvalidConfig},
		{4096, 32, memkit.ErrInvalidConfig},
	} {
		t.Run(fmt.Sprintf("size=%d,align=%d", tc.size, tc.align), func(t *testing.T) {
			h, err := New(newGuarded(tc.size, 0).buf(), Config{Align: tc.align})
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("New: got %v, want %v", err, tc.want)
			}
			if err == nil {
				mustCheck(t, h)
				if s := h.Stats(); s.Chunks != 1 || s.FreeSize != s.LargestFree || s.FreeSize < tc.size/3 {
					t.Fatalf("fresh heap: %+v, want one free chunk of at least a third of the buffer", s)
				}
			}
		})
	}
}

// Payloads are aligned in memory whatever the buffer's own address.
func TestUnalignedBuffer(t *testing.T) {
	for _, align := range []int{8, 16} {
		for mod := 0; mod < 16; mod++ {
			g := newGuarded(4096, mod)
			h, err := New(g.buf(), Config{Align: align})
			if err != nil {
				t.Fatalf("align=%d mod=%d: %v", align, mod, err)
			}
			var bs [][]byte
			for n := 1; n < 200; n += 13 {
				b, err := h.Alloc(n)
				if err != nil {
					t.Fatalf("alloc %d: %v", n, err)
				}
				if a := addrOf(b); a%uintptr(align) != 0 {
					t.Fatalf("align=%d mod=%d: payload at address %#x, not aligned", align, mod, a)
				}
				bs = append(bs, b)
			}
			for _, b := range bs {
				if err := h.Free(b); err != nil {
					t.Fatal(err)
				}
			}
			mustCheck(t, h)
			if !g.intact() {
				t.Fatal("canaries changed")
			}
		}
	}
}

// A freed chunk whose size lies between two class minimums is found again
// for a request of exactly its size, even when every larger class is empty.
func TestExactSizeReuseBetweenClasses(t *testing.T) {
	for _, align := range []int{8, 16} {
		h := mustNew(t, 64<<10, Config{Align: align})
		// Find a request size whose chunk is not a class minimum.
		n := 0
		for m := 200; m < 4000; m++ {
			if u := h.unitsFor(m); h.cls.Min(h.cls.Down(u)) != u {
				n = m
				break
			}
		}
		if n == 0 {
			t.Fatal("no size between classes found")
		}
		a, err := h.Alloc(n)
		if err != nil {
			t.Fatal(err)
		}
		guard, _ := h.Alloc(16)
		// Fill the rest of the heap so the only free chunk is a's.
		var fill [][]byte
		for {
			b, err := h.Alloc(max(h.Stats().LargestFree, 1))
			if err != nil {
				break
			}
			fill = append(fill, b)
		}
		offA, _ := h.Offset(a)
		if err := h.Free(a); err != nil {
			t.Fatal(err)
		}
		b, err := h.Alloc(n)
		if err != nil {
			t.Fatalf("align=%d: alloc(%d) after freeing a chunk of exactly that size: %v", align, n, err)
		}
		if off, _ := h.Offset(b); off != offA {
			t.Fatalf("got block at %#x, want the freed one at %#x", off, offA)
		}
		// And when larger free chunks exist, the exact one is still preferred.
		h.Free(fill[len(fill)-1])
		h.Free(b)
		if b, _ = h.Alloc(n); b == nil {
			t.Fatal("alloc failed")
		}
		if off, _ := h.Offset(b); off != offA {
			t.Fatalf("with a larger free chunk around: got %#x, want the exact fit at %#x", off, offA)
		}
		_ = guard
		mustCheck(t, h)
	}
}

// Freeing the middle of three blocks after its neighbours leaves one chunk.
// Free finds the next chunk early through the block's cap (Free step 2):
// the blocks are also freed with their cap cut, where that guess is wrong,
// and as interior slices whose cap ends exactly at the next header.
func TestCoalesceBothNeighbours(t *testing.T) {
	for _, order := range [][3]int{{0, 2, 1}, {2, 0, 1}, {1, 0, 2}, {1, 2, 0}, {0, 1, 2}} {
		for _, cut := range []bool{false, true} {
			h := mustNew(t, 8192, Config{})
			var b [3][]byte
			for i := range b {
				b[i], _ = h.Alloc(100 * (i + 1))
			}
			tail, _ := h.Alloc(h.Stats().LargestFree) // so nothing merges with the tail
			for _, i := range order {
				if err := h.Free(b[i][16:]); !errors.Is(err, memkit.ErrInvalidFree) {
					t.Fatalf("order %v: free of an interior slice: got %v, want ErrInvalidFree", order, err)
				}
				mustCheck(t, h)
				f := b[i]
				if cut {
					f = f[:0:1]
				}
				if err := h.Free(f); err != nil {
					t.Fatalf("order %v cut %v: free: %v", order, cut, err)
				}
				mustCheck(t, h)
			}
			s := h.Stats()
			if s.Chunks != 2 || s.AllocatedChunks != 1 {
				t.Fatalf("order %v cut %v: %d chunks (%d allocated), want 2 (1)", order, cut, s.Chunks, s.AllocatedChunks)
			}
			h.Free(tail)
			if s := h.Stats(); s.Chunks != 1 {
				t.Fatalf("order %v cut %v: everything freed, %d chunks, want 1", order, cut, s.Chunks)
			}
		}
	}
}

func TestReallocInPlace(t *testing.T) {
	h := mustNew(t, 8192, Config{})
	a, _ := h.Alloc(100)
	b, _ := h.Alloc(500)
	c, _ := h.Alloc(100)
	for i := range a {
		a[i] = byte(i)
	}
	offA, _ := h.Offset(a)
	if err := h.Free(b); err != nil {
		t.Fatal(err)
	}
	// Grow into the free next neighbour.
	g, err := h.Realloc(a, 400)
	if err != nil {
		t.Fatal(err)
	}
	if off, _ := h.Offset(g); off != offA || len(g) != 400 {
		t.Fatalf("grow: block at %#x len %d, want %#x len 400 (in place)", off, len(g), offA)
	}
	for i := 0; i < 100; i++ {
		if g[i] != byte(i) {
			t.Fatalf("grow: byte %d = %d, want %d", i, g[i], byte(i))
		}
	}
	mustCheck(t, h)
	// Shrink: the tail becomes free (and merges with what is left of b).
	free0 := h.Stats().FreeSize
	s, err := h.Realloc(g, 40)
	if err != nil {
		t.Fatal(err)
	}
	if off, _ := h.Offset(s); off != offA {
		t.Fatalf("shrink moved the block to %#x", off)
	}
	if got := h.Stats().FreeSize; got <= free0 {
		t.Fatalf("shrink: free %d, want more than %d", got, free0)
	}
	mustCheck(t, h)
	// Grow beyond the neighbour: moves, keeps contents, frees the old place.
	m, err := h.Realloc(s, 3000)
	if err != nil {
		t.Fatal(err)
	}
	if off, _ := h.Offset(m); off == offA {
		t.Fatal("a grow past the free neighbour stayed in place")
	}
	for i := 0; i < 40; i++ {
		if m[i] != byte(i) {
			t.Fatalf("move: byte %d = %d, want %d", i, m[i], byte(i))
		}
	}
	if _, err := h.At(offA); !errors.Is(err, memkit.ErrInvalidFree) {
		t.Fatalf("At old place after move: got %v, want ErrInvalidFree", err)
	}
	// Failure leaves the block as it was.
	if _, err := h.Realloc(m, 1<<20); !errors.Is(err, memkit.ErrInvalidSize) && !errors.Is(err, memkit.ErrOutOfMemory) {
		t.Fatalf("realloc too big: got %v", err)
	}
	if _, err := h.Realloc(m, 8000); !errors.Is(err, memkit.ErrOutOfMemory) {
		t.Fatalf("realloc past the heap: got %v, want ErrOutOfMemory", err)
	}
	if m[5] != 5 {
		t.Fatal("failed realloc changed the block")
	}
	// nil and 0.
	n, err := h.Realloc(nil, 10)
	if err != nil || len(n) != 10 {
		t.Fatalf("Realloc(nil, 10): %v, len %d", err, len(n))
	}
	if r, err := h.Realloc(n, 0); err != nil || r != nil {
		t.Fatalf("Realloc(b, 0): %v, %v; want nil, nil", r, err)
	}
	for _, b := range [][]byte{m, c} {
		if err := h.Free(b); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, h)
	if s := h.Stats(); s.Chunks != 1 {
		t.Fatalf("%d chunks after freeing all, want 1", s.Chunks)
	}
}

func TestMisuse(t *testing.T) {
	h := mustNew(t, 4096, Config{})
	a, _ := h.Alloc(64)
	b, _ := h.Alloc(64)
	before := bytes.Clone(h.Bytes())
	if err := h.Free(nil); err != nil {
		t.Fatalf("Free(nil): %v", err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"foreign", make([]byte, 64), memkit.ErrInvalidFree},
		{"interior", a[8:], memkit.ErrInvalidFree},
		{"interior-odd", a[3:], memkit.ErrInvalidFree},
		{"control-block", h.Bytes()[:8], memkit.ErrInvalidFree},
		{"end", h.Bytes()[len(h.Bytes())-8:], memkit.ErrInvalidFree},
	} {
		err := h.Free(tc.b)
		if !errors.Is(err, tc.want) || errors.Is(err, memkit.ErrCorrupt) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if _, err := h.Realloc(tc.b, 10); !errors.Is(err, tc.want) {
			t.Errorf("%s: Realloc got %v, want %v", tc.name, err, tc.want)
		}
	}
	if !bytes.Equal(before, h.Bytes()) {
		t.Fatal("a refused free changed the image")
	}
	// Double frees: plain, and after the block merged into a free neighbour.
	if err := h.Free(b); err != nil {
		t.Fatal(err)
	}
	if err := h.Free(b); !errors.Is(err, memkit.ErrDoubleFree) {
		t.Fatalf("second free: got %v, want ErrDoubleFree", err)
	}
	if err := h.Free(a); err != nil {
		t.Fatal(err)
	}
	for _, x := range [][]byte{a, b} {
		if err := h.Free(x); !errors.Is(err, memkit.ErrDoubleFree) {
			t.Fatalf("free after merge: got %v, want ErrDoubleFree", err)
		}
	}
	if _, err := h.Alloc(0); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("Alloc(0): got %v", err)
	}
	if _, err := h.Alloc(-1); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("Alloc(-1): got %v", err)
	}
	mustCheck(t, h)
}

// An overwritten header is reported as ErrCorrupt by the operations that
// touch it, and by Check, Walk and Open, without changing anything.
func TestCorruptHeader(t *testing.T) {
	for _, who := range []string{"self", "next", "prev"} {
		t.Run(who, func(t *testing.T) {
			h := mustNew(t, 4096, Config{})
			a, _ := h.Alloc(100)
			b, _ := h.Alloc(100)
			c, _ := h.Alloc(100)
			h.Alloc(100)
			if who == "prev" {
				h.Free(a)
			}
			if who == "next" {
				h.Free(c)
			}
			victim := map[string][]byte{"self": b, "next": c, "prev": a}[who]
			off, _ := offsetIn(h.Bytes(), victim)
			h.Bytes()[off-hdrSize+2] ^= 0x40
			img := bytes.Clone(h.Bytes())
			if err := h.Free(b); !errors.Is(err, memkit.ErrCorrupt) {
				t.Fatalf("Free: got %v, want ErrCorrupt", err)
			}
			if !bytes.Equal(img, h.Bytes()) {
				t.Fatal("the failed Free changed the image")
			}
			if err := h.Check(); !errors.Is(err, memkit.ErrCorrupt) {
				t.Fatalf("Check: got %v", err)
			}
			if err := h.Walk(func(Chunk) bool { return true }); !errors.Is(err, memkit.ErrCorrupt) {
				t.Fatalf("Walk: got %v", err)
			}
			if _, err := Open(h.Bytes(), Config{}); !errors.Is(err, memkit.ErrCorrupt) {
				t.Fatalf("Open: got %v", err)
			}
			h.Bytes()[off-hdrSize+2] ^= 0x40
			mustCheck(t, h)
		})
	}
}

func TestUtilities(t *testing.T) {
	h := mustNew(t, 4096, Config{})
	s, err := h.Strdup("hello")
	if err != nil || string(s) != "hello" || s[:cap(s)][5] != 0 {
		t.Fatalf("Strdup: %q, %v", s, err)
	}
	e, err := h.Strdup("")
	if err != nil || e == nil || len(e) != 0 {
		t.Fatalf("Strdup(\"\"): %v, %v", e, err)
	}
	var p []byte
	if err := h.CallocInto(&p, 50); err != nil || len(p) != 50 {
		t.Fatalf("CallocInto: %v, len %d", err, len(p))
	}
	for i := range p {
		p[i] = 0xff
	}
	old := p
	if err := h.CallocInto(&p, 50); err != nil {
		t.Fatal(err)
	}
	for i, x := range p[:cap(p)] {
		if x != 0 {
			t.Fatalf("CallocInto: byte %d = %#x, want 0", i, x)
		}
	}
	if addrOf(old) != addrOf(p) {
		if _, err := h.Offset(old); !errors.Is(err, memkit.ErrInvalidFree) {
			t.Fatalf("CallocInto kept the old block: Offset says %v", err)
		}
	}
	if err := h.CallocInto(&p, 0); err != nil || p == nil {
		t.Fatalf("CallocInto(0): %v, p %v; want p kept", err, p)
	}
	var q []byte
	if err := h.Persistent(&q, 32); err != nil {
		t.Fatal(err)
	}
	live, _ := h.LiveBlocks()
	persistent := 0
	for _, b := range live {
		if b.Persistent {
			persistent++
		}
	}
	if persistent != 1 {
		t.Fatalf("%d persistent blocks, want 1", persistent)
	}
	for _, x := range []*[]byte{&s, &e, &p, &q} {
		if err := h.FreeAndNil(x); err != nil || *x != nil {
			t.Fatalf("FreeAndNil: %v, %v", err, *x)
		}
	}
	if err := h.FreeAndNil(&p); err != nil {
		t.Fatalf("FreeAndNil of nil: %v", err)
	}
	mustCheck(t, h)
	if st := h.Stats(); st.AllocatedChunks != 0 || st.PeakAllocated == 0 {
		t.Fatalf("stats after all freed: %+v", st)
	}
}

func TestResetAndStats(t *testing.T) {
	h := mustNew(t, 4096, Config{})
	for i := 1; i < 10; i++ {
		h.Alloc(i * 10)
	}
	s := h.Stats()
	if s.AllocatedChunks != 9 || s.PeakAllocated != s.AllocatedSize || s.TotalSize != 4096 {
		t.Fatalf("stats: %+v", s)
	}
	if s.AllocatedSize+s.FreeSize+s.Chunks*hdrSize > s.TotalSize {
		t.Fatalf("stats overcount: %+v", s)
	}
	h.Reset()
	mustCheck(t, h)
	if s := h.Stats(); s.AllocatedChunks != 0 || s.Chunks != 1 || s.PeakAllocated != 0 {
		t.Fatalf("after Reset: %+v", s)
	}
}

func TestHotPathsAllocateNothing(t *testing.T) {
	h := mustNew(t, 1<<20, Config{})
	keep, _ := h.Alloc(100)
	n := testing.AllocsPerRun(1000, func() {
		b, err := h.Alloc(300)
		if err != nil {
			t.Fatal(err)
		}
		b, err = h.Realloc(b, 600)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Free(b); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Alloc(1<<20 - 64); err == nil {
			t.Fatal("alloc past the heap succeeded")
		}
	})
	if n != 0 {
		t.Fatalf("got %v allocations per run, want 0", n)
	}
	h.Free(keep)
	mustCheck(t, h)
}
