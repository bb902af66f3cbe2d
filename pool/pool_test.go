// Conformance (alloctest), unit tests of the Alloc and Free paths, and misuse.

package pool

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// target adapts a Pool to alloctest.Target. Ref is the block's address.
type target struct {
	p      *Pool
	blocks map[alloctest.Ref][]byte // every block ever handed out, by address, full capacity
}

func (t *target) Alloc(size uint64) (alloctest.Ref, error) {
	if size > 1<<40 {
		return 0, memkit.ErrInvalidSize
	}
	b, err := t.p.Alloc(int(size))
	if err != nil {
		return 0, err
	}
	if len(b) != int(size) {
		return 0, fmt.Errorf("Alloc(%d) returned len %d", size, len(b))
	}
	r := alloctest.Ref(sliceAddr(b))
	t.blocks[r] = b[:cap(b)]
	return r, nil
}

func (t *target) Free(r alloctest.Ref) error { return t.p.Free(t.blocks[r][:0]) }

func (t *target) FreeInterior(r alloctest.Ref, delta uint64) error {
	return t.p.Free(t.blocks[r][delta:])
}

func (t *target) Span(r alloctest.Ref) alloctest.Span {
	b := t.blocks[r]
	return alloctest.Span{Off: uint64(r), Len: uint64(len(b)), Data: b}
}

func (t *target) Check() error { return t.p.Check() }

func (t *target) Live() (int, uint64) {
	n, b := t.p.Live()
	return n, uint64(b)
}

