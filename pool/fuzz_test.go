// Fuzz targets: decoded op streams with double and interior frees, and frees of arbitrary slices.

package pool

import (
	"errors"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// fuzzMix weights the misuse kinds heavily; sizes reach past odd's
// largest class (ErrInvalidSize).
var fuzzMix = alloctest.Mix{Alloc: 6, Free: 4, DoubleFree: 2, InteriorFree: 2, MaxSize: 1200}

func FuzzOps(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"), uint8(0))
	f.Add([]byte("alloc alloc free double interior \xff\xfe\x10\x20\x30"), uint8(5))
	f.Add(make([]byte, 64), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		cfg := odd
		cfg.Stats, cfg.Concurrent, cfg.CacheAligned = mode&1 != 0, mode&2 != 0, mode&4 != 0
		align := uint64(cfg.Align)
		if cfg.CacheAligned {
			align = 64
		}
		target := &target{p: newPool(t, cfg), blocks: map[alloctest.Ref][]byte{}}
		alloctest.Exec(t, target, alloctest.Decode(data, fuzzMix, 500),
			alloctest.Config{Align: align, Allowed: []error{memkit.ErrInvalidSize}})
	})
}

// FuzzFree frees a slice of the pool's own buffer at an arbitrary offset
// and capacity (and a re-slice of a live block): Free must succeed exactly
// when the slice starts a live block, fail with ErrInvalidFree otherwise,
// and leave a consistent pool either way.
func FuzzFree(f *testing.F) {
	f.Add(uint32(0), uint16(0), uint8(0))
	f.Add(uint32(4096), uint16(64), uint8(1))
	f.Add(uint32(1234), uint16(7), uint8(2))
	f.Fuzz(func(t *testing.T, off uint32, capacity uint16, mode uint8) {
		cfg := odd
		cfg.Stats, cfg.Concurrent = mode&1 != 0, mode&2 != 0
		p := newPool(t, cfg)
		live := map[uintptr]bool{}
		for _, n := range []int{1, 12, 12, 40, 100, 300, 1000} {
			b, err := p.Alloc(n)
			if err != nil {
				t.Fatal(err)
			}
			live[sliceAddr(b)] = true
		}
		o := int(off) % len(p.buf)
		c := min(int(capacity), len(p.buf)-o)
		s := p.buf[o : o : o+c]
		err := p.Free(s)
		if live[sliceAddr(s)] {
			if err != nil {
				t.Fatalf("free of live block at buffer offset %d (cap %d): %v", o, c, err)
			}
		} else if !errors.Is(err, memkit.ErrInvalidFree) {
			t.Fatalf("free at buffer offset %d (cap %d), no live block there: got %v, want ErrInvalidFree", o, c, err)
		}
		if err := p.Check(); err != nil {
			t.Fatal(err)
		}
	})
}
