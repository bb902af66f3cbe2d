// Benchmarks: Writer's cost per line and Analyze's throughput.

package profile

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

var sinkReport *Report

func BenchmarkWriter(b *testing.B) {
	w := NewWriter(io.Discard)
	at := Site{"/src/app/handler.go", 123}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		a := uint64(0x10000 + i%1024*64)
		w.Alloc(64, a, at)
		w.Free(a, at)
	}
}

// synthLog writes a clean log of n alloc/free pairs with at most 64 live
// blocks, through Writer.
func synthLog(n int) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Init(0x20000000, 1<<20)
	for i := range n {
		a := uint64(0x20000000 + (i%64)*256)
		if i >= 64 {
			w.Free(a, Site{"src/app.c", i % 100})
		}
		w.Alloc(uint64(1+i%255), a, Site{"src/app.c", i % 100})
	}
	for i := range min(n, 64) {
		w.Free(uint64(0x20000000+i*256), Site{"src/app.c", 1})
	}
	return buf.Bytes()
}

func BenchmarkAnalyze(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		log := synthLog(n)
		b.Run("pairs="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(log)))
			b.ReportAllocs()
			for range b.N {
				r, err := Analyze(bytes.NewReader(log), Options{})
				if err != nil || !r.Clean {
					b.Fatalf("Analyze: clean %v, err %v", r != nil && r.Clean, err)
				}
				sinkReport = r
			}
		})
	}
}
