// Scenario tables in the spirit of the C libraries' suites.

package offset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/memkit/memkit"
)

// fill allocates size-byte blocks until the space is full and returns them.
func fill(t *testing.T, a *Allocator, size uint64) []Offset {
	t.Helper()
	var offs []Offset
	for {
		off, err := a.Alloc(size)
		if err != nil {
			if !errors.Is(err, memkit.ErrOutOfMemory) && !errors.Is(err, memkit.ErrNoMetadata) {
				t.Fatalf("Alloc(%d): %v", size, err)
			}
			return offs
		}
		offs = append(offs, off)
	}
}

func freeAll(t *testing.T, a *Allocator, offs []Offset) {
	t.Helper()
	for _, off := range offs {
		if err := a.Free(off); err != nil {
			t.Fatalf("Free(%#x): %v", off, err)
		}
	}
}

// wantOneFreeBlock checks the state after everything was freed: one free
// block, and Alloc(Size) returns 0.
func wantOneFreeBlock(t *testing.T, a *Allocator) {
	t.Helper()
	checkOK(t, a)
	bs := walkAll(a)
	size := a.Stats().Size
	if len(bs) != 1 || !bs[0].Free || bs[0].Size != size {
		t.Fatalf("got blocks %v, want one free block of %d", bs, size)
	}
	off, err := a.Alloc(size)
	if err != nil || off != 0 {
		t.Fatalf("Alloc(Size=%d) = %#x, %v; want 0, nil", size, off, err)
	}
	if err := a.Free(0); err != nil {
		t.Fatalf("Free(0): %v", err)
	}
	checkOK(t, a)
}

// TestCoalescingOrders frees a full space in forward, reverse, random,
// checkerboard (even then odd) and swiss-cheese (every third, then the
// rest) orders; every order must end in one free block.
func TestCoalescingOrders(t *testing.T) {
	orders := map[string]func(n int, r *rand.Rand) []int{
		"forward": func(n int, _ *rand.Rand) []int {
			o := make([]int, n)
			for i := range o {
				o[i] = i
			}
			return o
		},
		"reverse": func(n int, _ *rand.Rand) []int {
			o := make([]int, n)
			for i := range o {
				o[i] = n - 1 - i
			}
			return o
		},
		"random": func(n int, r *rand.Rand) []int { return r.Perm(n) },
		"checkerboard": func(n int, _ *rand.Rand) []int {
			var o []int
			for i := 0; i < n; i += 2 {
				o = append(o, i)
			}
			for i := 1; i < n; i += 2 {
				o = append(o, i)
			}
			return o
		},
		"swiss-cheese": func(n int, _ *rand.Rand) []int {
			var o []int
			for k := 0; k < 3; k++ {
				for i := k; i < n; i += 3 {
					o = append(o, i)
				}
			}
			return o
		},
	}
	names := []string{"forward", "reverse", "random", "checkerboard", "swiss-cheese"}
	for _, p := range policies {
		for _, name := range names {
			for _, size := range []uint64{16, 48, 1000} {
				t.Run(fmt.Sprintf("policy=%v/order=%s/size=%d", p, name, size), func(t *testing.T) {
					seed := size
					t.Logf("seed %d", seed)
					r := rand.New(rand.NewPCG(seed, 1))
					a := mustNew(t, Config{Size: 1 << 16, Policy: p})
					offs := fill(t, a, size)
					if len(offs) == 0 {
						t.Fatalf("fill: no block")
					}
					for k, i := range orders[name](len(offs), r) {
						if err := a.Free(offs[i]); err != nil {
							t.Fatalf("free #%d (%#x): %v", k, offs[i], err)
						}
						if k%64 == 0 {
							checkOK(t, a)
						}
						if name == "checkerboard" && k == len(offs)/2-1 {
							// Half freed, every other block: no two free blocks touch.
							if got := a.Stats().FreeBlocks; got < len(offs)/2 {
								t.Fatalf("after freeing every other block: %d free blocks, want ≥ %d", got, len(offs)/2)
							}
							// and the holes are reused before the tail.
							off, err := a.Alloc(size)
							if err != nil {
								t.Fatalf("alloc into a hole: %v", err)
							}
							if err := a.Free(off); err != nil {
								t.Fatalf("free: %v", err)
							}
						}
					}
					wantOneFreeBlock(t, a)
				})
			}
		}
	}
}