func newPool(t testing.TB, cfg Config) *Pool {
	t.Helper()
	n, err := RequiredSize(cfg)
	if err != nil {
		t.Fatalf("RequiredSize: %v", err)
	}
	p, err := New(make([]byte, n), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func newTarget(cfg Config) func(t *testing.T) alloctest.Target {
	return func(t *testing.T) alloctest.Target {
		return &target{p: newPool(t, cfg), blocks: map[alloctest.Ref][]byte{}}
	}
}

// variants are the option combinations every conformance test runs under.
func variants(base Config) map[string]Config {
	out := map[string]Config{}
	for _, stats := range []bool{false, true} {
		for _, conc := range []bool{false, true} {
			for _, cache := range []bool{false, true} {
				c := base
				c.Stats, c.Concurrent, c.CacheAligned = stats, conc, cache
				out[fmt.Sprintf("stats=%v,concurrent=%v,cache=%v", stats, conc, cache)] = c
			}
		}
	}
	return out
}

// odd has non-power-of-two strides (exercising Free's exact division) and
// tiny counts, so the conformance streams hit ErrOutOfMemory often; its
// largest class is 1000 bytes, so requests up to 4096 also hit
// ErrInvalidSize, which alloctest is told to accept.
var odd = Config{Align: 4, Classes: []Class{{1, 3}, {12, 5}, {40, 7}, {100, 9}, {300, 4}, {1000, 6}}}

// small has DefaultConfig's sizes with few blocks: streams reach
// exhaustion, and the Check after every op stays cheap.
var small = Config{Classes: []Class{{16, 32}, {32, 32}, {64, 32}, {128, 16}, {256, 16}, {512, 16}, {1024, 8}, {2048, 8}, {4096, 8}}}

func TestConformance(t *testing.T) {
	for name, base := range map[string]Config{"small": small, "odd": odd} {
		for vname, cfg := range variants(base) {
			if name == "small" && cfg.CacheAligned {
				continue // odd covers CacheAligned; keeps -race under a minute
			}
			t.Run("config="+name+","+vname, func(t *testing.T) {
				align := uint64(cfg.Align)
				if cfg.CacheAligned {
					align = 64
				}
				alloctest.Run(t, newTarget(cfg), alloctest.Config{
					Align:   align,
					Ops:     1000,
					Seeds:   3,
					Allowed: []error{memkit.ErrInvalidSize},
				})
			})
		}
	}
}

func TestAllocBasics(t *testing.T) {
	p := newPool(t, Config{Classes: []Class{{16, 2}, {64, 2}, {100, 1}}})
	for _, tc := range []struct{ n, cap int }{{1, 16}, {16, 16}, {17, 64}, {64, 64}, {65, 104}} {
		b, err := p.Alloc(tc.n)
		if err != nil {
			t.Fatalf("Alloc(%d): %v", tc.n, err)
		}
		if len(b) != tc.n || cap(b) != tc.cap {
			t.Fatalf("Alloc(%d): got len %d cap %d, want len %d cap %d", tc.n, len(b), cap(b), tc.n, tc.cap)
		}
		if a := sliceAddr(b); a%8 != 0 {
			t.Fatalf("Alloc(%d) at %#x: not 8-aligned", tc.n, a)
		}
	}
	// Class 64 has one block left, class 100 none: no fall-back.
	if _, err := p.Alloc(80); !errors.Is(err, memkit.ErrOutOfMemory) {
		t.Fatalf("Alloc(80) with class 104 exhausted: got %v, want ErrOutOfMemory", err)
	}
	if st := p.Stats(); st.Classes[2].Failed != 1 {
		t.Fatalf("Failed of class 2: got %d, want 1", st.Classes[2].Failed)
	}
	for _, n := range []int{0, -1, 105, math.MaxInt} {
		if _, err := p.Alloc(n); !errors.Is(err, memkit.ErrInvalidSize) {
			t.Fatalf("Alloc(%d): got %v, want ErrInvalidSize", n, err)
		}
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestCalloc(t *testing.T) {
	p := newPool(t, Config{Classes: []Class{{64, 1}}})
	b, _ := p.Alloc(64)
	for i := range b {
		b[i] = 0xAA
	}
	if err := p.Free(b); err != nil {
		t.Fatal(err)
	}
	c, err := p.Calloc(10)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.IndexFunc(c[:cap(c)], func(r rune) bool { return r != 0 }); i >= 0 {
		t.Fatalf("Calloc: byte %d of the block is not zero", i)
	}
	if err := p.Free(c); err != nil {
		t.Fatal(err)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestBadFrees: each bad free fails with the right sentinel and changes
// nothing (the state dump and Check are unchanged).
func TestBadFrees(t *testing.T) {
	for name, cfg := range variants(odd) {
		t.Run(name, func(t *testing.T) {
			p := newPool(t, cfg)
			live, _ := p.Alloc(40)
			dead, _ := p.Alloc(12)
			if err := p.Free(dead); err != nil {
				t.Fatal(err)
			}
			other := newPool(t, cfg)
			foreign, _ := other.Alloc(40)
			var before strings.Builder
			p.WriteTo(&before)
			for _, tc := range []struct {
				name string
				b    []byte
				want error
			}{
				{"double", dead, memkit.ErrDoubleFree},
				{"double-resliced", dead[:0], memkit.ErrDoubleFree},
				{"interior", live[4:], memkit.ErrInvalidFree},
				{"interior-1", live[1:], memkit.ErrInvalidFree},
				{"foreign-pool", foreign, memkit.ErrInvalidFree},
				{"go-heap", make([]byte, 40), memkit.ErrInvalidFree},
				{"nil", nil, memkit.ErrInvalidFree},
				{"metadata", p.mem[:8], memkit.ErrInvalidFree},
				{"past-end", p.buf[len(p.buf)-1:], memkit.ErrInvalidFree},
			} {
				err := p.Free(tc.b)
				if !errors.Is(err, tc.want) || !errors.Is(err, memkit.ErrInvalidFree) {
					t.Fatalf("%s free: got %v, want %v", tc.name, err, tc.want)
				}
				if _, err := p.UsableSize(tc.b); !errors.Is(err, tc.want) {
					t.Fatalf("%s UsableSize: got %v, want %v", tc.name, err, tc.want)
				}
			}
			if err := FreeOf(p, new(int64)); !errors.Is(err, memkit.ErrInvalidFree) {
				t.Fatalf("FreeOf(Go pointer): got %v, want ErrInvalidFree", err)
			}
			var after strings.Builder
			p.WriteTo(&after)
			if before.String() != after.String() {
				t.Fatalf("state changed by failed frees:\nbefore:\n%s\nafter:\n%s", before.String(), after.String())
			}
			if n, err := p.UsableSize(live); err != nil || n != 40 {
				t.Fatalf("UsableSize(live): got %d, %v; want 40, nil", n, err)
			}
			if err := p.Free(live); err != nil {
				t.Fatal(err)
			}
			if err := p.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFreeWithShrunkCapacity: a re-slice with a smaller capacity still
// names its block (the capacity is only a hint).
func TestFreeWithShrunkCapacity(t *testing.T) {
	p := newPool(t, DefaultConfig())
	b, _ := p.Alloc(4000)
	if err := p.Free(b[:1:1]); err != nil {
		t.Fatalf("Free(b[:1:1]): %v", err)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestUseAfterFreeCannotCorruptLists: scribbling over every free block
// leaves the free lists intact, because they live in the metadata.
func TestUseAfterFreeCannotCorruptLists(t *testing.T) {
	p := newPool(t, Config{Classes: []Class{{32, 8}}})
	var bs [][]byte
	for range 8 {
		b, _ := p.Alloc(32)
		bs = append(bs, b)
	}
	for _, b := range bs {
		p.Free(b)
	}
	for _, b := range bs {
		for i := range b {
			b[i] = 0xFF
		}
	}
	if err := p.Check(); err != nil {
		t.Fatalf("after writes into free blocks: %v", err)
	}
	seen := map[uintptr]bool{}
	for range 8 {
		b, err := p.Alloc(32)
		if err != nil || seen[sliceAddr(b)] {
			t.Fatalf("Alloc after scribble: %v, duplicate %v", err, seen[sliceAddr(b)])
		}
		seen[sliceAddr(b)] = true
	}
}

func TestValidateCatchesCorruption(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(p *Pool)
		want   string
	}{
		{"magic", func(p *Pool) { p.rec[pMagic] = 1 }, "magic"},
		{"lut", func(p *Pool) { p.lut[1] = 2 }, "size table"},
		{"link-range", func(p *Pool) { p.cls[0].next[0] = 1000 }, "past count"},
		{"cycle", func(p *Pool) { p.cls[0].next[1] = 0 }, "twice"},
		{"used-and-free", func(p *Pool) { p.cls[1].used[0] |= 1 << 3 }, "marked in use"},
		{"lost", func(p *Pool) { p.cls[0].next[2] = nilIndex }, "lost"},
		{"stray-bit", func(p *Pool) { p.cls[0].used[0] |= 1 << 40 }, "names no block"},
		{"counter", func(p *Pool) { p.cls[1].rec[cInUse]++ }, "in-use counter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(t, Config{Stats: true, Classes: []Class{{16, 8}, {32, 8}}})
			if err := p.Validate(); err != nil {
				t.Fatalf("fresh pool: %v", err)
			}
			tc.break_(p)
			err := p.Validate()
			if !errors.Is(err, memkit.ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrCorrupt mentioning %q", err, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no-classes", Config{}},
		{"align-3", Config{Align: 3, Classes: []Class{{8, 1}}}},
		{"align-8192", Config{Align: 8192, Classes: []Class{{8, 1}}}},
		{"negative-align", Config{Align: -8, Classes: []Class{{8, 1}}}},
		{"descending", Config{Classes: []Class{{64, 1}, {32, 1}}}},
		{"equal-after-rounding", Config{Classes: []Class{{20, 1}, {24, 1}}}},
		{"zero-count", Config{Classes: []Class{{8, 0}}}},
		{"zero-size", Config{Classes: []Class{{0, 1}}}},
		{"huge-count", Config{Classes: []Class{{8, math.MaxInt}}}},
		{"huge-span", Config{Classes: []Class{{1 << 20, 1 << 13}}}},
		{"huge-lut", Config{Classes: []Class{{1 << 30, 1}}}},
		{"too-many", Config{Classes: make([]Class, MaxClasses+1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := RequiredSize(tc.cfg); !errors.Is(err, memkit.ErrInvalidConfig) {
				t.Fatalf("RequiredSize: got %v, want ErrInvalidConfig", err)
			}
			if _, err := New(make([]byte, 1<<16), tc.cfg); !errors.Is(err, memkit.ErrInvalidConfig) {
				t.Fatalf("New: got %v, want ErrInvalidConfig", err)
			}
		})
	}
}

// TestRequiredSizeIsEnough: New succeeds at every base alignment with
// RequiredSize bytes, and refuses one byte less at the worst alignment.
func TestRequiredSizeIsEnough(t *testing.T) {
	for name, cfg := range variants(DefaultConfig()) {
		t.Run(name, func(t *testing.T) {
			n, err := RequiredSize(cfg)
			if err != nil {
				t.Fatal(err)
			}
			big := make([]byte, n+128)
			refused := false
			for shift := range 128 {
				if _, err := New(big[shift:shift+n], cfg); err != nil {
					t.Fatalf("New at base+%d with %d bytes: %v", shift, n, err)
				}
				if _, err := New(big[shift:shift+n-64], cfg); err != nil {
					refused = true
				}
			}
			if !refused {
				t.Fatalf("New never refused %d bytes (RequiredSize %d): RequiredSize overstates", n-64, n)
			}
		})
	}
}

// TestOnlyBufIsWritten: New and the operations write nothing outside buf.
func TestOnlyBufIsWritten(t *testing.T) {
	cfg := Config{Stats: true, Concurrent: true, Classes: []Class{{24, 5}, {100, 3}}}
	n, _ := RequiredSize(cfg)
	raw := make([]byte, n+64)
	for i := range raw {
		raw[i] = 0xC3
	}
	p, err := New(raw[32:32+n], cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var live [][]byte
	for range 500 {
		if len(live) > 0 && r.IntN(2) == 0 {
			i := r.IntN(len(live))
			p.Free(live[i])
			live = append(live[:i], live[i+1:]...)
		} else if b, err := p.Alloc(1 + r.IntN(100)); err == nil {
			full := b[:cap(b)]
			for i := range full {
				full[i] = 0x5A
			}
			live = append(live, b)
		}
	}
	p.Prefault()
	for i := range 32 {
		if raw[i] != 0xC3 || raw[32+n+i] != 0xC3 {
			t.Fatalf("canary byte at %d changed", i)
		}
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestHooks(t *testing.T) {
	p := newPool(t, Config{Concurrent: true, Classes: []Class{{16, 4}, {64, 4}}})
	var allocs, frees []Event
	depth := 0
	p.SetHooks(Hooks{
		OnAlloc: func(e Event) {
			allocs = append(allocs, e)
			// Recursion is documented as safe: allocate and free a
			// 16-byte block from inside the hook, once.
			if depth == 0 && e.Class == 1 {
				depth++
				b, err := p.Alloc(16)
				if err != nil {
					t.Errorf("Alloc inside hook: %v", err)
				} else if err := p.Free(b); err != nil {
					t.Errorf("Free inside hook: %v", err)
				}
				depth--
			}
		},
		OnFree: func(e Event) { frees = append(frees, e) },
	})
	b, _ := p.Alloc(50)
	p.Free(b)
	p.Free(b) // fails: no hook
	p.SetHooks(Hooks{})
	c, _ := p.Alloc(50)
	p.Free(c)
	want := fmt.Sprintf("allocs [{1 50 %#x} {0 16 %#x}] frees [{0 16 %#x} {1 64 %#x}]", sliceAddr(b), allocs[1].Addr, allocs[1].Addr, sliceAddr(b))
	if len(allocs) != 2 || len(frees) != 2 || allocs[0].Class != 1 || allocs[0].Size != 50 || allocs[0].Addr != sliceAddr(b) ||
		allocs[1].Class != 0 || frees[0].Class != 0 || frees[1].Class != 1 || frees[1].Size != 64 || frees[1].Addr != sliceAddr(b) {
		t.Fatalf("got allocs %+v frees %+v, want %s", allocs, frees, want)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestStatsAndWriteTo(t *testing.T) {
	p := newPool(t, Config{Stats: true, Classes: []Class{{16, 4}, {64, 2}}})
	a, _ := p.Alloc(10)
	b, _ := p.Alloc(60)
	c, _ := p.Alloc(60)
	if _, err := p.Alloc(60); !errors.Is(err, memkit.ErrOutOfMemory) {
		t.Fatalf("third 64-byte alloc: got %v, want ErrOutOfMemory", err)
	}
	p.Free(b)
	st := p.Stats()
	c1 := st.Classes[1]
	if c1.Allocs != 2 || c1.Frees != 1 || c1.InUse != 1 || c1.Peak != 2 || c1.Failed != 1 {
		t.Fatalf("class 1: got %+v, want Allocs 2 Frees 1 InUse 1 Peak 2 Failed 1", c1)
	}
	if c1.AllocWorst <= 0 || c1.AllocTime < c1.AllocWorst || c1.FreeWorst <= 0 {
		t.Fatalf("class 1 times: got %+v, want positive worst ≤ total", c1)
	}
	if st.Bytes != 4*16+2*64 || st.Used != 16+64 || st.Peak != 16+128 {
		t.Fatalf("totals: got Bytes %d Used %d Peak %d, want 192 80 144", st.Bytes, st.Used, st.Peak)
	}
	var sb strings.Builder
	if n, err := p.WriteTo(&sb); err != nil || int(n) != sb.Len() {
		t.Fatalf("WriteTo: %d, %v (wrote %d)", n, err, sb.Len())
	}
	for _, want := range []string{"2 classes", "stats on", "total: 80 of 192 bytes in use", "peak 144"} {
		if !strings.Contains(sb.String(), want) {
			t.Fatalf("WriteTo output lacks %q:\n%s", want, sb.String())
		}
	}
	p.ResetStats()
	st = p.Stats()
	if c1 := st.Classes[1]; c1.Allocs != 0 || c1.Failed != 0 || c1.Peak != 1 || c1.AllocWorst != 0 || st.Peak != 80 {
		t.Fatalf("after ResetStats: got %+v, pool peak %d; want zero counters, peak 1 and 80", c1, st.Peak)
	}
	p.Free(a)
	p.Free(c)
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestStatsOffCountsNothingButFailures(t *testing.T) {
	p := newPool(t, Config{Classes: []Class{{16, 1}}})
	b, _ := p.Alloc(16)
	p.Alloc(16)
	p.Free(b)
	c := p.Stats().Classes[0]
	if c.Allocs != 0 || c.Frees != 0 || c.Failed != 1 || c.AllocWorst != 0 || c.Peak != 0 {
		t.Fatalf("got %+v, want only Failed 1", c)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestValidateConcurrentPadding: in Concurrent mode each shard range's
// bitmap is padded to a cache line; a bit set in the padding is caught.
func TestValidateConcurrentPadding(t *testing.T) {
	p := newPool(t, Config{Concurrent: true, Classes: []Class{{16, 10}}})
	// 10 blocks, 4 ranges of 4 blocks: range 2 holds blocks 8 and 9 only.
	if got := len(p.cls[0].used); got != 32 {
		t.Fatalf("bitmap words: got %d, want 4 ranges × 8", got)
	}
	p.cls[0].used[16] |= 1 << 2 // range 2, local block 2 = index 10 ≥ count
	if err := p.Validate(); !errors.Is(err, memkit.ErrCorrupt) || !strings.Contains(err.Error(), "names no block") {
		t.Fatalf("got %v, want ErrCorrupt naming a bit that names no block", err)
	}
}
