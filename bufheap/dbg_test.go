package bufheap

import (
	"syscall"
	"testing"
	"time"

	"github.com/memkit/memkit/internal/workload"
)

func TestDbgSpread(t *testing.T) {
	for _, live := range []int{1000, 10000} {
		c := workload.NewChurn(1, live, 1, 4096, 1<<16)
		h := mustNew(t, 256<<20, Config{})
		slots := make([][]byte, live)
		for i, n := range c.Initial {
			slots[i], _ = h.Alloc(int(n))
		}
		var r0, r1 syscall.Rusage
		syscall.Getrusage(0, &r0)
		st := time.Now()
		N := 2000000
		for i := 0; i < N; i++ {
			j := i & c.Mask
			v := c.Victims[j]
			h.Free(slots[v])
			slots[v], _ = h.Alloc(int(c.Sizes[j]))
		}
		el := time.Since(st)
		syscall.Getrusage(0, &r1)
		cpu := time.Duration(r1.Utime.Nano() - r0.Utime.Nano())
		s := h.Stats()
		t.Logf("live=%d cpu %v/op wall %v/op used=%d chunks=%d largest=%d", live, cpu/time.Duration(N), el/time.Duration(N), s.TotalSize-s.FreeSize, s.Chunks, s.LargestFree)
	}
}
