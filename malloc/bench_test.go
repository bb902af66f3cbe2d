// Benchmarks against modernc.org/memory and the Go heap, with utilization.

package malloc

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/memkit/memkit/internal/workload"
)

var sink []byte

// impl is one allocator under benchmark, behind the same free+alloc body.
type impl struct {
	name  string
	setup func(b *testing.B) (alloc func(n int) []byte, free func(p []byte), done func())
}

var impls = []impl{
	{"malloc", mallocImpl(Config{})},
	{"malloc-compact", mallocImpl(Config{Compact: true})},
	{"go", func(b *testing.B) (func(int) []byte, func([]byte), func()) {
		return func(n int) []byte { return make([]byte, n) }, func([]byte) {}, func() {}
	}},
}

func mallocImpl(cfg Config) func(b *testing.B) (func(int) []byte, func([]byte), func()) {
	return func(b *testing.B) (func(int) []byte, func([]byte), func()) {
		h, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		return func(n int) []byte {
				p, err := h.Malloc(n)
				if err != nil {
					b.Fatal(err)
				}
				return p
			}, func(p []byte) {
				if err := h.Free(p); err != nil {
					b.Fatal(err)
				}
			}, func() {
				if err := h.Check(); err != nil {
					b.Fatal(err)
				}
				_ = h.Close()
			}
	}
}

// churns are the AllocFree workloads, built once.
var churns = sync.OnceValue(func() []workload.Churn {
	return []workload.Churn{
		workload.NewChurn(1, 10000, 1, 4096, 1<<16),
		workload.NewChurn(1, 100000, 1, 4096, 1<<18),
	}
})

func BenchmarkAllocFree(b *testing.B) {
	for _, im := range impls {
		for _, c := range churns() {
			b.Run("impl="+im.name+"/"+c.Name, func(b *testing.B) {
				alloc, free, done := im.setup(b)
				slots := make([][]byte, c.Live)
				for i, n := range c.Initial {
					slots[i] = alloc(int(n))
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					j := i & c.Mask
					v := c.Victims[j]
					free(slots[v])
					slots[v] = alloc(int(c.Sizes[j]))
				}
				b.StopTimer()
				sink = slots[0]
				for _, p := range slots {
					free(p)
				}
				done()
				if u := utilization(im.name, c); u > 0 {
					b.ReportMetric(u, "util-%")
				}
			})
		}
	}
}

var utilCache sync.Map // "impl/name" -> float64

// utilization replays the churn (its initial blocks, then 4x as many
// steps as live blocks) on a fresh allocator and returns 100 * peak live
// requested bytes / peak mapped bytes. For modernc the mapped bytes are
// counted as the 64 KiB pages holding at least one live block plus the
// mappings of blocks above its slot sizes: a lower bound on what it maps
// (it also keeps empty pages for reuse), so its figure is flattering.
func utilization(name string, c workload.Churn) float64 {
	key := name + "/" + c.Name
	if v, ok := utilCache.Load(key); ok {
		return v.(float64)
	}
	steps := 4 * c.Live
	var u float64
	switch name {
	case "malloc", "malloc-compact":
		h, _ := New(Config{Compact: name == "malloc-compact"})
		u = replay(c, steps, func(n int) []byte { p, _ := h.Malloc(n); return p },
			func(p []byte) { _ = h.Free(p) }, func() int64 { return h.mapped.Load() })
		_ = h.Close()
	case "modernc":
		u = moderncChurnUtil(c, steps)
		if u == 0 {
			return 0
		}
	default:
		return 0
	}
	utilCache.Store(key, u)
	return u
}

// replay runs the churn and returns 100 * peak live / peak mapped.
func replay(c workload.Churn, steps int, alloc func(int) []byte, free func([]byte), mapped func() int64) float64 {
	slots := make([][]byte, c.Live)
	var live, peakLive, peakMapped int64
	note := func() {
		peakLive = max(peakLive, live)
		peakMapped = max(peakMapped, mapped())
	}
	for i, n := range c.Initial {
		slots[i] = alloc(int(n))
		live += int64(n)
		note()
	}
	for i := range steps {
		j := i & c.Mask
		v := c.Victims[j]
		live -= int64(len(slots[v]))
		free(slots[v])
		slots[v] = alloc(int(c.Sizes[j]))
		live += int64(len(slots[v]))
		note()
	}
	for _, p := range slots {
		free(p)
	}
	return 100 * float64(peakLive) / float64(peakMapped)
}

