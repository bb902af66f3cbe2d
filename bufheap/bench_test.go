// Benchmarks: the shared free-one/alloc-one churn, with profiling off and on.

package bufheap

import (
	"fmt"
	"io"
	"testing"

	"github.com/memkit/memkit/internal/workload"
)

var (
	sink      []byte
	benchBuf  []byte // 256 MiB, reused by every benchmark
	benchSize = 256 << 20
)

func BenchmarkAllocFree(b *testing.B) {
	if benchBuf == nil {
		benchBuf = newGuarded(benchSize, 0).buf()
		// Fault every page in once, so that no run pays the kernel's
		// first-touch cost inside the timed loop.
		for i := 0; i < len(benchBuf); i += 4096 {
			benchBuf[i] = 1
		}
	}
	for _, impl := range []string{"bufheap", "bufheap-profiled"} {
		for _, live := range []int{1000, 10000, 100000} {
			c := workload.NewChurn(1, live, 1, 4096, 1<<16)
			b.Run(fmt.Sprintf("impl=%s/%s", impl, c.Name), func(b *testing.B) {
				cfg := Config{}
				if impl == "bufheap-profiled" {
					cfg.Profile = io.Discard
				}
				h, err := New(benchBuf, cfg)
				if err != nil {
					b.Fatal(err)
				}
				slots := make([][]byte, live)
				for i, n := range c.Initial {
					if slots[i], err = h.Alloc(int(n)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
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
				b.StopTimer()
				s := h.Stats()
				b.ReportMetric(100*float64(s.AllocatedSize)/float64(s.TotalSize-s.FreeSize), "util-%")
				sink = slots[0]
			})
		}
	}
}
