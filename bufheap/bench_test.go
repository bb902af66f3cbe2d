// Benchmarks: the shared free-one/alloc-one churn, with profiling off and on, and baselines.

package bufheap

import (
	"fmt"
	"io"
	"testing"

	"github.com/memkit/memkit/internal/peers"
	"github.com/memkit/memkit/internal/workload"
)

// newBaseline returns the modernc.org/memory baseline where it builds.
var newBaseline func() (allocator, func())

var (
	sink      []byte
	benchBuf  []byte // 256 MiB, reused by every benchmark
	benchSize = 256 << 20
)

// allocator is the body every impl runs.
type allocator interface {
	Alloc(n int) ([]byte, error)
	Free(b []byte) error
}

// tlsfModel gives peers.TLSF the benchmark's interface: Free finds the
// block's offset from its slice, as bufheap's Free does.
type tlsfModel struct {
	t   *peers.TLSF
	buf []byte
}

func (m *tlsfModel) Alloc(n int) ([]byte, error) {
	_, b, err := m.t.Alloc(n)
	return b, err
}

func (m *tlsfModel) Free(b []byte) error {
	off, _ := offsetIn(m.buf, b)
	m.t.Free(off)
	return nil
}

// BenchmarkAllocFree is the shared churn loop (free the block in one slot,
// allocate a new size into it) over the 256 MiB buffer: impl=bufheap is
// the bar's row; bufheap-profiled logs every call to io.Discard;
// tlsf-model is peers.TLSF, the TLSF design without any checks modelled in
// Go, over the same buffer: the reference the bar cites; modernc is
// modernc.org/memory over its own mapped pages.
func BenchmarkAllocFree(b *testing.B) {
	if benchBuf == nil {
		benchBuf = newGuarded(benchSize, 0).buf()
		// Fault every page in once, so that no run pays the kernel's
		// first-touch cost inside the timed loop.
		for i := 0; i < len(benchBuf); i += 4096 {
			benchBuf[i] = 1
		}
	}
	impls := []string{"bufheap", "bufheap-profiled", "tlsf-model"}
	if newBaseline != nil {
		impls = append(impls, "modernc")
	}
	for _, impl := range impls {
		for _, live := range []int{1000, 10000, 100000} {
			c := workload.NewChurn(1, live, 1, 4096, 1<<16)
			b.Run(fmt.Sprintf("impl=%s/%s", impl, c.Name), func(b *testing.B) {
				var a allocator
				var h *Heap
				switch impl {
				case "modernc":
					var done func()
					a, done = newBaseline()
					defer done()
				case "tlsf-model":
					t, err := peers.NewTLSF(benchBuf)
					if err != nil {
						b.Fatal(err)
					}
					a = &tlsfModel{t: t, buf: benchBuf}
				default:
					cfg := Config{}
					if impl == "bufheap-profiled" {
						cfg.Profile = io.Discard
					}
					var err error
					if h, err = New(benchBuf, cfg); err != nil {
						b.Fatal(err)
					}
					a = h
				}
				slots := make([][]byte, live)
				var err error
				for i, n := range c.Initial {
					if slots[i], err = a.Alloc(int(n)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				cpu0, cpuOK := cpuTime()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					j := i & c.Mask
					v := c.Victims[j]
					if err := a.Free(slots[v]); err != nil {
						b.Fatal(err)
					}
					if slots[v], err = a.Alloc(int(c.Sizes[j])); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				// On a shared host wall time includes waiting for a CPU;
				// the process's CPU time per op does not.
				if cpu1, ok := cpuTime(); ok && cpuOK {
					b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
				}
				if h != nil {
					s := h.Stats()
					b.ReportMetric(100*float64(s.AllocatedSize)/float64(s.TotalSize-s.FreeSize), "util-%")
				}
				sink = slots[0]
				for _, s := range slots {
					a.Free(s)
				}
			})
		}
	}
}

// BenchmarkProfilingOff compares the public calls with profiling off (one
// nil check each) with the core they wrap (freeOff, alloc), which has no
// profiling code at all, on a cache-hot churn of 64-byte blocks where any
// overhead would show.
func BenchmarkProfilingOff(b *testing.B) {
	c := workload.Fixed(1, 1000, 64, 1<<12)
	for _, path := range []string{"core", "public"} {
		b.Run("path="+path, func(b *testing.B) {
			buf := newGuarded(1<<20, 0).buf()
			for i := 0; i < len(buf); i += 4096 {
				buf[i] = 1 // fault the pages in before timing
			}
			h, err := New(buf, Config{})
			if err != nil {
				b.Fatal(err)
			}
			slots := make([][]byte, c.Live)
			for i, n := range c.Initial {
				slots[i], _ = h.Alloc(int(n))
			}
			b.ReportAllocs()
			cpu0, cpuOK := cpuTime()
			b.ResetTimer()
			if path == "public" {
				for i := 0; i < b.N; i++ {
					j := i & c.Mask
					v := c.Victims[j]
					if err := h.Free(slots[v]); err != nil {
						b.Fatal(err)
					}
					if slots[v], err = h.Alloc(int(c.Sizes[j])); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				for i := 0; i < b.N; i++ {
					j := i & c.Mask
					v := c.Victims[j]
					off, _ := offsetIn(h.buf, slots[v])
					if err := h.freeOff(off, cap(slots[v])); err != nil {
						b.Fatal(err)
					}
					ch, units, err := h.alloc(int(c.Sizes[j]))
					if err != nil {
						b.Fatal(err)
					}
					slots[v] = h.block(ch, int(c.Sizes[j]), units)
				}
			}
			b.StopTimer()
			if cpu1, ok := cpuTime(); ok && cpuOK {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
			sink = slots[0]
		})
	}
}
