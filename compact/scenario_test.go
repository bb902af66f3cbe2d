// dalloc's scenarios as named table tests, run under every policy.

package compact

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// fixture allocates blocks with per-block patterns and verifies them.
type fixture struct {
	t     *testing.T
	h     *Heap
	seeds map[Handle]uint64
	n     uint64
}

func newFixture(t *testing.T, size int, cfg Config) *fixture {
	return &fixture{t: t, h: newTestHeap(t, size, cfg), seeds: map[Handle]uint64{}}
}

func (f *fixture) alloc(n int) Handle {
	f.t.Helper()
	hd, err := f.h.Alloc(n)
	if err != nil {
		f.t.Fatalf("alloc(%d): %v (%s)", n, err, f.h)
	}
	f.n++
	f.seeds[hd] = f.n
	b, _ := f.h.Bytes(hd)
	alloctest.Fill(b, f.n)
	return hd
}

func (f *fixture) free(hd Handle) {
	f.t.Helper()
	if err := f.h.Free(hd); err != nil {
		f.t.Fatalf("free %v: %v", hd, err)
	}
	delete(f.seeds, hd)
}

func (f *fixture) off(hd Handle) int { return f.h.tab[hd.slot()].off }

// verify checks every block's contents and the heap's Check.
func (f *fixture) verify() {
	f.t.Helper()
	for hd, seed := range f.seeds {
		b, err := f.h.Bytes(hd)
		if err != nil {
			f.t.Fatalf("Bytes(%v): %v", hd, err)
		}
		if err := alloctest.Verify(b, seed); err != nil {
			f.t.Fatalf("block %v at %#x: %v", hd, f.off(hd), err)
		}
	}
	if err := f.h.Check(); err != nil {
		f.t.Fatal(err)
	}
}

