// Tests of misuse, sizes, calloc, realloc, lifecycle, Debug and concurrency.

package malloc

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/osmem"
)

func newHeap(t testing.TB, cfg Config) *Heap {
	t.Helper()
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

func mustMalloc(t testing.TB, h *Heap, n int) []byte {
	t.Helper()
	b, err := h.Malloc(n)
	if err != nil {
		t.Fatalf("Malloc(%d): %v", n, err)
	}
	if len(b) != n || cap(b) < n || addrOf(b)%align != 0 {
		t.Fatalf("Malloc(%d): len %d cap %d addr %#x; want len %d, cap ≥ len, 16-byte aligned", n, len(b), cap(b), addrOf(b), n)
	}
	return b
}

func mustCheck(t testing.TB, h *Heap) {
	t.Helper()
	if err := h.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func TestMisuseChangesNothing(t *testing.T) {
	for _, m := range modes {
		t.Run("mode="+m.name, func(t *testing.T) {
			h := newHeap(t, m.cfg)
			other := newHeap(t, m.cfg)
			small := mustMalloc(t, h, 100)
			medium := mustMalloc(t, h, 40<<10)
			large := mustMalloc(t, h, 300<<10)
			neighbour := mustMalloc(t, h, 64) // keeps the run of freed mapped
			freed := mustMalloc(t, h, 64)
			if err := h.Free(freed); err != nil {
				t.Fatalf("Free: %v", err)
			}
			foreignHeap := mustMalloc(t, other, 100)
			var doubleWant error = memkit.ErrDoubleFree
			if m.cfg.Concurrent {
				doubleWant = memkit.ErrInvalidFree // freed's run may be another shard's, gone already
			}
			before := h.Stats()
			for _, tc := range []struct {
				name string
				b    []byte
				want error
			}{
				{"go-slice", make([]byte, 64), memkit.ErrInvalidFree},
				{"other-heap", foreignHeap, memkit.ErrInvalidFree},
				{"interior-small", small[16:], memkit.ErrInvalidFree},
				{"interior-small-odd", small[3:], memkit.ErrInvalidFree},
				{"interior-medium", medium[4096:], memkit.ErrInvalidFree},
				{"interior-large", large[4096:], memkit.ErrInvalidFree},
				{"double-free", freed, doubleWant},
			} {
				if err := h.Free(tc.b); !errors.Is(err, tc.want) {
					t.Errorf("Free(%s): got %v, want %v", tc.name, err, tc.want)
				}
				if _, err := h.Realloc(tc.b, 10); !errors.Is(err, memkit.ErrInvalidFree) {
					t.Errorf("Realloc(%s): got %v, want ErrInvalidFree", tc.name, err)
				}
				if _, err := h.UsableSize(tc.b); !errors.Is(err, memkit.ErrInvalidFree) {
					t.Errorf("UsableSize(%s): got %v, want ErrInvalidFree", tc.name, err)
				}
			}
			if after := h.Stats(); after != before {
				t.Fatalf("stats changed by refused calls:\n got %+v\nwant %+v", after, before)
			}
			if err := h.Free(nil); err != nil {
				t.Fatalf("Free(nil): got %v, want nil", err)
			}
			mustCheck(t, h)
			for _, b := range [][]byte{small, medium, large, neighbour} {
				if err := h.Free(b); err != nil {
					t.Fatalf("Free: %v", err)
				}
			}
			mustCheck(t, h)
		})
	}
}

func TestSizes(t *testing.T) {
	h := newHeap(t, Config{})
	for _, n := range []int{-1, math.MinInt, math.MaxInt, math.MaxInt - 15} {
		if _, err := h.Malloc(n); !errors.Is(err, memkit.ErrInvalidSize) {
			t.Errorf("Malloc(%d): got %v, want ErrInvalidSize", n, err)
		}
	}
	for _, c := range [][2]int{{-1, 1}, {1, -1}, {math.MaxInt, 2}, {math.MaxInt / 3, 4}, {math.MaxInt, math.MaxInt}} {
		if _, err := h.Calloc(c[0], c[1]); !errors.Is(err, memkit.ErrInvalidSize) {
			t.Errorf("Calloc(%d, %d): got %v, want ErrInvalidSize", c[0], c[1], err)
		}
	}
	b := mustMalloc(t, h, 8)
	if _, err := h.Realloc(b, math.MaxInt); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Errorf("Realloc(b, MaxInt): got %v, want ErrInvalidSize", err)
	}
	z := mustMalloc(t, h, 0)
	if cap(z) < align {
		t.Errorf("Malloc(0): cap %d, want at least %d", cap(z), align)
	}
	for _, p := range [][]byte{b, z} {
		if err := h.Free(p); err != nil {
			t.Fatalf("Free: %v", err)
		}
	}
	// Every size up to a few pages: usable size is the class size.
	for n := 1; n <= 3*smallMax; n += 1 + n/8 {
		p := mustMalloc(t, h, n)
		if u, err := h.UsableSize(p); err != nil || u != cap(p) {
			t.Fatalf("UsableSize(Malloc(%d)): got %d, %v; want %d", n, u, err, cap(p))
		}
		if n <= smallMax && cap(p) > n+n/8+align {
			t.Fatalf("Malloc(%d): cap %d wastes more than 1/8", n, cap(p))
		}
		if err := h.Free(p); err != nil {
			t.Fatal(err)
		}
	}
	if s := h.Stats(); s.Live != 0 || s.InUse != 0 {
		t.Fatalf("after freeing everything: %d live, %d bytes; want 0", s.Live, s.InUse)
	}
	mustCheck(t, h)
}

func TestCallocZeroes(t *testing.T) {
	for _, m := range modes {
		t.Run("mode="+m.name, func(t *testing.T) {
			h := newHeap(t, m.cfg)
			for _, n := range []int{24, 1000, 20 << 10, 200 << 10} {
				var dirty [][]byte
				for range 40 {
					p := mustMalloc(t, h, n)
					for i := range p {
						p[i] = 0x5a
					}
					dirty = append(dirty, p)
				}
				for _, p := range dirty {
					if err := h.Free(p); err != nil {
						t.Fatal(err)
					}
				}
				for range 40 {
					p, err := h.Calloc(n/8, 8)
					if err != nil {
						t.Fatalf("Calloc(%d, 8): %v", n/8, err)
					}
					for i, c := range p {
						if c != 0 {
							t.Fatalf("Calloc(%d, 8): byte %d is %#x, want 0", n/8, i, c)
						}
					}
					if len(p) != n/8*8 {
						t.Fatalf("Calloc: len %d, want %d", len(p), n/8*8)
					}
				}
			}
			mustCheck(t, h)
		})
	}
}

func TestReallocInPlace(t *testing.T) {
	h := newHeap(t, Config{})
	// Growth within the usable size keeps the block.
	b := mustMalloc(t, h, 100)
	for i := range b {
		b[i] = byte(i)
	}
	nb, err := h.Realloc(b, cap(b))
	if err != nil || addrOf(nb) != addrOf(b) || len(nb) != cap(b) {
		t.Fatalf("Realloc within cap: addr %#x -> %#x, len %d, err %v; want same address, len %d", addrOf(b), addrOf(nb), len(nb), err, cap(b))
	}
	// Shrinking keeps the block.
	sb, err := h.Realloc(nb, 10)
	if err != nil || addrOf(sb) != addrOf(b) || len(sb) != 10 {
		t.Fatalf("Realloc shrink: addr %#x -> %#x, len %d, err %v", addrOf(b), addrOf(sb), len(sb), err)
	}
	// A medium block grows into the free pages after it, and shrinks in place.
	m := mustMalloc(t, h, 40<<10)
	for i := range m {
		m[i] = byte(i * 7)
	}
	splits, coal := h.Stats().Splits, h.Stats().Coalesces
	gm, err := h.Realloc(m, 80<<10)
	if err != nil || addrOf(gm) != addrOf(m) || len(gm) != 80<<10 {
		t.Fatalf("Realloc grow medium: addr %#x -> %#x, len %d, err %v; want in place", addrOf(m), addrOf(gm), len(gm), err)
	}
	for i := range m {
		if gm[i] != byte(i*7) {
			t.Fatalf("Realloc grow medium: byte %d changed", i)
		}
	}
	if h.Stats().Splits <= splits {
		t.Fatalf("growth into a free neighbour: splits %d, want more than %d", h.Stats().Splits, splits)
	}
	sm, err := h.Realloc(gm, 20<<10)
	if err != nil || addrOf(sm) != addrOf(m) || cap(sm) != 20<<10 {
		t.Fatalf("Realloc shrink medium: addr %#x -> %#x, cap %d, err %v; want in place, cap %d", addrOf(m), addrOf(sm), cap(sm), err, 20<<10)
	}
	if h.Stats().Coalesces <= coal {
		t.Fatalf("shrink: coalesces %d, want more than %d", h.Stats().Coalesces, coal)
	}
	// A small block that outgrows its slot moves, keeping its bytes.
	mv, err := h.Realloc(sb, 5000)
	if err != nil || len(mv) != 5000 {
		t.Fatalf("Realloc move: len %d, err %v", len(mv), err)
	}
	for i := range 10 {
		if mv[i] != byte(i) {
			t.Fatalf("Realloc move: byte %d is %d, want %d", i, mv[i], i)
		}
	}
	if err := h.Free(sb); !errors.Is(err, memkit.ErrInvalidFree) {
		t.Fatalf("Free of the moved-from block: got %v, want ErrInvalidFree", err)
	}
	// Realloc(nil) and Realloc(b, 0).
	p, err := h.Realloc(nil, 33)
	if err != nil || len(p) != 33 {
		t.Fatalf("Realloc(nil, 33): len %d, err %v", len(p), err)
	}
	if q, err := h.Realloc(p, 0); err != nil || q != nil {
		t.Fatalf("Realloc(p, 0): got %v, %v; want nil, nil", q, err)
	}
	for _, x := range [][]byte{mv, sm} {
		if err := h.Free(x); err != nil {
			t.Fatal(err)
		}
	}
	if s := h.Stats(); s.Live != 0 {
		t.Fatalf("%d live blocks left, want 0", s.Live)
	}
	mustCheck(t, h)
}

// procMaps returns the address ranges of /proc/self/maps (Linux only).
func procMaps(t *testing.T) [][2]uintptr {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Skipf("no /proc/self/maps: %v", err)
	}
	defer f.Close()
	var maps [][2]uintptr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lo, hi, _ := strings.Cut(strings.Fields(sc.Text())[0], "-")
		l, _ := strconv.ParseUint(lo, 16, 64)
		u, _ := strconv.ParseUint(hi, 16, 64)
		maps = append(maps, [2]uintptr{uintptr(l), uintptr(u)})
	}
	return maps
}