// BenchmarkGC times runtime.GC with N live blocks of 16-64 bytes kept by
// malloc or as Go []byte. The Go side keeps them in a [][]byte, as a
// program would. The malloc side keeps them the way an off-heap cache
// does: the heap itself holds the blocks and the program keeps a
// pointer-free index ([]uint32 of sizes here, standing for offsets or
// ids), so the GC has nothing per block to scan. Keeping N []byte headers
// in a Go slice would put N pointers back in front of the GC, which is the
// cost off-heap allocation exists to avoid.
func BenchmarkGC(b *testing.B) {
	for _, name := range []string{"malloc", "go"} {
		for _, n := range []int{1_000_000, 10_000_000} {
			b.Run(fmt.Sprintf("impl=%s/live=%s", name, map[int]string{1_000_000: "1M", 10_000_000: "10M"}[n]), func(b *testing.B) {
				sizes := make([]uint32, n)
				var keep [][]byte
				var h *Heap
				if name == "malloc" {
					var err error
					if h, err = New(Config{}); err != nil {
						b.Fatal(err)
					}
					defer h.Close()
				} else {
					keep = make([][]byte, n)
				}
				for i := range n {
					sz := 16 + i%49
					sizes[i] = uint32(sz)
					if h != nil {
						p, err := h.Malloc(sz)
						if err != nil {
							b.Fatal(err)
						}
						p[0] = byte(i)
					} else {
						keep[i] = make([]byte, sz)
					}
				}
				runtime.GC()
				b.ResetTimer()
				for range b.N {
					runtime.GC()
				}
				b.StopTimer()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/gc")
				runtime.KeepAlive(keep)
				runtime.KeepAlive(sizes)
			})
		}
	}
}

// BenchmarkParallel runs the AllocFree churn (1000 live blocks of 1-4096
// bytes per goroutine) on a Concurrent heap, once on one goroutine
// (mode=single) and once under b.RunParallel (mode=parallel, GOMAXPROCS
// goroutines). ns/op is wall time per free+alloc pair in both, so
// single/parallel is the speed-up; ops/s says the same as throughput.
// impl=control gives the speed-up available on the machine at the time.
func BenchmarkParallel(b *testing.B) {
	c := workload.NewChurn(3, 1000, 1, 4096, 1<<14)
	for _, mode := range []string{"single", "parallel"} {
		b.Run("impl=malloc/mode="+mode+"/"+c.Name, func(b *testing.B) {
			h, err := New(Config{Concurrent: true})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close()
			work := func(next func() bool) {
				slots := make([][]byte, c.Live)
				for i, n := range c.Initial {
					slots[i], _ = h.Malloc(int(n))
				}
				for i := 0; next(); i++ {
					j := i & c.Mask
					v := c.Victims[j]
					if err := h.Free(slots[v]); err != nil {
						panic(err)
					}
					// a local err: assigning the enclosing function's err
					// from every goroutine made them share (and race on)
					// one cache line per operation
					p, err := h.Malloc(int(c.Sizes[j]))
					if err != nil {
						panic(err)
					}
					slots[v] = p
				}
				for _, p := range slots {
					_ = h.Free(p)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			if mode == "single" {
				i := 0
				work(func() bool { i++; return i <= b.N })
			} else {
				b.RunParallel(func(pb *testing.PB) { work(pb.Next) })
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
	// The control: the same two modes over a loop that shares nothing
	// (a xorshift step per op), for the speed-up the machine itself gives
	// at the moment. On a shared machine it can be far below GOMAXPROCS;
	// malloc's speed-up is to be read against it.
	for _, mode := range []string{"single", "parallel"} {
		b.Run("impl=control/mode="+mode+"/"+c.Name, func(b *testing.B) {
			work := func(next func() bool) {
				x := uint64(88172645463325252)
				for next() {
					for range 32 {
						x ^= x << 13
						x ^= x >> 7
						x ^= x << 17
					}
				}
				ctlSink.Add(x)
			}
			b.ResetTimer()
			if mode == "single" {
				i := 0
				work(func() bool { i++; return i <= b.N })
			} else {
				b.RunParallel(func(pb *testing.PB) { work(pb.Next) })
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

var ctlSink atomic.Uint64

// BenchmarkRealloc grows a buffer by 64 bytes a step up to 64 KiB, like
// the C original's realloc chain, against append-style make+copy in Go.
func BenchmarkRealloc(b *testing.B) {
	const step, limit = 64, 64 << 10
	b.Run("impl=malloc", func(b *testing.B) {
		h, _ := New(Config{})
		defer h.Close()
		b.ReportAllocs()
		for range b.N {
			var p []byte
			var err error
			for n := step; n <= limit; n += step {
				if p, err = h.Realloc(p, n); err != nil {
					b.Fatal(err)
				}
				p[n-1] = 1
			}
			sink = p
			_ = h.Free(p)
		}
	})
	b.Run("impl=go", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var p []byte
			for n := step; n <= limit; n += step {
				q := make([]byte, n)
				copy(q, p)
				p = q
				p[n-1] = 1
			}
			sink = p
		}
	})
}

// BenchmarkCalloc allocates 1000 zeroed arrays of 1-256 8-byte elements
// and frees them, like the C original's calloc test, against make in Go.
func BenchmarkCalloc(b *testing.B) {
	const arrays = 1000
	b.Run("impl=malloc", func(b *testing.B) {
		h, _ := New(Config{})
		defer h.Close()
		ps := make([][]byte, arrays)
		b.ReportAllocs()
		for range b.N {
			for i := range ps {
				p, err := h.Calloc(1+i%256, 8)
				if err != nil {
					b.Fatal(err)
				}
				ps[i] = p
			}
			for _, p := range ps {
				_ = h.Free(p)
			}
		}
	})
	b.Run("impl=go", func(b *testing.B) {
		ps := make([][]byte, arrays)
		b.ReportAllocs()
		for range b.N {
			for i := range ps {
				ps[i] = make([]byte, (1+i%256)*8)
			}
			sink = ps[arrays-1]
			clear(ps)
		}
	})
}