func TestDallocScenarios(t *testing.T) {
	type scenario struct {
		name string
		run  func(t *testing.T, f *fixture, pol Policy)
	}
	freeOne := func(which int) func(t *testing.T, f *fixture, pol Policy) {
		return func(t *testing.T, f *fixture, pol Policy) {
			hs := []Handle{f.alloc(100), f.alloc(200), f.alloc(300)}
			f.free(hs[which])
			f.verify()
			if pol == Eager {
				// compact on every free: the survivors are packed from 0
				at := 0
				for i, hd := range hs {
					if i == which {
						continue
					}
					if got := f.off(hd); got != at {
						t.Fatalf("block %d at %#x, want %#x (packed)", i, got, at)
					}
					at += f.h.roundUp(f.seeds2size(hd))
				}
				if st := f.h.Stats(); st.FreeHoles != 1 || st.LargestFree != st.Total-st.Used {
					t.Fatalf("eager: %d holes, largest %d; want 1 hole of %d", st.FreeHoles, st.LargestFree, st.Total-st.Used)
				}
			}
			// all the free space in one block: at once under Lazy and
			// Eager (and Manual when the gap joined the tail), after a
			// Defragment under Manual
			rest := f.h.Stats().Total - f.h.Stats().Used
			if pol == Manual && which != 2 {
				if _, err := f.h.Alloc(rest); !errors.Is(err, memkit.ErrOutOfMemory) {
					t.Fatalf("manual alloc(%d) across a hole: got %v, want ErrOutOfMemory", rest, err)
				}
				if r, err := f.h.Defragment(Budget{}); err != nil || !r.Done || r.Moves == 0 {
					t.Fatalf("Defragment: %+v, %v; want moves and Done", r, err)
				}
			}
			f.alloc(rest)
		}
	}
	scenarios := []scenario{
		{"free-first", freeOne(0)},
		{"free-middle", freeOne(1)},
		{"free-last", freeOne(2)},
		{"alternating-frees/7K-free-4K-wanted", func(t *testing.T, f *fixture, pol Policy) {
			// 8 KiB heap of 1 KiB blocks; free every other one and one
			// more byte-wise: 3.5 KiB + ... = 7 KiB free in pieces.
			var hs []Handle
			for range 8 {
				hs = append(hs, f.alloc(1024))
			}
			for i := 0; i < 8; i += 2 {
				f.free(hs[i])
			}
			if err := f.h.Realloc(hs[7], 64); err != nil {
				t.Fatal(err)
			}
			f.seeds[hs[7]] = reseed(f, hs[7])
			st := f.h.Stats()
			if st.Total-st.Used < 4096 {
				t.Fatalf("setup: %d bytes free, want ≥ 4096", st.Total-st.Used)
			}
			if pol != Eager && st.LargestFree >= 4096 {
				t.Fatalf("setup: largest gap %d, want the free space in pieces < 4096", st.LargestFree)
			}
			hd, err := f.h.Alloc(4096)
			if pol == Manual {
				if !errors.Is(err, memkit.ErrOutOfMemory) {
					t.Fatalf("manual alloc(4096) in pieces: got %v, want ErrOutOfMemory", err)
				}
				r, derr := f.h.Defragment(Budget{})
				if derr != nil || !r.Done {
					t.Fatalf("Defragment: %+v, %v", r, derr)
				}
				hd, err = f.h.Alloc(4096)
			}
			if err != nil {
				t.Fatalf("alloc(4096) with %d bytes free: %v", st.Total-st.Used, err)
			}
			b, _ := f.h.Bytes(hd)
			for i, c := range b {
				if c != 0 {
					t.Fatalf("new block byte %d = %#x, want 0", i, c)
				}
			}
			f.seeds[hd] = reseed(f, hd)
		}},
		{"realloc-grow-shrink-with-neighbours", func(t *testing.T, f *fixture, pol Policy) {
			a, b, c := f.alloc(1000), f.alloc(1000), f.alloc(1000)
			f.alloc(f.h.Stats().Total - f.h.Stats().Used - 2048) // leave 2 KiB at the end
			f.free(a)                                            // and 1 KiB below b (packed away under Eager)
			// b grows by 2.5 KiB: no gap alone holds it, their sum does
			err := f.h.Realloc(b, 3500)
			if pol == Manual {
				if !errors.Is(err, memkit.ErrOutOfMemory) {
					t.Fatalf("manual grow: got %v, want ErrOutOfMemory", err)
				}
				f.verify()
				return
			}
			if err != nil {
				t.Fatalf("grow b to 3500 with %d free: %v", f.h.Stats().Total-f.h.Stats().Used, err)
			}
			got, _ := f.h.Bytes(b)
			if err := alloctest.Verify(got[:1000], f.seeds[b]); err != nil {
				t.Fatalf("grown block lost its contents: %v", err)
			}
			f.seeds[b] = reseed(f, b)
			if f.off(b) >= f.off(c) {
				t.Fatalf("b at %#x, c at %#x: order lost", f.off(b), f.off(c))
			}
			f.verify()
			if err := f.h.Realloc(b, 10); err != nil {
				t.Fatalf("shrink: %v", err)
			}
			got, _ = f.h.Bytes(b)
			if err := alloctest.Verify(got, f.seeds[b]); err != nil {
				t.Fatalf("shrunk block: %v", err)
			}
			f.seeds[b] = reseed(f, b)
		}},
		{"ownership-transfer", func(t *testing.T, f *fixture, pol Policy) {
			first := f.alloc(512)
			var a, b []byte
			if err := f.h.AllocInto(&a, 300); err != nil {
				t.Fatal(err)
			}
			copy(a, "payload")
			if err := f.h.Transfer(&a, &b); err != nil {
				t.Fatal(err)
			}
			if a != nil || f.h.Tracks(&a) || !f.h.Tracks(&b) {
				t.Fatalf("after Transfer: a=%v tracked(a)=%t tracked(b)=%t", a != nil, f.h.Tracks(&a), f.h.Tracks(&b))
			}
			f.free(first)
			if _, err := f.h.Defragment(Budget{}); err != nil {
				t.Fatal(err)
			}
			if string(b[:7]) != "payload" || f.off(mustHandle(t, f.h, &b)) != 0 {
				t.Fatalf("b = %q at %#x, want payload at 0", b[:7], f.off(mustHandle(t, f.h, &b)))
			}
			if err := f.h.FreeFrom(&a); !errors.Is(err, memkit.ErrInvalidFree) {
				t.Fatalf("free through the old owner: got %v, want ErrInvalidFree", err)
			}
			if err := f.h.FreeFrom(&b); err != nil || b != nil {
				t.Fatalf("FreeFrom(&b): %v, b nil: %t", err, b == nil)
			}
		}},
		{"nilled-and-advanced-owners", func(t *testing.T, f *fixture, pol Policy) {
			// dalloc trusts the owner's value and crashes here; compact
			// finds blocks from its table only.
			first := f.alloc(256)
			var x, y []byte
			if err := f.h.AllocInto(&x, 100); err != nil {
				t.Fatal(err)
			}
			if err := f.h.AllocInto(&y, 100); err != nil {
				t.Fatal(err)
			}
			copy(x, "xxxx")
			copy(y, "yyyy")
			x = nil
			y = y[50:]
			f.free(first)
			if _, err := f.h.Defragment(Budget{}); err != nil {
				t.Fatal(err)
			}
			if len(x) != 100 || string(x[:4]) != "\x00\x00\x00\x00" && string(x[:4]) != "xxxx" {
				t.Fatalf("x rewritten to %d bytes %q", len(x), x[:4])
			}
			if string(x[:4]) != "xxxx" || len(y) != 100 || string(y[:4]) != "yyyy" {
				t.Fatalf("after the move: x=%q y=%q (len %d), want xxxx, yyyy, 100", x[:4], y[:4], len(y))
			}
			if err := f.h.FreeFrom(&x); err != nil {
				t.Fatal(err)
			}
			if err := f.h.FreeFrom(&y); err != nil {
				t.Fatal(err)
			}
		}},
		{"heap-full", func(t *testing.T, f *fixture, pol Policy) {
			var hs []Handle
			for range 16 {
				hs = append(hs, f.alloc(512))
			}
			before := f.h.Stats()
			for _, n := range []int{1, 16, 512} {
				if _, err := f.h.Alloc(n); !errors.Is(err, memkit.ErrOutOfMemory) {
					t.Fatalf("alloc(%d) in a full heap: got %v, want ErrOutOfMemory", n, err)
				}
			}
			if err := f.h.Realloc(hs[3], 513); !errors.Is(err, memkit.ErrOutOfMemory) {
				t.Fatalf("grow in a full heap: got %v, want ErrOutOfMemory", err)
			}
			if after := f.h.Stats(); after != before {
				t.Fatalf("failed calls changed the stats: %+v -> %+v", before, after)
			}
		}},
		{"exact-fit", func(t *testing.T, f *fixture, pol Policy) {
			if _, err := f.h.Alloc(8193); !errors.Is(err, memkit.ErrInvalidSize) {
				t.Fatalf("alloc(8193) in 8 KiB: got %v, want ErrInvalidSize", err)
			}
			whole := f.alloc(8192)
			f.free(whole)
			a := f.alloc(4096)
			b := f.alloc(4096 - 16)
			f.free(a)
			c := f.alloc(4096) // exactly the hole a left (Eager: the tail, b slid to 0)
			wantC, wantB := 0, 4096
			if pol == Eager {
				wantC, wantB = 4096-16, 0
			}
			if f.off(c) != wantC || f.off(b) != wantB {
				t.Fatalf("exact fit: c at %#x, b at %#x; want %#x and %#x", f.off(c), f.off(b), wantC, wantB)
			}
			f.alloc(16) // exactly the tail
		}},
	}
	for _, sc := range scenarios {
		for _, pol := range policies {
			t.Run(fmt.Sprintf("%s/policy=%v", sc.name, pol), func(t *testing.T) {
				f := newFixture(t, 8192, Config{Policy: pol, MaxAllocations: 32})
				sc.run(t, f, pol)
				f.verify()
				f.h.Reset()
				if st := f.h.Stats(); st.Allocs != 0 || st.Used != 0 {
					t.Fatalf("after Reset: %+v", st)
				}
				f.seeds = nil
				f.verify()
			})
		}
	}
}