// mapsCovering counts how many of the ranges are mapped according to
// /proc/self/maps (Linux only).
func mapsCovering(t *testing.T, ranges [][2]uintptr) int {
	t.Helper()
	maps := procMaps(t)
	n := 0
	for _, r := range ranges {
		for _, m := range maps {
			if m[0] <= r[0] && r[1] <= m[1] {
				n++
				break
			}
		}
	}
	return n
}

// mapsLeft counts how many of the ranges, all unmapped by the heap, are
// still mapped: covered by a line of /proc/self/maps that the ranges tile
// exactly (the kernel merges neighbouring mappings into one line). A line
// that also holds memory that is not one of the ranges is someone else's
// mapping made since in the freed hole (the race detector's runtime maps
// memory of its own at any time), and does not count: seen as a flake of
// TestTrimAndClose under -race on a loaded machine, before this check.
func mapsLeft(t *testing.T, ranges [][2]uintptr) int {
	t.Helper()
	starts := map[uintptr]uintptr{}
	for _, r := range ranges {
		starts[r[0]] = r[1]
	}
	n := 0
	for _, m := range procMaps(t) {
		inside := 0
		for _, r := range ranges {
			if m[0] <= r[0] && r[1] <= m[1] {
				inside++
			}
		}
		if inside == 0 {
			continue
		}
		tiled := true
		for at := m[0]; at < m[1]; {
			end, ok := starts[at]
			if !ok {
				tiled = false
				break
			}
			at = end
		}
		if tiled {
			n += inside
		} else {
			t.Logf("mapping %#x-%#x holds %d freed ranges and memory of someone else: not counted", m[0], m[1], inside)
		}
	}
	return n
}

