// Fuzz targets: conformance op streams and model op streams decoded from bytes.

package compact

import (
	"testing"

	"github.com/memkit/memkit/internal/alloctest"
)

// fuzzConfig turns the first byte into a configuration: policy, pins,
// tracked slices or handles, a fixed table.
func fuzzConfig(c byte) (cfg Config, pinEvery int, tracked bool) {
	cfg.Policy = policies[int(c)%3]
	pinEvery = []int{0, 3, 7}[int(c>>2)%3]
	tracked = c&0x10 != 0
	if c&0x20 != 0 {
		cfg.MaxAllocations = 32
	}
	if c&0x40 != 0 {
		cfg.Align = 1 << (c & 7)
	}
	return cfg, pinEvery, tracked
}

func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte("\x05allocate, free, move and pin blocks around"))
	f.Add([]byte("\x12tracked slices under lazy compaction........"))
	f.Add([]byte("\x2a\xff\x00\xff\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0"))
	mix := alloctest.DefaultMix
	mix.Reset = 1
	mix.MaxSize = 2048
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		cfg, pinEvery, tracked := fuzzConfig(data[0])
		const space = 16 << 10
		h, err := New(make([]byte, space), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var target alloctest.Target = &handleTarget{h: h, pinEvery: pinEvery, pinned: map[Handle]bool{}}
		if tracked {
			target = &trackedTarget{h: h, vars: map[alloctest.Ref]*[]byte{}}
		}
		align := uint64(1) << h.shift
		alloctest.Exec(t, target, alloctest.Decode(data[1:], mix, 400),
			alloctest.Config{Space: uint64(h.total), Align: align, Allowed: errPinnedOnly})
	})
}

// FuzzModel runs the reference model (every API: pins, tracked slices,
// Transfer, Defragment with budgets, invalid calls) on ops from the bytes.
func FuzzModel(f *testing.F) {
	f.Add([]byte{0, 9, 8, 7, 6, 5, 4, 3, 2, 1})
	f.Add([]byte("\x01eager heap with pins and transfers and budgets"))
	f.Add([]byte("\x02manual heap, defragment in small steps....."))
	f.Add([]byte("\x63keep freed, align 8, fixed table, lazy"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		cfg, _, _ := fuzzConfig(data[0])
		cfg.KeepFreed = data[0]&0x80 != 0
		pos := 1
		next := func() uint64 {
			var v uint64
			for i := 0; i < 3; i++ {
				if pos < len(data) {
					v = v<<8 | uint64(data[pos])
					pos++
				}
			}
			return v
		}
		runModel(t, cfg, 8<<10, next, min(300, len(data)/2))
	})
}
