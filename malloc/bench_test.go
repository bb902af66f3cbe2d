// Benchmarks against modernc.org/memory and the Go heap, with utilization.

package malloc

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/memkit/memkit/internal/workload"
	"modernc.org/memory"
)

var sink []byte

// impl is one allocator under benchmark, behind the same free+alloc body.
type impl struct {
	name  string
	setup func(b *testing.B) (alloc func(n int) []byte, free func(p []byte), done func())
}

var impls = []impl{
	{"malloc", func(b *testing.B) (func(int) []byte, func([]byte), func()) {
		h, err := New(Config{})
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
	}},
	{"modernc", func(b *testing.B) (func(int) []byte, func([]byte), func()) {
		var a memory.Allocator
		return func(n int) []byte {
				p, err := a.Malloc(n)
				if err != nil {
					b.Fatal(err)
				}
				return p
			}, func(p []byte) {
				if err := a.Free(p); err != nil {
					b.Fatal(err)
				}
			}, func() { _ = a.Close() }
	}},
	{"go", func(b *testing.B) (func(int) []byte, func([]byte), func()) {
		return func(n int) []byte { return make([]byte, n) }, func([]byte) {}, func() {}
	}},
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
	case "malloc":
		h, _ := New(Config{})
		u = replay(c, steps, func(n int) []byte { p, _ := h.Malloc(n); return p },
			func(p []byte) { _ = h.Free(p) }, func() int64 { return h.mapped.Load() })
		_ = h.Close()
	case "modernc":
		var a memory.Allocator
		pages := map[uintptr]int{}
		var mapped int64
		const page = 64 << 10
		u = replay(c, steps, func(n int) []byte {
			p, _ := a.Malloc(n)
			if n > 16<<10 { // own mapping: usable size rounded to OS pages
				mapped += int64(memory.UsableSize(&p[0]))
			} else if pages[addrOf(p)&^(page-1)]++; pages[addrOf(p)&^(page-1)] == 1 {
				mapped += page
			}
			return p
		}, func(p []byte) {
			if len(p) > 16<<10 {
				mapped -= int64(memory.UsableSize(&p[0]))
			} else if pages[addrOf(p)&^(page-1)]--; pages[addrOf(p)&^(page-1)] == 0 {
				delete(pages, addrOf(p)&^(page-1))
				mapped -= page
			}
			_ = a.Free(p)
		}, func() int64 { return mapped })
		_ = a.Close()
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

var _ = fmt.Sprint
var _ = runtime.GC
