// Typed helpers, presets and the no-allocation guarantee of every hot path.

package pool

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/memkit/memkit"
)

type vec3 struct{ X, Y, Z float64 }

type sample struct {
	T    int64
	Vals [4]float32
	Ok   bool
}

func TestNewOf(t *testing.T) {
	p := newPool(t, DefaultConfig())
	v, err := NewOf[vec3](p)
	if err != nil {
		t.Fatal(err)
	}
	if *v != (vec3{}) {
		t.Fatalf("NewOf: got %+v, want zero", *v)
	}
	v.X = 1
	s, err := NewArray[sample](p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 10 || cap(s) != 10 || s[9] != (sample{}) {
		t.Fatalf("NewArray: got len %d cap %d last %+v, want 10, 10, zero", len(s), cap(s), s[9])
	}
	if n, _ := p.Live(); n != 2 {
		t.Fatalf("got %d live blocks, want 2", n)
	}
	if err := FreeOf(p, v); err != nil {
		t.Fatal(err)
	}
	if err := FreeOf(p, v); !errors.Is(err, memkit.ErrDoubleFree) {
		t.Fatalf("second FreeOf: got %v, want ErrDoubleFree", err)
	}
	if err := FreeArray(p, s[:3]); err != nil {
		t.Fatal(err)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestNewOfRefusesPointers(t *testing.T) {
	p := newPool(t, DefaultConfig())
	check := func(name string, err error, where string) {
		t.Helper()
		if !errors.Is(err, memkit.ErrInvalidConfig) || !strings.Contains(err.Error(), where) {
			t.Fatalf("%s: got %v, want ErrInvalidConfig naming %q", name, err, where)
		}
	}
	type withSlice struct {
		N int
		B []byte
	}
	type nested struct {
		A [2]struct{ S string }
	}
	_, err := NewOf[*int](p)
	check("*int", err, "is a ptr")
	_, err = NewOf[withSlice](p)
	check("withSlice", err, ".B is a slice")
	_, err = NewArray[nested](p, 2)
	check("nested", err, ".A[0].S is a string")
	_, err = NewOf[any](p)
	check("any", err, "interface")
	// Twice, to go through the cached verdict.
	_, err = NewOf[withSlice](p)
	check("withSlice again", err, ".B is a slice")
	if _, err := NewOf[struct{}](p); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("zero-size type: got %v, want ErrInvalidSize", err)
	}
	if _, err := NewOf[[8192]byte](p); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("type larger than every class: got %v, want ErrInvalidSize", err)
	}
	if _, err := NewArray[vec3](p, 0); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("NewArray(0): got %v, want ErrInvalidSize", err)
	}
	if _, err := NewArray[vec3](p, math.MaxInt/2); !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("NewArray(MaxInt/2): got %v, want ErrInvalidSize", err)
	}
	if n, _ := p.Live(); n != 0 {
		t.Fatalf("failed calls left %d blocks live", n)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestHotPathsDoNotAllocate: Alloc, Calloc, Free, NewOf, FreeOf,
// NewArray, FreeArray, and the out-of-memory failure, in every mode.
func TestHotPathsDoNotAllocate(t *testing.T) {
	for name, cfg := range variants(DefaultConfig()) {
		t.Run(name, func(t *testing.T) {
			p := newPool(t, cfg)
			NewOf[vec3](p) // first use of the type pays for reflect
			FreeOf(p, (*vec3)(nil))
			NewArray[sample](p, 1)
			// Hooks installed: calling them must not allocate either.
			var calls int
			p.SetHooks(Hooks{OnAlloc: func(Event) { calls++ }, OnFree: func(Event) { calls++ }})
			full := newPool(t, Config{Stats: cfg.Stats, Concurrent: cfg.Concurrent, Classes: []Class{{8, 1}}})
			full.Alloc(8)
			for _, tc := range []struct {
				name string
				f    func()
			}{
				{"Alloc+Free", func() { b, _ := p.Alloc(64); p.Free(b) }},
				{"Calloc+Free", func() { b, _ := p.Calloc(100); p.Free(b) }},
				{"NewOf+FreeOf", func() { v, _ := NewOf[vec3](p); FreeOf(p, v) }},
				{"NewArray+FreeArray", func() { s, _ := NewArray[sample](p, 7); FreeArray(p, s) }},
				{"Alloc-out-of-memory", func() { full.Alloc(8) }},
			} {
				if n := testing.AllocsPerRun(200, tc.f); n != 0 {
					t.Fatalf("%s: got %v allocations per run, want 0", tc.name, n)
				}
			}
			if calls == 0 {
				t.Fatal("hooks were never called")
			}
			if err := p.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// presetFacts are the figures doc.go states for each preset.
var presetFacts = map[UseCase]struct {
	blockBytes int
	largest    int
	concurrent bool
	cacheAlign bool
	required   int // exact RequiredSize, as doc.go states it
}{
	Audio:      {blockBytes: 16384 + 32768 + 65536 + 131072 + 131072, largest: 16384, concurrent: true, cacheAlign: true, required: 382847},
	Robotics:   {blockBytes: 8192 + 16384 + 16384 + 32768 + 32768 + 65536 + 65536, largest: 8192, concurrent: true, cacheAlign: true, required: 254463},
	Networking: {blockBytes: 131072 + 262144 + 2097152 + 589824, largest: 9216, concurrent: true, cacheAlign: true, required: 3093311},
	Embedded:   {blockBytes: 1024 + 2048 + 2048 + 2048 + 2048, largest: 256, concurrent: false, cacheAlign: false, required: 10799},
}

func TestPresets(t *testing.T) {
	if need, _ := RequiredSize(DefaultConfig()); need != 429039 {
		t.Fatalf("DefaultConfig RequiredSize: got %d, doc.go says 429039", need)
	}
	for _, u := range []UseCase{Audio, Robotics, Networking, Embedded} {
		t.Run("preset="+u.String(), func(t *testing.T) {
			cfg := Preset(u)
			want := presetFacts[u]
			need, err := RequiredSize(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if need != want.required {
				t.Fatalf("RequiredSize: got %d, doc.go says %d", need, want.required)
			}
			if cfg.Concurrent != want.concurrent || cfg.CacheAligned != want.cacheAlign {
				t.Fatalf("got Concurrent %v CacheAligned %v, want %v %v", cfg.Concurrent, cfg.CacheAligned, want.concurrent, want.cacheAlign)
			}
			p := newPool(t, cfg)
			st := p.Stats()
			if st.Bytes != want.blockBytes {
				t.Fatalf("block bytes: got %d, want %d", st.Bytes, want.blockBytes)
			}
			if last := st.Classes[len(st.Classes)-1].Size; last != want.largest {
				t.Fatalf("largest block: got %d, want %d", last, want.largest)
			}
			// Drain every class: exactly Count blocks each, aligned,
			// then ErrOutOfMemory; free all; Check.
			align := uintptr(cfg.Align)
			if cfg.CacheAligned {
				align = 64
			}
			var live [][]byte
			for i, c := range cfg.Classes {
				for n := range c.Count + 1 {
					b, err := p.Alloc(c.Size)
					if n == c.Count {
						if !errors.Is(err, memkit.ErrOutOfMemory) {
							t.Fatalf("class %d: allocation %d: got %v, want ErrOutOfMemory", i, n, err)
						}
						break
					}
					if err != nil {
						t.Fatalf("class %d: allocation %d of %d: %v", i, n, c.Count, err)
					}
					if a := sliceAddr(b); a%align != 0 {
						t.Fatalf("class %d: block at %#x not %d-aligned", i, a, align)
					}
					live = append(live, b)
				}
			}
			if err := p.Check(); err != nil {
				t.Fatal(err)
			}
			for _, b := range live {
				if err := p.Free(b); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Check(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if fmt.Sprint(Preset(UseCase(99)).Classes) != fmt.Sprint(DefaultConfig().Classes) {
		t.Fatal("unknown UseCase: want DefaultConfig")
	}
}