// TestRefillUtilization is the test OffsetAllocator fails: fill the space
// with one size S, free everything in random order, fill again; and, the
// harder form, free a random half and refill the holes. Both must reach 95%
// of the space, for sizes between GoodFit's classes.
func TestRefillUtilization(t *testing.T) {
	ks := []int{10, 12, 14, 16, 18, 20}
	if !testing.Short() {
		ks = []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	}
	for _, p := range policies {
		for _, k := range ks {
			pk := uint64(1) << k
			for _, s := range []uint64{pk - 17, pk + 17, pk * 9 / 10, pk * 11 / 10} {
				t.Run(fmt.Sprintf("policy=%v/size=%d", p, s), func(t *testing.T) {
					const blocks = 256
					space := s * blocks
					seed := s
					r := rand.New(rand.NewPCG(seed, 2))
					a := mustNew(t, Config{Size: space, Policy: p})
					util := func(n int) float64 { return float64(uint64(n)*s) / float64(space) }
					offs := fill(t, a, s)
					if u := util(len(offs)); u < 0.95 {
						t.Fatalf("first fill: %d blocks, %.1f%% of the space, want ≥ 95%%", len(offs), 100*u)
					}
					for _, i := range r.Perm(len(offs)) {
						if err := a.Free(offs[i]); err != nil {
							t.Fatal(err)
						}
					}
					offs = fill(t, a, s)
					if u := util(len(offs)); u < 0.95 {
						t.Fatalf("refill after freeing all: %.1f%%, want ≥ 95%%", 100*u)
					}
					// Churn: free a random half, refill, several rounds.
					for round := 0; round < 4; round++ {
						r.Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
						half := len(offs) / 2
						freeAll(t, a, offs[:half])
						offs = append(offs[half:], fill(t, a, s)...)
						if u := util(len(offs)); u < 0.95 {
							t.Fatalf("round %d: refill of freed holes: %.1f%%, want ≥ 95%%", round, 100*u)
						}
					}
					checkOK(t, a)
					freeAll(t, a, offs)
					wantOneFreeBlock(t, a)
				})
			}
		}
	}
}

// TestNodeBudget exhausts a fixed budget: the last block is handed out
// whole (and counted), then requests fail with ErrNoMetadata; frees give
// nodes back.
func TestNodeBudget(t *testing.T) {
	for _, p := range policies {
		t.Run(fmt.Sprintf("policy=%v", p), func(t *testing.T) {
			a := mustNew(t, Config{Size: 1024, Align: 16, MaxNodes: 4, Policy: p})
			var offs []Offset
			for i := 0; i < 3; i++ {
				off, err := a.Alloc(16)
				if err != nil {
					t.Fatalf("alloc %d: %v", i, err)
				}
				offs = append(offs, off)
			}
			// Nodes: 3 live + 1 free tail = 4 = budget. The next alloc
			// takes the whole tail.
			off, err := a.Alloc(16)
			if err != nil {
				t.Fatalf("alloc with the budget spent: %v", err)
			}
			if got, _ := a.SizeOf(off); got != 1024-48 {
				t.Fatalf("whole-block handout: SizeOf = %d, want %d", got, 1024-48)
			}
			s := a.Stats()
			if s.WholeBlocks != 1 || s.Allocated != 1024 || s.Nodes != 4 || s.NodeCap != 4 {
				t.Fatalf("stats %+v: want WholeBlocks 1, Allocated 1024, Nodes 4, NodeCap 4", s)
			}
			before := walkAll(a)
			if _, err := a.Alloc(16); !errors.Is(err, memkit.ErrNoMetadata) {
				t.Fatalf("alloc with nothing free and no node: got %v, want ErrNoMetadata", err)
			}
			if err := a.Grow(2048); !errors.Is(err, memkit.ErrNoMetadata) {
				t.Fatalf("grow with no node: got %v, want ErrNoMetadata", err)
			}
			if after := walkAll(a); !slices.Equal(before, after) {
				t.Fatalf("failed calls changed the blocks: %v -> %v", before, after)
			}
			if got := a.Stats().Failed; got != 1 {
				t.Fatalf("Failed = %d, want 1", got)
			}
			// Free the middle block: a free hole, still no spare node.
			if err := a.Free(offs[1]); err != nil {
				t.Fatal(err)
			}
			// An aligned request that needs padding and a split finds no
			// node: it fails or takes the hole whole, never overlaps.
			if off, err := a.AllocAligned(16, 16); err != nil || off != offs[1] {
				t.Fatalf("AllocAligned into the hole: %#x, %v; want %#x", off, err, offs[1])
			}
			checkOK(t, a)
			freeAll(t, a, []Offset{offs[0], offs[2], offs[1], off})
			wantOneFreeBlock(t, a)
		})
	}
}

