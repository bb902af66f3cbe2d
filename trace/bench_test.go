// Benchmarks of the span set and of verified replay.

package trace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var sinkInt int

// BenchmarkSpanSet measures the overlap checker alone: with live spans
// held, each op removes one and inserts one elsewhere. Its cost should
// grow with log(live), not with live.
func BenchmarkSpanSet(b *testing.B) {
	for _, live := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("live=%d", live), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, uint64(live)))
			s := newSpanSet()
			offs := make([]uint64, live)
			// slots of 64 bytes; even slots start live, odd slots free
			for i := range offs {
				offs[i] = uint64(2*i) * 64
				s.insert(offs[i], 64, int32(i))
			}
			steps := make([]int, 4096)
			for i := range steps {
				steps[i] = r.IntN(live)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := steps[i&4095]
				s.remove(offs[k])
				offs[k] ^= 64 // the neighbouring slot, which is free
				if s.insert(offs[k], 64, int32(k)) >= 0 {
					b.Fatal("unexpected overlap")
				}
			}
			sinkInt = s.len()
		})
	}
}

// BenchmarkReplayVerified is the cost of the verified pass per op on a
// trivial allocator: span set, pattern fill and check, bookkeeping.
func BenchmarkReplayVerified(b *testing.B) {
	tr := testTrace(9, 20000, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Replay(tr, newBump(16<<20), Options{})
		if err != nil {
			b.Fatal(err)
		}
		sinkInt = r.Ops
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tr.Ops)), "ns/replayed-op")
}
