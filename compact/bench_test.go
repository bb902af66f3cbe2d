// Benchmarks: compaction throughput against copy, churn under Lazy and Eager, Eager's Free cost.

package compact

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/memkit/memkit/internal/workload"
)

var (
	sinkHandle Handle
	sinkInt    int
)

// fragmented fills h with blocks of 1 B..64 KiB (sizes from seed 1) and
// frees half of them, chosen at random.
func fragmented(b *testing.B, h *Heap, sizes []int, victims []int) {
	h.Reset()
	hs := make([]Handle, 0, len(sizes))
	for _, n := range sizes {
		hd, err := h.Alloc(n)
		if err != nil {
			b.Fatal(err)
		}
		hs = append(hs, hd)
	}
	for _, i := range victims {
		if err := h.Free(hs[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDefragment measures one full compaction of a 256 MiB heap with
// half its blocks (1 B..64 KiB, ~8000 of them) freed at random, in bytes
// moved per second, against copy of as many bytes in the same buffer.
// impl=compact zeroes what blocks leave behind (the default);
// impl=compact-keepfreed does not.
func BenchmarkDefragment(b *testing.B) {
	const space = 256 << 20
	buf := make([]byte, space)
	r := rand.New(rand.NewPCG(1, 2))
	var sizes []int
	for sum := 0; ; {
		n := 1 + r.IntN(64<<10)
		if sum+(n+15)&^15 > space {
			break
		}
		sum += (n + 15) &^ 15
		sizes = append(sizes, n)
	}
	victims := r.Perm(len(sizes))[:len(sizes)/2]
	// A dry run finds the bytes a compaction moves, for SetBytes.
	h, err := New(buf, Config{KeepFreed: true})
	if err != nil {
		b.Fatal(err)
	}
	fragmented(b, h, sizes, victims)
	res, _ := h.Defragment(Budget{})
	moved := res.BytesMoved
	for _, impl := range []string{"compact", "compact-keepfreed", "copy"} {
		b.Run("impl="+impl, func(b *testing.B) {
			h, err := New(buf, Config{KeepFreed: impl != "compact"})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(moved))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if impl == "copy" {
					sinkInt += copy(buf[:moved], buf[space-moved:])
					continue
				}
				b.StopTimer()
				fragmented(b, h, sizes, victims)
				b.StartTimer()
				res, err := h.Defragment(Budget{})
				if err != nil || !res.Done || res.BytesMoved != moved {
					b.Fatalf("Defragment: %+v, %v; want Done and %d bytes", res, err, moved)
				}
			}
			if impl != "copy" {
				b.ReportMetric(float64(res.Moves), "moves/op")
			}
		})
	}
}

// BenchmarkAllocFree is the shared churn (workload.NewChurn: free one
// random block, allocate one of 1..4096 bytes) on a heap 3% larger than the
// peak live bytes (sizes rounded to 16) of the first 32 periods of the
// stream, so that Lazy runs out of gaps now and then and compacts.
// Reported: the heap size, utilization, and blocks and bytes moved per op.
func BenchmarkAllocFree(b *testing.B) {
	for _, pol := range []Policy{Lazy, Eager} {
		for _, live := range []int{1000, 10000} {
			ch := workload.NewChurn(1, live, 1, 4096, 1<<16)
			b.Run(fmt.Sprintf("impl=compact-%v/%s", pol, ch.Name), func(b *testing.B) {
				space := churnPeak(ch, 32) * 103 / 100
				h, err := New(make([]byte, space), Config{Policy: pol, MaxAllocations: live})
				if err != nil {
					b.Fatal(err)
				}
				slots := make([]Handle, live)
				for i, n := range ch.Initial {
					if slots[i], err = h.Alloc(int(n)); err != nil {
						b.Fatal(err)
					}
				}
				st0 := h.Stats()
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					v := ch.Victims[i&ch.Mask]
					if err := h.Free(slots[v]); err != nil {
						b.Fatal(err)
					}
					hd, err := h.Alloc(int(ch.Sizes[i&ch.Mask]))
					if err != nil {
						b.Fatalf("step %d: %v (%s)", i, err, h)
					}
					slots[v] = hd
				}
				b.StopTimer()
				st := h.Stats()
				b.ReportMetric(float64(space)/(1<<20), "heap-MiB")
				b.ReportMetric(100*float64(st.Requested)/float64(st.Total), "util-%")
				b.ReportMetric(float64(st.Moves-st0.Moves)/float64(b.N), "moves/op")
				b.ReportMetric(float64(st.BytesMoved-st0.BytesMoved)/float64(b.N), "moved-B/op")
			})
		}
	}
}

// churnPeak returns the peak of live bytes (rounded to 16 per block) over
// the first periods repetitions of the churn's stream.
func churnPeak(ch workload.Churn, periods int) int {
	r := func(n uint64) int { return int(n+15) &^ 15 }
	sizes := make([]int, ch.Live)
	sum := 0
	for i, n := range ch.Initial {
		sizes[i] = r(n)
		sum += sizes[i]
	}
	peak := sum
	for i := 0; i < periods*(ch.Mask+1); i++ {
		v := ch.Victims[i&ch.Mask]
		sum += r(ch.Sizes[i&ch.Mask]) - sizes[v]
		sizes[v] = r(ch.Sizes[i&ch.Mask])
		peak = max(peak, sum)
	}
	return peak
}

// BenchmarkEagerFree shows that an Eager Free costs a memmove of the bytes
// behind the freed block: each op frees the lowest of a run of 4 KiB blocks
// holding `behind` bytes above it, then allocates a new block at the end.
// SetBytes is the bytes behind, so MB/s is the sliding speed.
func BenchmarkEagerFree(b *testing.B) {
	for _, behind := range []int{64 << 10, 1 << 20, 16 << 20} {
		b.Run(fmt.Sprintf("behind=%s", sizeName(behind)), func(b *testing.B) {
			const block = 4096
			n := behind/block + 1
			h, err := New(make([]byte, n*block), Config{Policy: Eager, MaxAllocations: n})
			if err != nil {
				b.Fatal(err)
			}
			fifo := make([]Handle, n)
			for i := range fifo {
				if fifo[i], err = h.Alloc(block); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(behind))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				j := i % n
				if err := h.Free(fifo[j]); err != nil { // the lowest block
					b.Fatal(err)
				}
				if fifo[j], err = h.Alloc(block); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprint(n)
}
