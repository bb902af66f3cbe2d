// Benchmarks: alloc+free pairs against sync.Pool, concurrent scaling, and single-operation latency.

package pool

import (
	"fmt"
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
			for range b.N {
				blk, err := p.Alloc(size)
				if err != nil {
					b.Fatal(err)
				}
				sinkErr = p.Free(blk)
			}
			b.StopTimer()
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
		for range b.N {
			blk := sp.Get().(*[size]byte)
			sinkBytes = blk[:]
			sp.Put(blk)
		}
	})
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
		for range b.N {
			blk, _ := p.Alloc(64)
			sinkErr = p.Free(blk)
		}
	})
	b.Run("goroutines=parallel", func(b *testing.B) {
		p := benchPool(b, cfg)
		b.ReportAllocs()
		b.ResetTimer()
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
		if err := p.Check(); err != nil {
			b.Fatal(err)
		}
	})
}
