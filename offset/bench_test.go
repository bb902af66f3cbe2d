// Benchmarks: the shared AllocFree churn, utilization, lookups.

package offset

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/memkit/memkit/internal/peers"
	"github.com/memkit/memkit/internal/workload"
)

var sinkOff Offset

// benchSpace is the managed space of the AllocFree benchmarks: 2 GiB.
const benchSpace = 2 << 30

// BenchmarkAllocFree is the shared churn loop: per op, free the block in
// slot Victims[i&Mask] and allocate Sizes[i&Mask] into that slot.
//
// impl=offsetalloc-model runs it over peers.OffsetBins, the Go model of
// OffsetAllocator's design, freeing by the node its alloc returned: the
// reference the bar cites, measured in the same process.
//
// impl=harness runs the same loop over the same stream with no allocator
// (free reads the victim's offset, alloc bumps a counter): the loop's own
// cost, to subtract from the allocators' figures.
func BenchmarkAllocFree(b *testing.B) {
	for _, live := range workload.LiveCounts {
		c := workload.NewChurn(1, live, 1, 4096, 1<<16)
		b.Run("impl=harness/"+c.Name, func(b *testing.B) { benchHarness(b, c) })
	}
	for _, p := range policies {
		for _, live := range workload.LiveCounts {
			c := workload.NewChurn(1, live, 1, 4096, 1<<16)
			b.Run(fmt.Sprintf("impl=offset-%v/%s", p, c.Name), func(b *testing.B) {
				benchChurn(b, Config{Size: benchSpace, Policy: p, MaxNodes: 2*live + 16}, c)
			})
		}
	}
	for _, live := range workload.LiveCounts {
		c := workload.NewChurn(1, live, 1, 4096, 1<<16)
		b.Run("impl=offsetalloc-model/"+c.Name, func(b *testing.B) { benchPeer(b, c, 2*live+16) })
	}
}

