// Model test for Suggest: whatever the sample and budget, the result serves every size within the budget, or Suggest proves it cannot.

package pool

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/memkit/memkit"
)

func TestSuggestModel(t *testing.T) {
	seed := uint64(20261123)
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	runs := 300
	if testing.Short() {
		runs = 60
	}
	fitted := 0
	for run := range runs {
		var sizes []int
		n := 1 + r.IntN(400)
		switch run % 4 {
		case 0: // a few fixed sizes
			for range n {
				sizes = append(sizes, []int{24, 64, 100, 1500}[r.IntN(4)])
			}
		case 1: // log-uniform up to 64 KiB
			for range n {
				sizes = append(sizes, 1+int(float64(1)*pow2f(r.Float64()*16)))
			}
		case 2: // uniform, many distinct sizes
			for range n {
				sizes = append(sizes, 1+r.IntN(20000))
			}
		case 3: // one size, repeated
			s := 1 + r.IntN(5000)
			for range n {
				sizes = append(sizes, s)
			}
		}
		budget := 1 + r.IntN(1<<(10+r.IntN(12)))
		cfg, err := Suggest(sizes, budget)
		if err != nil {
			// Refusal must be justified: one block of the largest size
			// does not fit.
			big := 0
			for _, s := range sizes {
				big = max(big, s)
			}
			need, _ := RequiredSize(Config{Classes: []Class{{big, 1}}})
			if !errors.Is(err, memkit.ErrInvalidConfig) || need <= budget {
				t.Fatalf("run %d: Suggest(%d sizes up to %d, budget %d): %v, but one block needs only %d", run, len(sizes), big, budget, err, need)
			}
			continue
		}
		fitted++
		need, err := RequiredSize(cfg)
		if err != nil || need > budget {
			t.Fatalf("run %d: suggested %+v needs %d bytes (%v), budget %d", run, cfg, need, err, budget)
		}
		if len(cfg.Classes) > suggestMaxClasses {
			t.Fatalf("run %d: %d classes, want at most %d", run, len(cfg.Classes), suggestMaxClasses)
		}
		p, err := New(make([]byte, budget), cfg)
		if err != nil {
			t.Fatalf("run %d: New with the budget: %v", run, err)
		}
		for _, s := range sizes {
			b, err := p.Alloc(s)
			if err != nil {
				t.Fatalf("run %d: Alloc(%d) from the suggested %+v: %v", run, s, cfg.Classes, err)
			}
			if err := p.Free(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Check(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d samples fitted, the rest refused for a budget below one block", fitted, runs)
	if fitted < runs/4 {
		t.Fatalf("only %d of %d runs produced a config: the test exercises too little", fitted, runs)
	}
}

func pow2f(x float64) float64 {
	v := 1.0
	for x >= 1 {
		v *= 2
		x--
	}
	return v * (1 + x)
}

// TestSuggestFitsAndScales: a clear sample gets its exact sizes as
// classes and counts in proportion to frequency.
func TestSuggestFitsAndScales(t *testing.T) {
	var sizes []int
	for range 300 {
		sizes = append(sizes, 64)
	}
	for range 100 {
		sizes = append(sizes, 256)
	}
	cfg, err := Suggest(sizes, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Classes) != 2 || cfg.Classes[0].Size != 64 || cfg.Classes[1].Size != 256 {
		t.Fatalf("got classes %+v, want sizes 64 and 256", cfg.Classes)
	}
	if r := float64(cfg.Classes[0].Count) / float64(cfg.Classes[1].Count); r < 2.9 || r > 3.1 {
		t.Fatalf("got counts %+v (ratio %.2f), want about 3:1", cfg.Classes, r)
	}
	need, _ := RequiredSize(cfg)
	if need > 64<<10 || need < 60<<10 {
		t.Fatalf("needs %d bytes of a 64 KiB budget: want it used to within 4 KiB", need)
	}
}

func TestSuggestErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sizes  []int
		budget int
		want   error
	}{
		{"empty", nil, 1 << 20, memkit.ErrInvalidSize},
		{"zero", []int{0}, 1 << 20, memkit.ErrInvalidSize},
		{"negative", []int{8, -1}, 1 << 20, memkit.ErrInvalidSize},
		{"huge", []int{1<<30 + 1}, 1 << 20, memkit.ErrInvalidSize},
		{"tight", []int{4096}, 4096, memkit.ErrInvalidConfig},
		{"zero-budget", []int{8}, 0, memkit.ErrInvalidConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Suggest(tc.sizes, tc.budget); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSuggestHugeSizes: sizes past 4 MiB raise Align so the size table
// stays bounded, and the result still serves them.
func TestSuggestHugeSizes(t *testing.T) {
	sizes := []int{100, 8<<20 + 1}
	cfg, err := Suggest(sizes, 40<<20)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Align <= 8 {
		t.Fatalf("got Align %d, want it raised above 8", cfg.Align)
	}
	p := newPool(t, cfg)
	for _, s := range sizes {
		b, err := p.Alloc(s)
		if err != nil {
			t.Fatalf("Alloc(%d): %v", s, err)
		}
		p.Free(b)
	}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
}
