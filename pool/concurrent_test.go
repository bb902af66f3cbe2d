// Concurrent mode: goroutines allocate and free each other's blocks under -race.

package pool

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// TestConcurrentStress: G goroutines allocate blocks of random sizes, fill
// them with a per-block pattern and pass them on a channel ring to the
// next goroutine, which verifies and frees them. Every block is owned by
// one goroutine at a time, so any overlap or lost block shows as a pattern
// mismatch (or a race report) or a failed Check.
func TestConcurrentStress(t *testing.T) {
	for _, stats := range []bool{false, true} {
		t.Run(map[bool]string{false: "stats=off", true: "stats=on"}[stats], func(t *testing.T) {
			cfg := Config{Concurrent: true, Stats: stats, Classes: []Class{{16, 64}, {64, 64}, {256, 32}, {1024, 8}}}
			p := newPool(t, cfg)
			const G = 4
			ops := 20000
			if testing.Short() {
				ops = 3000
			}
			type item struct {
				b    []byte
				seed uint64
			}
			ring := make([]chan item, G)
			for i := range ring {
				ring[i] = make(chan item, 64)
			}
			var wg sync.WaitGroup
			errs := make(chan error, G)
			for g := range G {
				wg.Add(1)
				go func() {
					defer wg.Done()
					seed := uint64(1000 + g)
					r := rand.New(rand.NewPCG(seed, 7))
					in, out := ring[g], ring[(g+1)%G]
					for n := range ops {
						select {
						case it := <-in:
							if err := alloctest.Verify(it.b, it.seed); err != nil {
								errs <- err
								return
							}
							if err := p.Free(it.b); err != nil {
								errs <- err
								return
							}
						default:
						}
						b, err := p.Alloc(1 + r.IntN(1024))
						if errors.Is(err, memkit.ErrOutOfMemory) {
							runtime.Gosched()
							continue
						}
						if err != nil {
							errs <- err
							return
						}
						s := seed<<32 | uint64(n)
						alloctest.Fill(b, s)
						select {
						case out <- item{b, s}:
						default:
							if err := p.Free(b); err != nil {
								errs <- err
								return
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for _, ch := range ring {
				close(ch)
				for it := range ch {
					if err := alloctest.Verify(it.b, it.seed); err != nil {
						t.Fatal(err)
					}
					if err := p.Free(it.b); err != nil {
						t.Fatal(err)
					}
				}
			}
			if n, _ := p.Live(); n != 0 {
				t.Fatalf("got %d blocks live after freeing all, want 0", n)
			}
			if err := p.Check(); err != nil {
				t.Fatal(err)
			}
			if stats {
				st := p.Stats()
				for i, c := range st.Classes {
					if c.Allocs != c.Frees || c.InUse != 0 {
						t.Fatalf("class %d: %d allocs, %d frees, %d in use; want equal counts and 0", i, c.Allocs, c.Frees, c.InUse)
					}
				}
			}
		})
	}
}

// TestConcurrentExhaustion: goroutines draining a class together get
// every block exactly once, then ErrOutOfMemory.
func TestConcurrentExhaustion(t *testing.T) {
	const count = 1000
	p := newPool(t, Config{Concurrent: true, Stats: true, Classes: []Class{{32, count}}})
	var mu sync.Mutex
	seen := map[uintptr]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []uintptr
			for {
				b, err := p.Alloc(32)
				if err != nil {
					if !errors.Is(err, memkit.ErrOutOfMemory) {
						t.Error(err)
					}
					break
				}
				mine = append(mine, sliceAddr(b))
			}
			mu.Lock()
			for _, a := range mine {
				if seen[a] {
					t.Errorf("block %#x handed out twice", a)
				}
				seen[a] = true
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(seen) != count {
		t.Fatalf("got %d distinct blocks, want %d", len(seen), count)
	}
	if st := p.Stats(); st.Classes[0].Failed != 4 || st.Classes[0].Peak != count {
		t.Fatalf("got Failed %d Peak %d, want 4 and %d", st.Classes[0].Failed, st.Classes[0].Peak, count)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentDoubleFreeRace: goroutines race to free the same blocks
// (with no allocation meanwhile, which could legitimately reuse a block):
// each block is freed exactly once, every other attempt gets ErrDoubleFree.
func TestConcurrentDoubleFreeRace(t *testing.T) {
	const n, G = 512, 4
	p := newPool(t, Config{Concurrent: true, Stats: true, Classes: []Class{{64, n}}})
	blocks := make([][]byte, n)
	for i := range blocks {
		blocks[i], _ = p.Alloc(64)
	}
	var wg sync.WaitGroup
	wins := make([]int, G)
	for g := range G {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 3))
			for _, i := range r.Perm(n) {
				switch err := p.Free(blocks[i]); {
				case err == nil:
					wins[g]++
				case !errors.Is(err, memkit.ErrDoubleFree):
					t.Errorf("free: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, w := range wins {
		total += w
	}
	if total != n {
		t.Fatalf("got %d successful frees (per goroutine %v), want %d", total, wins, n)
	}
	if st := p.Stats(); st.Classes[0].Frees != n || st.Classes[0].InUse != 0 {
		t.Fatalf("got Frees %d InUse %d, want %d and 0", st.Classes[0].Frees, st.Classes[0].InUse, n)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}
