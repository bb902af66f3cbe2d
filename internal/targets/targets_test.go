// Tests of the adapters: every registered allocator replays a workload verified.

package targets

import (
	"errors"
	"strings"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/workload"
	"github.com/memkit/memkit/trace"
)

// TestEveryTargetReplaysCleanly runs every registered allocator on small
// versions of the built-in workloads, verified, and wants no fault and no
// refused allocation (the spaces are sized for the workload).
func TestEveryTargetReplaysCleanly(t *testing.T) {
	// Four workloads cover every op kind and size range; the rest run in
	// cmd/memkit's tests and in CI's bench -quick.
	names := "churn-mixed,binary,random,realloc"
	if testing.Short() {
		names = "binary,realloc"
	}
	works, err := workload.Select(workload.Builtin(), names)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range works {
		tr := w.Make(true)
		plan := NewPlan(tr, 0)
		for _, s := range All() {
			t.Run(w.Name+"/"+s.Name, func(t *testing.T) {
				tg, err := s.New(plan)
				if err != nil {
					t.Fatal(err)
				}
				r, err := trace.Replay(tr, tg, trace.Options{Maps: true})
				if c, ok := tg.(interface{ Close() error }); ok {
					defer c.Close()
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.Failed != 0 {
					t.Fatalf("%d allocations failed, first: %v", r.Failed, r.FirstFailure)
				}
				if r.Ops != len(tr.Ops) || r.PeakLive != plan.Summary.PeakLive {
					t.Fatalf("got %d ops, peak %d; want %d, %d", r.Ops, r.PeakLive, len(tr.Ops), plan.Summary.PeakLive)
				}
				if s.Name != "modernc" && (!r.FootprintKnown || r.Utilization <= 0 || r.Utilization > 1) {
					t.Fatalf("utilization %v (footprint known: %v), want in (0, 1]", r.Utilization, r.FootprintKnown)
				}
				if r.EndMap == nil {
					t.Fatal("no end map")
				}
			})
		}
	}
}

func TestSelect(t *testing.T) {
	all := All()
	if len(all) < 3 {
		t.Fatalf("got %d allocators, want at least the 3 baselines", len(all))
	}
	seenBaseline := false
	for _, s := range all {
		if s.Baseline {
			seenBaseline = true
		} else if seenBaseline {
			t.Fatalf("memkit allocator %s listed after a baseline", s.Name)
		}
	}
	got, err := Select("go, sync.Pool")
	if err != nil || len(got) != 2 || got[0].Name != "go" || got[1].Name != "sync.Pool" {
		t.Fatalf("Select: got %v, %v", got, err)
	}
	if got, err := Select("offset"); err != nil || len(got) != 2 {
		t.Fatalf(`Select("offset"): got %d specs, %v; want both policies`, len(got), err)
	}
	if _, err := Select("go,nosuch"); err == nil || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Fatalf("Select of an unknown name: got %v", err)
	}
	if got, _ := Select(""); len(got) != len(all) {
		t.Fatalf("Select(\"\"): got %d, want all %d", len(got), len(all))
	}
}

func TestPoolClasses(t *testing.T) {
	prev := uint64(0)
	for k := 0; k < 60; k++ {
		s := poolClassSize(k)
		if s <= prev || s%16 != 0 {
			t.Fatalf("class %d: size %d after %d; want increasing multiples of 16", k, s, prev)
		}
		if prev >= 128 && float64(s)/float64(prev) > 1.25 {
			t.Fatalf("class %d: %d is %.2fx class %d", k, s, float64(s)/float64(prev), k-1)
		}
		prev = s
	}
	for _, n := range []uint64{1, 15, 16, 17, 100, 1000, 4095, 4096, 4097, 1 << 20, 1<<20 + 1} {
		k := poolClassOf(n)
		if poolClassSize(k) < n || (k > 0 && poolClassSize(k-1) >= n) {
			t.Fatalf("poolClassOf(%d) = %d (size %d), not the smallest class that fits", n, k, poolClassSize(k))
		}
	}
}

func TestGoBaselinesRefuseHugeSizes(t *testing.T) {
	for _, name := range []string{"go", "sync.Pool"} {
		s, _ := Select(name)
		tg, err := s[0].New(Plan{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tg.Alloc(1 << 50); !errors.Is(err, memkit.ErrOutOfMemory) {
			t.Fatalf("%s: Alloc(1<<50): got %v, want ErrOutOfMemory", name, err)
		}
	}
	if _, err := newBuffer("x", 1<<40); !errors.Is(err, memkit.ErrInvalidConfig) {
		t.Fatalf("newBuffer(1<<40): got %v, want ErrInvalidConfig", err)
	}
}

func TestDefaultSpace(t *testing.T) {
	if got := DefaultSpace(trace.Summary{}); got != 64<<10 {
		t.Fatalf("empty: got %d, want 64 KiB", got)
	}
	s := trace.Summary{PeakLive: 1 << 20, PeakBlocks: 1000, MaxSize: 4096}
	got := DefaultSpace(s)
	if got < 2<<20 || got%(64<<10) != 0 {
		t.Fatalf("got %d, want at least twice the peak, in 64 KiB units", got)
	}
	if p := (Plan{Space: 12345}); p.SpaceBytes() != 12345 {
		t.Fatalf("SpaceBytes ignores Plan.Space")
	}
}