func (f *fixture) seeds2size(hd Handle) int { n, _ := f.h.Size(hd); return n }

// reseed refills a block with a fresh pattern and returns its seed.
func reseed(f *fixture, hd Handle) uint64 {
	f.n++
	b, _ := f.h.Bytes(hd)
	alloctest.Fill(b, f.n)
	return f.n
}

func mustHandle(t *testing.T, h *Heap, p *[]byte) Handle {
	t.Helper()
	hd, ok := h.HandleOf(p)
	if !ok {
		t.Fatalf("%p is not tracked", p)
	}
	return hd
}

func TestZeroHeapAndBadConfig(t *testing.T) {
	var h Heap
	if _, err := h.Alloc(1); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("zero Heap Alloc: got %v, want ErrInvalidSize", err)
	}
	if err := h.Free(1); !errors.Is(err, memkit.ErrInvalidFree) {
		t.Fatalf("zero Heap Free: got %v, want ErrInvalidFree", err)
	}
	if _, err := h.Defragment(Budget{}); !errors.Is(err, memkit.ErrInvalidConfig) {
		t.Fatalf("zero Heap Defragment: got %v, want ErrInvalidConfig", err)
	}
	if err := h.Check(); !errors.Is(err, memkit.ErrInvalidConfig) {
		t.Fatalf("zero Heap Check: got %v, want ErrInvalidConfig", err)
	}
	h.Reset()
	for _, c := range []struct {
		name string
		size int
		cfg  Config
	}{
		{"align=3", 1024, Config{Align: 3}},
		{"align=-16", 1024, Config{Align: -16}},
		{"align=2M", 1024, Config{Align: 2 << 20}},
		{"max=-1", 1024, Config{MaxAllocations: -1}},
		{"policy=7", 1024, Config{Policy: 7}},
		{"empty", 0, Config{}},
		{"smaller-than-align", 100, Config{Align: 4096}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(make([]byte, c.size), c.cfg); !errors.Is(err, memkit.ErrInvalidConfig) {
				t.Fatalf("New(%d, %+v): got %v, want ErrInvalidConfig", c.size, c.cfg, err)
			}
		})
	}
	good := newTestHeap(t, 1024, Config{})
	if _, err := good.Defragment(Budget{MaxBytes: -1}); !errors.Is(err, memkit.ErrInvalidConfig) {
		t.Fatalf("negative budget: got %v, want ErrInvalidConfig", err)
	}
	var sb strings.Builder
	hd, _ := good.Alloc(20)
	good.Pin(hd)
	if err := good.Dump(&sb); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("block handle=%v offset=0x0 size=20 cap=32 pinned=1 tracked=false\n", hd)
	if !strings.HasPrefix(sb.String(), "used=32/1024 allocs=1 peak_used=32 peak_allocs=1 policy=lazy align=16\n00000000  00 00") || !strings.HasSuffix(sb.String(), want) {
		t.Fatalf("Dump:\n%s\nwant the summary, a hex dump and %q", sb.String(), want)
	}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestUnalignedBuffer(t *testing.T) {
	raw := make([]byte, 4096+64)
	for skip := range 20 {
		h, err := New(raw[skip:], Config{Align: 32, KeepFreed: true})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			hd, err := h.Alloc(7)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := h.Bytes(hd)
			if m := misalign(b, 32); m != 0 {
				t.Fatalf("buffer offset %d: block at an address %d past a 32-byte boundary, want 0", skip, m)
			}
		}
		if st := h.Stats(); st.Total < 4096 || st.Total > len(raw)-skip {
			t.Fatalf("buffer offset %d: total %d", skip, st.Total)
		}
		if err := h.Check(); err != nil {
			t.Fatal(err)
		}
	}
}