// TestInvalidFreeEverywhere frees every offset inside and around a live
// block: only its start is accepted; everything else fails with
// ErrInvalidFree and changes nothing. A second free is ErrDoubleFree.
func TestInvalidFreeEverywhere(t *testing.T) {
	for _, p := range policies {
		for _, align := range []uint64{1, 16, 64} {
			t.Run(fmt.Sprintf("policy=%v/align=%d", p, align), func(t *testing.T) {
				a := mustNew(t, Config{Size: 4096, Align: align, Policy: p})
				x, _ := a.Alloc(100)
				y, _ := a.Alloc(300)
				z, _ := a.Alloc(50)
				before := walkAll(a)
				sy, _ := a.SizeOf(y)
				for d := uint64(1); d < sy; d++ {
					err := a.Free(y + Offset(d))
					if !errors.Is(err, memkit.ErrInvalidFree) {
						t.Fatalf("Free(y+%d): got %v, want ErrInvalidFree", d, err)
					}
					if _, err := a.SizeOf(y + Offset(d)); !errors.Is(err, memkit.ErrInvalidFree) {
						t.Fatalf("SizeOf(y+%d): got %v, want ErrInvalidFree", d, err)
					}
				}
				for _, off := range []Offset{4096, 4096 + Offset(align), 1 << 40, ^Offset(0)} {
					if err := a.Free(off); !errors.Is(err, memkit.ErrInvalidFree) {
						t.Fatalf("Free(%#x) past the end: got %v, want ErrInvalidFree", off, err)
					}
				}
				if after := walkAll(a); !slices.Equal(before, after) {
					t.Fatalf("invalid frees changed the blocks: %v -> %v", before, after)
				}
				if err := a.Free(y); err != nil {
					t.Fatal(err)
				}
				if err := a.Free(y); !errors.Is(err, memkit.ErrDoubleFree) || !errors.Is(err, memkit.ErrInvalidFree) {
					t.Fatalf("second Free(y): got %v, want ErrDoubleFree (and ErrInvalidFree)", err)
				}
				freeAll(t, a, []Offset{x, z})
				// x's block merged into the whole space, which starts at
				// 0 = x; z's start is now interior.
				if err := a.Free(z); !errors.Is(err, memkit.ErrInvalidFree) || errors.Is(err, memkit.ErrDoubleFree) {
					t.Fatalf("free of a merged-away block: got %v, want plain ErrInvalidFree", err)
				}
				wantOneFreeBlock(t, a)
			})
		}
	}
}

// TestAlignValues runs a small churn for every Align from 1 to 4096 and
// AllocAligned with larger alignments.
func TestAlignValues(t *testing.T) {
	for _, p := range policies {
		for al := uint64(1); al <= 4096; al <<= 1 {
			t.Run(fmt.Sprintf("policy=%v/align=%d", p, al), func(t *testing.T) {
				seed := al
				r := rand.New(rand.NewPCG(seed, 3))
				space := al * 512
				a := mustNew(t, Config{Size: space + al - 1, Align: al, Policy: p})
				if got := a.Stats().Size; got != space {
					t.Fatalf("Size rounds down to %d, want %d", got, space)
				}
				var offs []Offset
				for i := 0; i < 400; i++ {
					if len(offs) > 0 && r.IntN(3) == 0 {
						j := r.IntN(len(offs))
						if err := a.Free(offs[j]); err != nil {
							t.Fatal(err)
						}
						offs = slices.Delete(offs, j, j+1)
						continue
					}
					size := 1 + r.Uint64N(4*al)
					want := al
					var off Offset
					var err error
					if r.IntN(2) == 0 {
						want = al << r.UintN(4)
						off, err = a.AllocAligned(size, want)
					} else {
						off, err = a.Alloc(size)
					}
					if err != nil {
						continue
					}
					if uint64(off)%want != 0 {
						t.Fatalf("offset %#x not aligned to %d", off, want)
					}
					if got, _ := a.SizeOf(off); got < size || got%al != 0 {
						t.Fatalf("SizeOf = %d for a request of %d (align %d)", got, size, al)
					}
					offs = append(offs, off)
				}
				checkOK(t, a)
				freeAll(t, a, offs)
				wantOneFreeBlock(t, a)
			})
		}
	}
}