// heapRanges lists every mapping of h.
func heapRanges(h *Heap) [][2]uintptr {
	var rs [][2]uintptr
	for i := range h.shards {
		for _, a := range h.shards[i].arenas {
			if a != nil {
				rs = append(rs, [2]uintptr{a.base, a.base + a.size})
			}
		}
	}
	for addr, l := range h.large {
		rs = append(rs, [2]uintptr{addr, addr + uintptr(len(l.mem))})
	}
	return rs
}

func TestTrimAndClose(t *testing.T) {
	h := newHeap(t, Config{})
	r := rand.New(rand.NewPCG(7, 7))
	var blocks [][]byte
	for range 3000 {
		blocks = append(blocks, mustMalloc(t, h, 1+r.IntN(8000)))
	}
	for range 3 {
		blocks = append(blocks, mustMalloc(t, h, 200<<10))
	}
	s := h.Stats()
	if s.LargeMappings != 3 || s.Mapped < s.InUse {
		t.Fatalf("stats %+v: want 3 large mappings, Mapped ≥ InUse", s)
	}
	ranges := heapRanges(h)
	if runtime.GOOS == "linux" {
		if n := mapsCovering(t, ranges); n != len(ranges) {
			t.Fatalf("/proc/self/maps shows %d of the heap's %d mappings", n, len(ranges))
		}
	}
	// Free all but every 10th block, then Trim: whole free arenas go.
	var kept [][]byte
	for i, b := range blocks {
		if i%10 == 0 {
			kept = append(kept, b)
			continue
		}
		if err := h.Free(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Trim(); err != nil {
		t.Fatalf("Trim: %v", err)
	}
	mustCheck(t, h)
	for _, b := range kept {
		if err := h.Free(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Trim(); err != nil {
		t.Fatalf("Trim: %v", err)
	}
	if s := h.Stats(); s.Mapped != 0 || s.Arenas != 0 || s.LargeMappings != 0 {
		t.Fatalf("after freeing everything and Trim: %+v; want nothing mapped", s)
	}
	mustCheck(t, h)
	// Close releases what a new round maps.
	for range 1000 {
		mustMalloc(t, h, 1+r.IntN(300<<10))
	}
	ranges = heapRanges(h)
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s := h.Stats(); s.Mapped != 0 || s.Arenas != 0 {
		t.Fatalf("after Close: %+v; want nothing mapped", s)
	}
	if runtime.GOOS == "linux" {
		if n := mapsLeft(t, ranges); n != 0 {
			t.Fatalf("after Close /proc/self/maps still shows %d of the heap's %d mappings", n, len(ranges))
		}
	}
	for name, err := range map[string]error{
		"Malloc": func() error { _, err := h.Malloc(1); return err }(),
		"Free":   h.Free([]byte{1}),
		"Check":  h.Check(),
		"Trim":   h.Trim(),
		"Close":  h.Close(),
	} {
		if !errors.Is(err, memkit.ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", name, err)
		}
	}
}

func TestResetKeepsArenas(t *testing.T) {
	h := newHeap(t, Config{})
	for i := range 2000 {
		mustMalloc(t, h, 1+i*7%5000)
	}
	mustMalloc(t, h, 1<<20)
	before := h.Stats()
	h.Reset()
	s := h.Stats()
	if s.Live != 0 || s.InUse != 0 || s.Arenas != before.Arenas || s.Mapped != before.Mapped-(1<<20) || s.Frees != s.Allocs {
		t.Fatalf("after Reset: %+v (before %+v); want no live block, the same arenas, the large block unmapped", s, before)
	}
	mustCheck(t, h)
	for i := range 2000 {
		mustMalloc(t, h, 1+i*7%5000)
	}
	if got := h.Stats().Arenas; got != before.Arenas {
		t.Fatalf("refill after Reset mapped more: %d arenas, want %d", got, before.Arenas)
	}
	mustCheck(t, h)
}

// In Go an overrun past cap needs unsafe code or cgo; the test plays that
// code by writing through the raw block the Debug layer keeps.
func TestDebugCatchesOverrun(t *testing.T) {
	for _, n := range []int{10, 100, 5000, 200 << 10} {
		t.Run(fmt.Sprintf("size=%d", n), func(t *testing.T) {
			h := newHeap(t, Config{Debug: true})
			b := mustMalloc(t, h, n)
			if cap(b) != n {
				t.Fatalf("Debug: cap %d, want exactly %d", cap(b), n)
			}
			mustCheck(t, h)
			raw := h.dbg.live[addrOf(b)].raw
			raw[guardSize+n] = 0 // one byte past the end
			want := fmt.Sprintf("block %#x (size %d): overrun", addrOf(b), n)
			if err := h.Check(); !errors.Is(err, memkit.ErrCorrupt) || !strings.Contains(err.Error(), want) {
				t.Fatalf("Check after overrun: got %v, want ErrCorrupt naming %q", err, want)
			}
			if err := h.Free(b); !errors.Is(err, memkit.ErrCorrupt) {
				t.Fatalf("Free after overrun: got %v, want ErrCorrupt", err)
			}
			if _, err := h.Realloc(b, n+1); !errors.Is(err, memkit.ErrCorrupt) {
				t.Fatalf("Realloc after overrun: got %v, want ErrCorrupt", err)
			}
			raw[guardSize+n] = guardByte // repair, so the heap can be checked clean
			raw[guardSize-1] = 0         // one byte before the start
			if err := h.Free(b); !errors.Is(err, memkit.ErrCorrupt) || !strings.Contains(err.Error(), "front guard") {
				t.Fatalf("Free after underrun: got %v, want ErrCorrupt about the front guard", err)
			}
			raw[guardSize-1] = guardByte
			if err := h.Free(b); err != nil {
				t.Fatalf("Free after repair: %v", err)
			}
			mustCheck(t, h)
		})
	}
}

func TestDebugCatchesWriteAfterFree(t *testing.T) {
	h := newHeap(t, Config{Debug: true})
	b := mustMalloc(t, h, 48)
	if err := h.Free(b); err != nil {
		t.Fatal(err)
	}
	if err := h.Free(b); !errors.Is(err, memkit.ErrDoubleFree) {
		t.Fatalf("second Free: got %v, want ErrDoubleFree", err)
	}
	mustCheck(t, h)
	b[5] = 1 // a stale slice written after Free
	want := fmt.Sprintf("block %#x (size 48): written after free at byte 5", addrOf(b))
	if err := h.Check(); !errors.Is(err, memkit.ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Check: got %v, want ErrCorrupt naming %q", err, want)
	}
	// The damage is also found when the block leaves the quarantine.
	b[5] = poisonByte
	mustCheck(t, h)
	b[6] = 2
	for range quarantineBlocks + 1 {
		p := mustMalloc(t, h, 16)
		if err := h.Free(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Check(); !errors.Is(err, memkit.ErrCorrupt) || !strings.Contains(err.Error(), "written after free at byte 6") {
		t.Fatalf("Check after eviction: got %v, want the report of byte 6", err)
	}
}

func TestDebugOffCostsNoGuards(t *testing.T) {
	h := newHeap(t, Config{})
	b := mustMalloc(t, h, 16)
	if cap(b) != 16 || h.dbg != nil {
		t.Fatalf("Debug off: cap %d, debug state %v; want 16, nil", cap(b), h.dbg != nil)
	}
}

func TestAllocsPerRun(t *testing.T) {
	for _, m := range []struct {
		name string
		cfg  Config
	}{{"plain", Config{}}, {"concurrent", Config{Concurrent: true}}} {
		h := newHeap(t, m.cfg)
		keep := mustMalloc(t, h, 64) // keeps the class's run alive
		for _, n := range []int{8, 100, 3000, 20 << 10, 50 << 10} {
			allocs := testing.AllocsPerRun(1000, func() {
				b, err := h.Malloc(n)
				if err != nil {
					panic(err)
				}
				if err := h.Free(b); err != nil {
					panic(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s: Malloc(%d)+Free: %v allocs per run, want 0", m.name, n, allocs)
			}
		}
		if err := h.Free(keep); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, h)
	}
}

// TestConcurrentStress has goroutines allocate, hand blocks to each other
// and free blocks another goroutine allocated; run it under -race.
func TestConcurrentStress(t *testing.T) {
	h := newHeap(t, Config{Concurrent: true})
	const workers = 8
	rounds := 8000
	if testing.Short() {
		rounds = 3000
	}
	chans := make([]chan []byte, workers)
	for i := range chans {
		chans[i] = make(chan []byte, 64)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 99))
			t.Logf("worker %d seed %d", w, w)
			for i := range rounds {
				n := 1 + r.IntN(6000)
				if i%500 == 0 {
					n = 150 << 10
				}
				b, err := h.Malloc(n)
				if err != nil {
					errs <- err
					return
				}
				for j := range b {
					b[j] = byte(w)
				}
				select {
				case chans[(w+1)%workers] <- b:
				default:
					if err := h.Free(b); err != nil {
						errs <- err
						return
					}
				}
				select {
				case got := <-chans[w]:
					for j, c := range got {
						if c != byte((w+workers-1)%workers) {
							errs <- fmt.Errorf("worker %d: byte %d of a received block is %d", w, j, c)
							return
						}
					}
					if err := h.Free(got); err != nil {
						errs <- err
						return
					}
				default:
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, c := range chans {
		close(c)
		for b := range c {
			if err := h.Free(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s := h.Stats(); s.Live != 0 || s.Allocs != s.Frees {
		t.Fatalf("after the stress: %+v; want nothing live", s)
	}
	mustCheck(t, h)
}

func TestPackageLevel(t *testing.T) {
	b, err := Malloc(10)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Calloc(4, 4)
	if err != nil || len(c) != 16 {
		t.Fatalf("Calloc(4, 4): len %d, %v", len(c), err)
	}
	if b, err = Realloc(b, 1000); err != nil || len(b) != 1000 {
		t.Fatalf("Realloc: len %d, %v", len(b), err)
	}
	for _, p := range [][]byte{b, c} {
		if err := Free(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := Free(b); !errors.Is(err, memkit.ErrInvalidFree) {
		t.Fatalf("double Free: got %v, want ErrInvalidFree", err)
	}
	if err := defaultHeap().Check(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{ArenaSize: -1}, {ArenaSize: maxArenaSize + 1}, {LargeThreshold: -5}} {
		if _, err := New(cfg); !errors.Is(err, memkit.ErrInvalidConfig) {
			t.Errorf("New(%+v): got %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

// TestReallocLargeChain grows a large block page by page, as a realloc
// chain does: its bytes survive every step, the heap keeps one mapping of
// the block's rounded size, the old addresses are no longer live blocks,
// and the counters agree with Check.
func TestReallocLargeChain(t *testing.T) {
	h := newHeap(t, Config{})
	const start = 200 << 10
	b := mustMalloc(t, h, start)
	for i := range b {
		b[i] = byte(i * 13)
	}
	page := osmem.PageSize
	for step := 1; step <= 40; step++ {
		old := b
		n := start + step*(page+1)
		nb, err := h.Realloc(b, n)
		if err != nil || len(nb) != n {
			t.Fatalf("step %d: Realloc to %d: len %d, err %v", step, n, len(nb), err)
		}
		for _, i := range []int{0, 1, start / 2, start - 1} {
			if nb[i] != byte(i*13) {
				t.Fatalf("step %d: byte %d is %d, want %d", step, i, nb[i], byte(i*13))
			}
		}
		if addrOf(nb) != addrOf(old) {
			if err := h.Free(old); !errors.Is(err, memkit.ErrInvalidFree) {
				t.Fatalf("step %d: Free of the moved-from block: got %v, want ErrInvalidFree", step, err)
			}
		}
		b = nb
		s := h.Stats()
		if rounded, _ := osmem.RoundUp(cap(b)); s.LargeMappings != 1 || s.Mapped < int64(rounded) {
			t.Fatalf("step %d: LargeMappings %d, Mapped %d; want 1 and at least %d", step, s.LargeMappings, s.Mapped, rounded)
		}
		mustCheck(t, h)
	}
	if err := h.Free(b); err != nil {
		t.Fatal(err)
	}
	if s := h.Stats(); s.Live != 0 || s.LargeMappings != 0 {
		t.Fatalf("after Free: Live %d, LargeMappings %d; want 0 and 0", s.Live, s.LargeMappings)
	}
	mustCheck(t, h)
}
