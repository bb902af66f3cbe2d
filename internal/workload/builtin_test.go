// Tests of the built-in workloads and the embedded traces.

package workload

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/memkit/memkit/trace"
)

var update = flag.Bool("update", false, "rewrite reps/*.rep from the generators")

// TestEmbeddedTraces regenerates the embedded traces and compares them with
// the files (or writes the files with -update).
func TestEmbeddedTraces(t *testing.T) {
	for name, gen := range embedded() {
		var buf bytes.Buffer
		if err := trace.WriteRep(&buf, gen()); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join("reps", name)
		if *update {
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := reps.ReadFile("reps/" + name)
		if err != nil {
			t.Fatalf("%s: %v (run go generate)", name, err)
		}
		if !bytes.Equal(have, buf.Bytes()) {
			t.Fatalf("%s differs from its generator's output; run go generate ./internal/workload", name)
		}
	}
	ts, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(ts), len(embedded()); got != want {
		t.Fatalf("got %d embedded traces, want %d", got, want)
	}
	for _, tr := range ts {
		if err := tr.Validate(); err != nil {
			t.Fatalf("%s: %v", tr.Name, err)
		}
	}
}

// TestBuiltinValidAndDeterministic checks that every built-in workload is a
// valid trace that ends with nothing live, and that two calls agree.
func TestBuiltinValidAndDeterministic(t *testing.T) {
	for _, s := range Builtin() {
		for _, quick := range []bool{true, false} {
			if !quick && testing.Short() {
				continue
			}
			a, b := s.Make(quick), s.Make(quick)
			if err := a.Validate(); err != nil {
				t.Fatalf("%s quick=%v: %v", s.Name, quick, err)
			}
			if len(a.Ops) != len(b.Ops) || len(a.Ops) == 0 {
				t.Fatalf("%s quick=%v: got %d and %d ops", s.Name, quick, len(a.Ops), len(b.Ops))
			}
			for i := range a.Ops {
				if a.Ops[i] != b.Ops[i] {
					t.Fatalf("%s quick=%v: op %d differs: %v vs %v", s.Name, quick, i, a.Ops[i], b.Ops[i])
				}
			}
			sum := a.Summarize()
			if sum.Allocs+sum.Reallocs == 0 || sum.Frees == 0 {
				t.Fatalf("%s: summary %+v has no allocs or frees", s.Name, sum)
			}
			live := map[int]bool{}
			for _, op := range a.Ops {
				if op.Kind == trace.Free {
					delete(live, op.ID)
				} else {
					live[op.ID] = true
				}
			}
			if len(live) != 0 {
				t.Fatalf("%s: %d blocks live at the end, want 0", s.Name, len(live))
			}
		}
	}
}

func TestPatterns(t *testing.T) {
	b := Binary(1, 100)
	s := b.Summarize()
	if s.Allocs != 300 || s.Frees != 300 {
		t.Fatalf("binary: got %d allocs, %d frees; want 300, 300", s.Allocs, s.Frees)
	}
	c := Coalescing(1, 10)
	if s := c.Summarize(); s.PeakBlocks != 3 {
		t.Fatalf("coalescing: got peak %d blocks, want 3", s.PeakBlocks)
	}
	r := Realloc(1, 3, 30)
	if s := r.Summarize(); s.Reallocs != 30 {
		t.Fatalf("realloc: got %d reallocs, want 30", s.Reallocs)
	}
	if _, err := Select(Builtin(), "binary,nope"); err == nil {
		t.Fatal("Select accepted an unknown workload")
	}
	if got, err := Select(Builtin(), "binary, random"); err != nil || len(got) != 2 {
		t.Fatalf("Select: got %d specs, %v; want 2, nil", len(got), err)
	}
}