// TestHugeSpace uses a space of 1<<62 bytes: sizes near the top must not
// overflow anywhere.
func TestHugeSpace(t *testing.T) {
	for _, p := range policies {
		t.Run(fmt.Sprintf("policy=%v", p), func(t *testing.T) {
			a := mustNew(t, Config{Size: MaxSize, Policy: p})
			if _, err := a.Alloc(MaxSize + 1); !errors.Is(err, memkit.ErrInvalidSize) {
				t.Fatalf("Alloc(MaxSize+1): got %v, want ErrInvalidSize", err)
			}
			if _, err := a.Alloc(^uint64(0)); !errors.Is(err, memkit.ErrInvalidSize) {
				t.Fatalf("Alloc(max uint64): got %v, want ErrInvalidSize", err)
			}
			if _, err := a.Alloc(0); !errors.Is(err, memkit.ErrInvalidSize) {
				t.Fatalf("Alloc(0): got %v, want ErrInvalidSize", err)
			}
			x, err := a.Alloc(MaxSize/2 + 1)
			if err != nil || x != 0 {
				t.Fatalf("Alloc(half+1) = %#x, %v", x, err)
			}
			y, err := a.Alloc(MaxSize/4 - 16) // ends at 3<<60
			if err != nil {
				t.Fatalf("Alloc(quarter-1): %v", err)
			}
			if _, err := a.Alloc(MaxSize / 2); !errors.Is(err, memkit.ErrOutOfMemory) {
				t.Fatalf("Alloc(half) with a quarter left: got %v, want ErrOutOfMemory", err)
			}
			if _, err := a.AllocAligned(1, 1<<61); !errors.Is(err, memkit.ErrOutOfMemory) {
				t.Fatalf("AllocAligned(1, 1<<61) with only [3<<60, 4<<60) free: got %v, want ErrOutOfMemory", err)
			}
			z, err := a.AllocAligned(1, 1<<60)
			if err != nil || z != 3<<60 {
				t.Fatalf("AllocAligned(1, 1<<60) = %#x, %v; want %#x", z, err, uint64(3<<60))
			}
			if _, err := a.AllocAligned(1, 1<<63); !errors.Is(err, memkit.ErrInvalidSize) {
				t.Fatalf("AllocAligned(1, 1<<63): got %v, want ErrInvalidSize", err)
			}
			if err := a.Grow(MaxSize + 16); !errors.Is(err, memkit.ErrInvalidSize) {
				t.Fatalf("Grow past 1<<62: got %v, want ErrInvalidSize", err)
			}
			checkOK(t, a)
			freeAll(t, a, []Offset{y, x, z})
			wantOneFreeBlock(t, a)
		})
	}
}

// TestGrow extends the space with a free and with a live last block.
func TestGrow(t *testing.T) {
	for _, p := range policies {
		t.Run(fmt.Sprintf("policy=%v", p), func(t *testing.T) {
			a := mustNew(t, Config{Size: 256, Policy: p})
			x, _ := a.Alloc(256)
			if err := a.Grow(512); err != nil {
				t.Fatal(err)
			}
			y, err := a.Alloc(256)
			if err != nil || y != 256 {
				t.Fatalf("Alloc after Grow = %#x, %v; want 0x100", y, err)
			}
			if err := a.Free(y); err != nil {
				t.Fatal(err)
			}
			if err := a.Grow(1024 + 5); err != nil {
				t.Fatal(err)
			}
			if got := walkAll(a); len(got) != 2 || got[1] != (Block{Off: 256, Size: 768, Free: true}) {
				t.Fatalf("after growing a free tail: %v", got)
			}
			if err := a.Grow(512); !errors.Is(err, memkit.ErrInvalidSize) {
				t.Fatalf("shrink: got %v, want ErrInvalidSize", err)
			}
			if err := a.Grow(1024); err != nil {
				t.Fatalf("same size: %v", err)
			}
			if err := a.Free(x); err != nil {
				t.Fatal(err)
			}
			wantOneFreeBlock(t, a)
		})
	}
}