// benchPeer is benchChurn's loop over peers.OffsetBins, the Go model of
// OffsetAllocator's design, with a budget of nodes. Its slots keep the
// node each alloc returned, which its free takes (the design's own API);
// util-% counts its blocks at their requested sizes (it does not round
// them).
func benchPeer(b *testing.B, c workload.Churn, nodes int) {
	a, err := peers.NewOffsetBins(benchSpace, nodes)
	if err != nil {
		b.Fatal(err)
	}
	slots := make([]uint32, c.Live)
	for i, s := range c.Initial {
		if _, slots[i], err = a.Alloc(s); err != nil {
			b.Fatalf("initial alloc %d of %d: %v", i, s, err)
		}
	}
	b.ReportAllocs()
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i & c.Mask
		v := c.Victims[k]
		a.Free(slots[v])
		if _, slots[v], err = a.Alloc(c.Sizes[k]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if cpu1, ok := cpuTime(); ok && cpuOK && b.N >= 10000 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(peerUtil(a, slots), "util-%")
}

// BenchmarkAllocFreeGrowing is BenchmarkAllocFree with metadata that grows
// on demand (MaxNodes 0) instead of a fixed budget.
func BenchmarkAllocFreeGrowing(b *testing.B) {
	for _, p := range policies {
		c := workload.NewChurn(1, 10000, 1, 4096, 1<<16)
		b.Run(fmt.Sprintf("impl=offset-%v/%s", p, c.Name), func(b *testing.B) {
			benchChurn(b, Config{Size: benchSpace, Policy: p}, c)
		})
	}
}

func benchChurn(b *testing.B, cfg Config, c workload.Churn) {
	a, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	slots := make([]Offset, c.Live)
	for i, s := range c.Initial {
		if slots[i], err = a.Alloc(s); err != nil {
			b.Fatalf("initial alloc %d of %d: %v", i, s, err)
		}
	}
	b.ReportAllocs()
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i & c.Mask
		v := c.Victims[k]
		if err := a.Free(slots[v]); err != nil {
			b.Fatal(err)
		}
		off, err := a.Alloc(c.Sizes[k])
		if err != nil {
			b.Fatal(err)
		}
		slots[v] = off
	}
	b.StopTimer()
	if cpu1, ok := cpuTime(); ok && cpuOK && b.N >= 10000 {
		// CPU time per op: what ns/op would be on an idle machine, when
		// other processes share the cores.
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
	sinkOff = slots[0]
	st := a.Stats()
	b.ReportMetric(100*float64(st.Allocated)/float64(highWater(a)), "util-%")
	b.ReportMetric(float64(st.MetadataBytes)/float64(st.NodeCap), "meta-B/node")
}

// benchHarness is benchChurn's loop without an allocator.
func benchHarness(b *testing.B, c workload.Churn) {
	slots := make([]Offset, c.Live)
	var top, sum Offset
	for i, s := range c.Initial {
		slots[i] = top
		top += Offset(s)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i & c.Mask
		v := c.Victims[k]
		sum += slots[v]
		slots[v] = top
		top += Offset(c.Sizes[k])
	}
	sinkOff = sum + slots[0]
}

// highWater returns the end of the last live block: the part of the space
// the workload really needed.
func highWater(a *Allocator) uint64 {
	var end uint64
	a.Walk(func(b Block) bool {
		if !b.Free {
			end = uint64(b.Off) + b.Size
		}
		return true
	})
	return max(end, 1)
}

// utilSizes are BenchmarkUtilization's block sizes, between GoodFit's
// classes (and OffsetAllocator's bins) on purpose; utilLive its live blocks.
var utilSizes = []uint64{1<<10 - 17, 1<<10 + 17, 921, 1126, 1<<16 - 17, 1<<16 + 17}

const utilLive = 4096

// BenchmarkUtilization fills a space with one repeated size, frees a random
// half and refills, in a steady churn: util-% is live bytes over the space
// the allocator had to touch (the highest live end), after the churn. Sizes
// sit between GoodFit's classes on purpose. impl=offsetalloc-model runs the
// same churn over peers.OffsetBins, the Go model of OffsetAllocator's
// design, whose bins leave such sizes' freed blocks unused.
func BenchmarkUtilization(b *testing.B) {
	for _, p := range policies {
		for _, size := range utilSizes {
			b.Run(fmt.Sprintf("impl=offset-%v/size=%d", p, size), func(b *testing.B) {
				const live = utilLive
				c := workload.Fixed(2, live, size, 1<<14)
				a, err := New(Config{Size: benchSpace, Policy: p, MaxNodes: 4 * live})
				if err != nil {
					b.Fatal(err)
				}
				slots := make([]Offset, live)
				for i, s := range c.Initial {
					slots[i], _ = a.Alloc(s)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					k := i & c.Mask
					v := c.Victims[k]
					_ = a.Free(slots[v])
					slots[v], err = a.Alloc(c.Sizes[k])
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(100*float64(a.Stats().Allocated)/float64(highWater(a)), "util-%")
			})
		}
	}
	for _, size := range utilSizes {
		b.Run(fmt.Sprintf("impl=offsetalloc-model/size=%d", size), func(b *testing.B) {
			benchPeer(b, workload.Fixed(2, utilLive, size, 1<<14), 4*utilLive)
		})
	}
}

// peerUtil is util-% for peers.OffsetBins: live bytes over the highest
// live end.
func peerUtil(a *peers.OffsetBins, slots []uint32) float64 {
	var end, live uint64
	for _, n := range slots {
		off, size := a.Block(n)
		end = max(end, uint64(off)+uint64(size))
		live += uint64(size)
	}
	return 100 * float64(live) / float64(max(end, 1))
}

// BenchmarkSizeOf measures the O(1) lookup alone.
func BenchmarkSizeOf(b *testing.B) {
	for _, p := range policies {
		b.Run(fmt.Sprintf("impl=offset-%v/live=10000", p), func(b *testing.B) {
			a, _ := New(Config{Size: benchSpace, Policy: p})
			r := rand.New(rand.NewPCG(3, 3))
			offs := make([]Offset, 10000)
			for i := range offs {
				offs[i], _ = a.Alloc(1 + r.Uint64N(4096))
			}
			b.ReportAllocs()
			b.ResetTimer()
			var n uint64
			for i := 0; i < b.N; i++ {
				s, _ := a.SizeOf(offs[i%len(offs)])
				n += s
			}
			sinkOff = Offset(n)
		})
	}
}
