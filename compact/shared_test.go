// Concurrency: Shared under a writer that moves blocks and readers that pin or use With.

package compact

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// registry publishes the blocks readers may verify: handle -> pattern seed.
// The writer takes a block out before it changes it and puts it back after.
type registry struct {
	mu sync.Mutex
	m  map[Handle]uint64
	hs []Handle
}

func (r *registry) put(hd Handle, seed uint64) {
	r.mu.Lock()
	if _, ok := r.m[hd]; !ok {
		r.hs = append(r.hs, hd)
	}
	r.m[hd] = seed
	r.mu.Unlock()
}

func (r *registry) take(hd Handle) {
	r.mu.Lock()
	delete(r.m, hd)
	r.mu.Unlock()
}

func (r *registry) seedOf(hd Handle) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.m[hd]
	return s, ok
}

func (r *registry) any(rnd *rand.Rand) (Handle, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.hs) == 0 {
		return 0, false
	}
	return r.hs[rnd.IntN(len(r.hs))], true
}

func TestSharedStress(t *testing.T) {
	ops, readers := 4000, 3
	if testing.Short() {
		ops = 800
	}
	for _, pol := range policies {
		t.Run("policy="+pol.String(), func(t *testing.T) {
			sh, err := NewShared(make([]byte, 64<<10), Config{Policy: pol, MaxAllocations: 256})
			if err != nil {
				t.Fatal(err)
			}
			reg := &registry{m: map[Handle]uint64{}}
			var done atomic.Bool
			var verified, pinnedReads atomic.Int64
			var wg sync.WaitGroup
			errc := make(chan error, readers+1)
			for r := range readers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rnd := rand.New(rand.NewPCG(uint64(r), 99))
					for !done.Load() {
						hd, ok := reg.any(rnd)
						if !ok {
							continue
						}
						if rnd.IntN(2) == 0 {
							err := sh.With(hd, func(b []byte) {
								if seed, ok := reg.seedOf(hd); ok {
									if err := alloctest.Verify(b, seed); err != nil {
										errc <- err
									}
									verified.Add(1)
								}
							})
							if err != nil && !errors.Is(err, memkit.ErrInvalidFree) {
								errc <- err
								return
							}
							continue
						}
						b, err := sh.Pin(hd)
						if err != nil {
							continue // freed meanwhile
						}
						if seed, ok := reg.seedOf(hd); ok {
							if err := alloctest.Verify(b, seed); err != nil {
								errc <- err
							}
							pinnedReads.Add(1)
						}
						if err := sh.Unpin(hd); err != nil {
							errc <- err
							return
						}
					}
				}()
			}
			// The writer.
			seed := uint64(1) << 32
			rnd := rand.New(rand.NewPCG(7, uint64(pol)))
			var live []Handle
			fill := func(hd Handle) {
				seed++
				s := seed
				if err := sh.With(hd, func(b []byte) { alloctest.Fill(b, s) }); err != nil {
					t.Error(err)
				}
				reg.put(hd, s)
			}
			// Run at least ops steps, and on until the readers verified
			// enough blocks (bounded, for a starved scheduler).
			for i := 0; i < 50*ops && (i < ops || verified.Load()+pinnedReads.Load() < 500); i++ {
				switch k := rnd.IntN(10); {
				case k < 4 || len(live) == 0:
					hd, err := sh.Alloc(1 + rnd.IntN(2000))
					if err == nil {
						fill(hd)
						live = append(live, hd)
					}
				case k < 7:
					j := rnd.IntN(len(live))
					hd := live[j]
					s, _ := reg.seedOf(hd)
					reg.take(hd)
					if err := sh.Free(hd); err != nil {
						if !errors.Is(err, memkit.ErrPinned) {
							t.Fatal(err)
						}
						reg.put(hd, s)
						continue
					}
					live[j] = live[len(live)-1]
					live = live[:len(live)-1]
				case k < 9:
					hd := live[rnd.IntN(len(live))]
					s, _ := reg.seedOf(hd)
					reg.take(hd)
					if err := sh.Realloc(hd, 1+rnd.IntN(3000)); err != nil {
						if !errors.Is(err, memkit.ErrPinned) && !errors.Is(err, memkit.ErrOutOfMemory) {
							t.Fatal(err)
						}
						reg.put(hd, s)
						continue
					}
					fill(hd)
				default:
					if _, err := sh.Defragment(Budget{MaxBytes: 8 << 10}); err != nil {
						t.Fatal(err)
					}
				}
			}
			done.Store(true)
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Fatalf("reader: %v", err)
			}
			if err := sh.Check(); err != nil {
				t.Fatal(err)
			}
			st := sh.Stats()
			t.Logf("%s: %d With reads, %d pinned reads verified, %d moves (%d bytes)", sh, verified.Load(), pinnedReads.Load(), st.Moves, st.BytesMoved)
			if st.Moves == 0 || verified.Load() == 0 || pinnedReads.Load() == 0 {
				t.Fatalf("%d moves, %d With reads, %d pinned reads: the test proves nothing", st.Moves, verified.Load(), pinnedReads.Load())
			}
			if err := sh.Reset(); err != nil {
				t.Fatal(err)
			}
			if err := sh.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	for _, pol := range policies {
		t.Run("policy="+pol.String(), func(t *testing.T) {
			h := newTestHeap(t, 64<<10, Config{Policy: pol, MaxAllocations: 64})
			var keep []Handle
			for i := range 40 {
				hd, err := h.Alloc(100 + 37*i)
				if err != nil {
					t.Fatal(err)
				}
				keep = append(keep, hd)
			}
			for i := 0; i < len(keep); i += 2 {
				h.Free(keep[i]) // fragment it
			}
			big := h.Stats().Total - h.Stats().Used - 4096
			n := testing.AllocsPerRun(100, func() {
				hd, err := h.Alloc(300)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := h.Bytes(hd); err != nil {
					t.Fatal(err)
				}
				if err := h.Realloc(hd, 900); err != nil {
					t.Fatal(err)
				}
				h.Pin(hd)
				h.Unpin(hd)
				if err := h.Free(hd); err != nil {
					t.Fatal(err)
				}
				if pol != Manual {
					// an allocation that needs a compaction
					b, err := h.Alloc(big)
					if err != nil {
						t.Fatal(err)
					}
					h.Free(b)
				}
			})
			if n != 0 {
				t.Fatalf("got %v Go allocations per run, want 0", n)
			}
			n = testing.AllocsPerRun(10, func() {
				hd, err := h.Alloc(h.Stats().Total)
				if err == nil || hd != 0 {
					t.Fatal("alloc of the whole space succeeded with blocks live")
				}
			})
			if n != 0 {
				t.Fatalf("failing alloc: got %v Go allocations, want 0", n)
			}
			if err := h.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