// TestResetAndStats checks Reset and the counters.
func TestResetAndStats(t *testing.T) {
	for _, p := range policies {
		t.Run(fmt.Sprintf("policy=%v", p), func(t *testing.T) {
			a := mustNew(t, Config{Size: 1 << 12, MaxNodes: 8, Policy: p})
			for i := 0; i < 5; i++ {
				if _, err := a.Alloc(100); err != nil {
					t.Fatal(err)
				}
			}
			_, _ = a.Alloc(1 << 20)
			s := a.Stats()
			if s.Allocs != 5 || s.Failed != 1 || s.Live != 5 || s.Allocated != 5*112 || s.Free != 4096-560 ||
				s.LargestFree != 4096-560 || s.FreeBlocks != 1 || s.Nodes != 6 || s.NodeCap != 8 || s.MetadataBytes == 0 {
				t.Fatalf("stats %+v", s)
			}
			a.Reset()
			s = a.Stats()
			if s.Live != 0 || s.Allocated != 0 || s.Nodes != 1 || s.Allocs != 5 {
				t.Fatalf("after Reset: %+v", s)
			}
			wantOneFreeBlock(t, a)
		})
	}
}

// TestZeroAllocs: with a fixed node budget, Alloc, Free, a failing Alloc
// and SizeOf allocate no Go memory.
func TestZeroAllocs(t *testing.T) {
	for _, p := range policies {
		t.Run(fmt.Sprintf("policy=%v", p), func(t *testing.T) {
			a := mustNew(t, Config{Size: 1 << 20, MaxNodes: 256, Policy: p})
			r := rand.New(rand.NewPCG(5, 5))
			offs := make([]Offset, 64)
			for i := range offs {
				offs[i], _ = a.Alloc(1 + r.Uint64N(4096))
			}
			i := 0
			n := testing.AllocsPerRun(1000, func() {
				k := i % len(offs)
				i++
				if err := a.Free(offs[k]); err != nil {
					t.Fatal(err)
				}
				var err error
				if offs[k], err = a.Alloc(1 + uint64(i*37)%4096); err != nil {
					t.Fatal(err)
				}
				if _, err := a.Alloc(1 << 30); err == nil {
					t.Fatal("Alloc(1<<30) succeeded in a 1 MiB space")
				}
				if _, err := a.SizeOf(offs[k]); err != nil {
					t.Fatal(err)
				}
				x, err := a.AllocAligned(100, 256)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.Free(x); err != nil {
					t.Fatal(err)
				}
			})
			if n != 0 {
				t.Fatalf("Alloc/Free/failing Alloc/SizeOf/AllocAligned: %v allocs per run, want 0", n)
			}
			checkOK(t, a)
		})
	}
}

