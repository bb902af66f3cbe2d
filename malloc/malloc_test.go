// Conformance, fuzzing, misuse, debug, concurrency and lifecycle tests.

package malloc

import (
	"fmt"
	"math"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// target adapts a Heap to alloctest: a Ref is the address of a block's data.
type target struct {
	h      *Heap
	blocks map[alloctest.Ref][]byte
	stale  map[alloctest.Ref][]byte // freed blocks, to free them again
}

// counting is a target that also offers alloctest.Counter (not in Debug
// mode, whose statistics count the raw blocks with their guards).
type counting struct{ *target }

func newTarget(t testing.TB, cfg Config) *target {
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return &target{h: h, blocks: map[alloctest.Ref][]byte{}, stale: map[alloctest.Ref][]byte{}}
}

func (tg *target) Alloc(size uint64) (alloctest.Ref, error) {
	if size > math.MaxInt32 {
		return 0, memkit.ErrInvalidSize
	}
	b, err := tg.h.Malloc(int(size))
	if err != nil {
		return 0, err
	}
	if len(b) != int(size) {
		return 0, fmt.Errorf("malloc(%d): len %d", size, len(b))
	}
	r := alloctest.Ref(addrOf(b))
	tg.blocks[r] = b
	return r, nil
}

func (tg *target) Free(r alloctest.Ref) error {
	b, ok := tg.blocks[r]
	if !ok {
		// A ref freed before: hand the heap a slice at that address again.
		return tg.freeStale(r)
	}
	if err := tg.h.Free(b); err != nil {
		return err
	}
	delete(tg.blocks, r)
	tg.stale[r] = b
	return nil
}

func (tg *target) freeStale(r alloctest.Ref) error {
	if b, ok := tg.stale[r]; ok {
		return tg.h.Free(b)
	}
	return tg.h.Free(make([]byte, 16))
}

func (tg *target) FreeInterior(r alloctest.Ref, delta uint64) error {
	b := tg.blocks[r]
	return tg.h.Free(b[delta:cap(b)])
}

func (tg *target) Realloc(r alloctest.Ref, size uint64) (alloctest.Ref, error) {
	b := tg.blocks[r]
	nb, err := tg.h.Realloc(b, int(size))
	if err != nil {
		return 0, err
	}
	if len(nb) != int(size) {
		return 0, fmt.Errorf("realloc(%d): len %d", size, len(nb))
	}
	delete(tg.blocks, r)
	tg.stale[r] = b
	nr := alloctest.Ref(addrOf(nb))
	tg.blocks[nr] = nb
	return nr, nil
}

func (tg *target) Span(r alloctest.Ref) alloctest.Span {
	b := tg.blocks[r]
	return alloctest.Span{Off: uint64(r), Len: uint64(cap(b)), Data: b[:cap(b)]}
}

func (tg *target) Check() error { return tg.h.Check() }

func (tg *target) Reset() {
	tg.h.Reset()
	clear(tg.blocks)
	clear(tg.stale)
}

func (tg counting) Live() (int, uint64) {
	s := tg.h.Stats()
	return int(s.Live), uint64(s.InUse)
}

func adapt(t testing.TB, cfg Config) alloctest.Target {
	tg := newTarget(t, cfg)
	if cfg.Debug {
		return tg
	}
	return counting{tg}
}

var modes = []struct {
	name string
	cfg  Config
}{
	{"plain", Config{}},
	{"small-arena", Config{ArenaSize: 64 << 10, LargeThreshold: 40 << 10}},
	{"concurrent", Config{Concurrent: true}},
	{"compact", Config{Compact: true}},
	{"debug", Config{Debug: true}},
}

func TestConformance(t *testing.T) {
	for _, m := range modes {
		for _, mix := range []struct {
			name string
			mix  alloctest.Mix
		}{
			{"default", withReset(alloctest.DefaultMix)},
			{"large", alloctest.Mix{Alloc: 8, Free: 5, Realloc: 3, DoubleFree: 1, InteriorFree: 1, Reset: 1, MaxSize: 300 << 10}},
		} {
			ops := 1500
			if testing.Short() && mix.name == "large" {
				ops = 500
			}
			t.Run("mode="+m.name+"/mix="+mix.name, func(t *testing.T) {
				alloctest.Run(t, func(t *testing.T) alloctest.Target { return adapt(t, m.cfg) },
					alloctest.Config{Align: align, Mix: mix.mix, Ops: ops, Seeds: 5, FullVerifyBytes: 256 << 10})
			})
		}
	}
}

func withReset(m alloctest.Mix) alloctest.Mix {
	m.Reset = 1
	return m
}

func FuzzOps(f *testing.F) {
	f.Add([]byte("\x00\x10\x20\x30\x01\x02\x03\x04"), uint8(0))
	f.Add([]byte("realloc and free and double free \xff\xfe\x80"), uint8(1))
	f.Add([]byte("\x02\xff\xff\x02\x00\x00\x01\x05\x05\x03\x04"), uint8(2))
	f.Add([]byte("\x00\xff\xff\xff\x00\xf0\xf0\xf0\x02\x01\x01"), uint8(3))
	mix := alloctest.Mix{Alloc: 8, Free: 5, Realloc: 3, DoubleFree: 1, InteriorFree: 1, Reset: 1, MaxSize: 300 << 10}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		cfg := modes[int(mode)%len(modes)].cfg
		tg := adapt(t, cfg)
		alloctest.Exec(t, tg, alloctest.Decode(data, mix, 400), alloctest.Config{Align: align, FullVerifyBytes: 32 << 10})
	})
}
