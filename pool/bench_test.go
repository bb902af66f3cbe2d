// Benchmarks: alloc+free pairs against sync.Pool, concurrent scaling, and single-operation latency.

package pool

import (
	"fmt"
	"math"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/memkit/memkit/internal/workload"
)

var (
	sinkBytes []byte
	sinkErr   error
)

func benchPool(b *testing.B, cfg Config) *Pool {
	b.Helper()
	p := newPool(b, cfg)
	p.Prefault()
	return p
}

// BenchmarkAllocFree allocates then frees one 64-byte block per op, the
// same body for the pool in each mode and for sync.Pool's Get+Put.
func BenchmarkAllocFree(b *testing.B) {
	const size = 64
	cfg := DefaultConfig()
	for _, impl := range []struct {
		name string
		cfg  func(Config) Config
	}{
		{"pool", func(c Config) Config { return c }},
		{"pool-stats", func(c Config) Config { c.Stats = true; return c }},
		{"pool-concurrent", func(c Config) Config { c.Concurrent = true; return c }},
		{"pool-concurrent-stats", func(c Config) Config { c.Concurrent, c.Stats = true, true; return c }},
	} {
		b.Run(fmt.Sprintf("impl=%s/size=%d", impl.name, size), func(b *testing.B) {
			p := benchPool(b, impl.cfg(cfg))
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for range b.N {
				blk, err := p.Alloc(size)
				if err != nil {
					b.Fatal(err)
				}
				sinkErr = p.Free(blk)
			}
			b.StopTimer()
			reportCPU(b, cpu0)
			if err := p.Check(); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.Run(fmt.Sprintf("impl=syncpool/size=%d", size), func(b *testing.B) {
		sp := sync.Pool{New: func() any { return new([size]byte) }}
		sp.Put(sp.Get())
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		for range b.N {
			blk := sp.Get().(*[size]byte)
			sinkBytes = blk[:]
			sp.Put(blk)
		}
		b.StopTimer()
		reportCPU(b, cpu0)
	})
}

// reportCPU reports the process CPU time per op since cpu0: on a shared
// machine, wall time per op includes the time the benchmark waited for a
// core, CPU time does not.
func reportCPU(b *testing.B, cpu0 int64) {
	if c := cpuTime(); c > 0 && b.N > 0 {
		b.ReportMetric(float64(c-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkChurn is the shared free-one, allocate-one stream
// (workload.Fixed) over 1000 live 64-byte blocks: a pool whose free list
// is not a single hot block.
func BenchmarkChurn(b *testing.B) {
	c := workload.Fixed(1, 1000, 64, 1<<14)
	for _, impl := range []struct {
		name string
		conc bool
	}{{"pool", false}, {"pool-concurrent", true}} {
		b.Run("impl="+impl.name+"/"+c.Name, func(b *testing.B) {
			p := benchPool(b, Config{Concurrent: impl.conc, Classes: []Class{{64, c.Live + 1}}})
			live := make([][]byte, c.Live)
			for i, s := range c.Initial {
				live[i], _ = p.Alloc(int(s))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				j := c.Victims[i&c.Mask]
				sinkErr = p.Free(live[j])
				live[j], sinkErr = p.Alloc(int(c.Sizes[i&c.Mask]))
			}
			b.StopTimer()
			for _, blk := range live {
				p.Free(blk)
			}
			if err := p.Check(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkConcurrent compares one goroutine with b.RunParallel (one
// goroutine per P) on the same Concurrent pool, each goroutine allocating
// then freeing a 64-byte block. ns/op is wall time per pair, so the ratio
// goroutines=1 / goroutines=parallel is the parallel speed-up; run with
// -cpu 2 for GOMAXPROCS=2.
func BenchmarkConcurrent(b *testing.B) {
	cfg := Config{Concurrent: true, Classes: []Class{{64, 1024}}}
	b.Run("goroutines=1", func(b *testing.B) {
		p := benchPool(b, cfg)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		for range b.N {
			blk, _ := p.Alloc(64)
			sinkErr = p.Free(blk)
		}
		b.StopTimer()
		reportCPU(b, cpu0)
	})
	b.Run("goroutines=parallel", func(b *testing.B) {
		p := benchPool(b, cfg)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				blk, err := p.Alloc(64)
				if err != nil {
					panic(err)
				}
				if err := p.Free(blk); err != nil {
					panic(err)
				}
			}
		})
		b.StopTimer()
		reportCPU(b, cpu0)
		if err := p.Check(); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkLatency times 10M single operations (half frees, half allocs,
// a free-one/allocate-one churn over 512 live 64-byte blocks) one by one
// with the operation clock, per b.N iteration, and reports the p50, p99,
// p99.99 and max of a single operation. After every operation it also
// times an empty region the same way: the control distribution (clock-*
// metrics) shows what the clock and the machine add by themselves, under
// the same conditions, so a tail the control shares is not the
// allocator's. The histograms are preallocated, the loop allocates no Go
// memory and the GC is switched off for it, so the collector cannot
// interfere. One iteration takes about a second; run with -benchtime 1x.
func BenchmarkLatency(b *testing.B) {
	const ops = 10_000_000
	for _, conc := range []bool{false, true} {
		name := "impl=pool/ops=10M"
		if conc {
			name = "impl=pool-concurrent/ops=10M"
		}
		b.Run(name, func(b *testing.B) {
			p := benchPool(b, Config{Concurrent: conc, Classes: []Class{{64, 1024}}})
			churn := workload.Fixed(7, 512, 64, 1<<16)
			live := make([][]byte, churn.Live)
			for i := range live {
				live[i], _ = p.Alloc(64)
			}
			// Ticks -> count; the last bucket takes all longer ones.
			var opHist, clockHist latencyHist
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			b.ReportAllocs()
			b.ResetTimer()
			min0, maj0, vcs0, ivcs0 := procCounters()
			for range b.N {
				for i := range ops / 2 {
					j := churn.Victims[i&churn.Mask]
					t0 := now()
					err := p.Free(live[j])
					t1 := now()
					opHist.add(t1 - t0)
					if err != nil {
						b.Fatal(err)
					}
					t0 = now()
					t1 = now()
					clockHist.add(t1 - t0)
					t0 = now()
					live[j], err = p.Alloc(64)
					t1 = now()
					opHist.add(t1 - t0)
					if err != nil {
						b.Fatal(err)
					}
					t0 = now()
					t1 = now()
					clockHist.add(t1 - t0)
				}
			}
			b.StopTimer()
			min1, maj1, vcs1, ivcs1 := procCounters()
			opHist.report(b, "")
			clockHist.report(b, "clock-")
			// Evidence for the tail: page faults and context switches of
			// the whole process during the loop (all goroutines and
			// threads, so an upper bound on what hit the loop).
			b.ReportMetric(float64(min1-min0+maj1-maj0), "faults")
			b.ReportMetric(float64(ivcs1-ivcs0), "preemptions")
			b.ReportMetric(float64(vcs1-vcs0), "yields")
			for _, blk := range live {
				p.Free(blk)
			}
			if err := p.Check(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// latencyHist counts durations in clock ticks, one bucket per tick up to
// 65535 (about 30 µs with a TSC); the last bucket takes all longer ones
// and worst keeps the exact maximum.
type latencyHist struct {
	n     [1 << 16]uint64
	worst int64
	total int64 // sum of all durations, ticks
}

func (h *latencyHist) add(d int64) {
	h.n[min(max(d, 0), int64(len(h.n)-1))]++
	h.worst = max(h.worst, d)
	h.total += d
}

func (h *latencyHist) report(b *testing.B, prefix string) {
	ns := func(ticks int64) float64 { return float64(ticks) / tickRate() }
	b.ReportMetric(ns(percentile(h.n[:], 0.5)), prefix+"p50-ns")
	b.ReportMetric(ns(percentile(h.n[:], 0.99)), prefix+"p99-ns")
	b.ReportMetric(ns(percentile(h.n[:], 0.9999)), prefix+"p99.99-ns")
	b.ReportMetric(ns(h.worst), prefix+"max-ns")
	// Regions longer than 1 µs per second spent inside the timed regions:
	// an external event (interrupt, preemption, host exit) lands in a
	// region with a probability proportional to its length, so equal
	// rates for operations and for the empty control region mean the
	// slow cases are the machine's, not the allocator's.
	slow := uint64(0)
	for t := int64(math.Ceil(1000 * tickRate())); t < int64(len(h.n)); t++ {
		slow += h.n[t]
	}
	b.ReportMetric(float64(slow)/(ns(h.total)/1e9), prefix+"slow/s")
	var count uint64
	for _, n := range h.n {
		count += n
	}
	b.ReportMetric(float64(slow)/float64(count)*1e6, prefix+"slow/Mregion")
}

// percentile returns the smallest bucket at or below which a fraction q of
// the histogram's counts lie.
func percentile(hist []uint64, q float64) int64 {
	var total uint64
	for _, n := range hist {
		total += n
	}
	want := uint64(math.Ceil(q * float64(total)))
	var acc uint64
	for i, n := range hist {
		acc += n
		if acc >= want {
			return int64(i)
		}
	}
	return int64(len(hist) - 1)
}

// BenchmarkClock is the cost of one read of the operation clock (the TSC
// where available) and of the portable monotonic clock (time.Since): what
// Stats adds, twice per operation.
func BenchmarkClock(b *testing.B) {
	b.Run("clock=op", func(b *testing.B) {
		cpu0 := cpuTime()
		var s int64
		for range b.N {
			s += now()
		}
		sinkTicks = s
		reportCPU(b, cpu0)
	})
	b.Run("clock=monotonic", func(b *testing.B) {
		cpu0 := cpuTime()
		var s int64
		for range b.N {
			s += monoNow()
		}
		sinkTicks = s
		reportCPU(b, cpu0)
	})
}

var sinkTicks int64