// TestSnapshotRoundTrip marshals a busy allocator, restores it into a fresh
// value and checks that both continue identically.
func TestSnapshotRoundTrip(t *testing.T) {
	for _, p := range policies {
		for _, maxNodes := range []int{0, 50} {
			t.Run(fmt.Sprintf("policy=%v/maxnodes=%d", p, maxNodes), func(t *testing.T) {
				r := rand.New(rand.NewPCG(9, uint64(maxNodes)))
				a := mustNew(t, Config{Size: 1 << 16, Align: 32, MaxNodes: maxNodes, Policy: p})
				var offs []Offset
				for i := 0; i < 200; i++ {
					if len(offs) > 0 && r.IntN(3) == 0 {
						j := r.IntN(len(offs))
						_ = a.Free(offs[j])
						offs = slices.Delete(offs, j, j+1)
					} else if off, err := a.Alloc(1 + r.Uint64N(1000)); err == nil {
						offs = append(offs, off)
					}
				}
				data, err := a.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				var b Allocator
				if err := b.UnmarshalBinary(data); err != nil {
					t.Fatalf("UnmarshalBinary: %v", err)
				}
				checkOK(t, &b)
				if !slices.Equal(walkAll(a), walkAll(&b)) {
					t.Fatalf("restored blocks differ")
				}
				sa, sb := a.Stats(), b.Stats()
				sa.MetadataBytes, sb.MetadataBytes = 0, 0
				if maxNodes == 0 {
					sa.NodeCap, sb.NodeCap = 0, 0
				}
				if sa != sb {
					t.Fatalf("stats differ:\n got %+v\nwant %+v", sb, sa)
				}
				if b.Config() != a.Config() {
					t.Fatalf("config %+v, want %+v", b.Config(), a.Config())
				}
				// FirstFit's choices depend on addresses only, so both
				// continue the same way. (GoodFit's restored free lists are
				// in address order, not in the original LIFO order.)
				for i := 0; i < 100 && p == FirstFit; i++ {
					s := 1 + r.Uint64N(2000)
					x, errA := a.Alloc(s)
					y, errB := b.Alloc(s)
					if x != y || (errA == nil) != (errB == nil) {
						t.Fatalf("after restore, Alloc(%d): %#x,%v vs %#x,%v", s, x, errA, y, errB)
					}
				}
				checkOK(t, &b)
				// A corrupted copy is refused and changes nothing.
				before := walkAll(&b)
				for _, bad := range [][]byte{nil, data[:10], append(slices.Clone(data), 0), func() []byte {
					d := slices.Clone(data)
					d[8]++ // size no longer matches the blocks
					return d
				}()} {
					if err := b.UnmarshalBinary(bad); !errors.Is(err, memkit.ErrCorrupt) {
						t.Fatalf("UnmarshalBinary(corrupt): got %v, want ErrCorrupt", err)
					}
				}
				if !slices.Equal(before, walkAll(&b)) {
					t.Fatalf("a refused snapshot changed the allocator")
				}
			})
		}
	}
}

// TestZeroValue: the zero Allocator and Locked refuse everything without
// panicking.
func TestZeroValue(t *testing.T) {
	var a Allocator
	if _, err := a.Alloc(16); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("zero Alloc: got %v", err)
	}
	if err := a.Free(0); !errors.Is(err, memkit.ErrInvalidFree) {
		t.Fatalf("zero Free: got %v", err)
	}
	if _, err := a.MarshalBinary(); err == nil {
		t.Fatalf("zero MarshalBinary: got nil error")
	}
	if err := a.Grow(100); err == nil {
		t.Fatalf("zero Grow: got nil error")
	}
	a.Reset()
	a.Walk(func(Block) bool { t.Fatal("zero Walk called fn"); return false })
	if s := a.Stats(); s != (Stats{}) {
		t.Fatalf("zero Stats = %+v", s)
	}
	checkOK(t, &a)
	var l Locked
	if _, err := l.Alloc(16); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("zero Locked Alloc: got %v", err)
	}
}

// TestErrorMessages checks that errors carry the values involved and that
// a failed Alloc's *Error unwraps.
func TestErrorMessages(t *testing.T) {
	a := mustNew(t, Config{Size: 1024})
	_, err := a.Alloc(2048)
	var e *Error
	if !errors.As(err, &e) || e.Size != 2048 || !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("Alloc(2048): got %v", err)
	}
	if got, want := err.Error(), "offset: alloc 2048: memkit: invalid size"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	if got, want := a.Free(0x1f0).Error(), "offset: free 0x1f0: not the start of a block: memkit: invalid free"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}

// TestLockedConcurrent hammers a Locked from several goroutines (run with
// -race); every goroutine frees what it allocated.
func TestLockedConcurrent(t *testing.T) {
	l, err := NewLocked(Config{Size: 1 << 20, MaxNodes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func(g int) {
			r := rand.New(rand.NewPCG(uint64(g), 11))
			var offs []Offset
			for i := 0; i < 2000; i++ {
				if len(offs) > 0 && r.IntN(2) == 0 {
					j := r.IntN(len(offs))
					if err := l.Free(offs[j]); err != nil {
						done <- err
						return
					}
					offs = slices.Delete(offs, j, j+1)
				} else if off, err := l.Alloc(1 + r.Uint64N(2048)); err == nil {
					offs = append(offs, off)
				}
			}
			for _, off := range offs {
				if err := l.Free(off); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.Live != 0 || s.Free != s.Size {
		t.Fatalf("after all goroutines freed: %+v", s)
	}
}
