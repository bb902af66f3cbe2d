//go:build unix || windows

// The modernc.org/memory baseline, on the platforms it builds for.

package malloc

import (
	"testing"

	"github.com/memkit/memkit/internal/workload"
	"modernc.org/memory"
)

func init() {
	impls = append(impls[:2:2], append([]impl{
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
	}, impls[2:]...)...)
}

// moderncChurnUtil is utilization() for modernc.org/memory.
func moderncChurnUtil(c workload.Churn, steps int) float64 {
	var u float64
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
	return u
}

// moderncTraceUtil is traceUtil's modernc.org/memory part.
func moderncTraceUtil(t testing.TB, ops []repOp, ids int) float64 {
	// modernc: the same lower bound of its footprint as in utilization().
	var a memory.Allocator
	pages := map[uintptr]int{}
	var mappedM int64
	const page = 64 << 10
	track := func(p []byte, d int) {
		if len(p) == 0 {
			return
		}
		if cap(p) > 16<<10 {
			mappedM += int64(d * memory.UsableSize(&p[0]))
			return
		}
		k := addrOf(p) &^ (page - 1)
		pages[k] += d
		switch {
		case d > 0 && pages[k] == 1:
			mappedM += page
		case d < 0 && pages[k] == 0:
			delete(pages, k)
			mappedM -= page
		}
	}
	u := replayRep(ops, ids,
		func(n int) []byte { b, err := a.Malloc(max(n, 1)); must(t, err); track(b, 1); return b[:n] },
		func(b []byte, n int) []byte {
			track(b, -1)
			nb, err := a.Realloc(b, max(n, 1))
			must(t, err)
			track(nb, 1)
			return nb[:n]
		},
		func(b []byte) { track(b, -1); must(t, a.Free(b)) },
		func() int64 { return mappedM })
	_ = a.Close()
	return u
}
