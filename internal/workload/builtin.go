// The built-in workload list the memkit command runs, and the embedded .rep traces.

package workload

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/memkit/memkit/trace"
)

// Spec is one built-in workload: a name and a generator at two scales.
type Spec struct {
	Name  string // short, stable: used by -workloads filters and in reports
	About string // one line for people
	// Make generates the trace; quick asks for a small version that runs
	// in a fraction of a second on every allocator.
	Make func(quick bool) *trace.Trace
}

// pick returns q when quick, else full.
func pick(quick bool, full, q int) int {
	if quick {
		return q
	}
	return full
}

// Builtin returns the workloads of `memkit bench`, in presentation order.
// Every generator is seeded: the same call gives the same traces.
func Builtin() []Spec {
	return []Spec{
		{"churn-small", "random churn, 16-256 B blocks, 1k live (200 with -quick)", func(q bool) *trace.Trace {
			return named("churn-small", ChurnTrace(1, pick(q, 1000, 200), 16, 256, pick(q, 50000, 4000)))
		}},
		{"churn-mixed", "random churn, 1 B-4 KiB blocks, 10k live (1k with -quick)", func(q bool) *trace.Trace {
			return named("churn-mixed", ChurnTrace(2, pick(q, 10000, 1000), 1, 4096, pick(q, 50000, 4000)))
		}},
		{"churn-large", "random churn, 4-64 KiB blocks, 500 live (50 with -quick)", func(q bool) *trace.Trace {
			return named("churn-large", ChurnTrace(3, pick(q, 500, 50), 4096, 65536, pick(q, 10000, 1000)))
		}},
		{"fixed-64", "churn of 64 B blocks only, 10k live (1k with -quick)", func(q bool) *trace.Trace {
			return named("fixed-64", FixedTrace(4, pick(q, 10000, 1000), 64, pick(q, 50000, 4000)))
		}},
		{"binary", "long-lived blocks with short-lived ones between, then larger blocks", func(q bool) *trace.Trace {
			return named("binary", Binary(5, pick(q, 4000, 500)))
		}},
		{"coalescing", "two neighbours freed, then one block of both sizes", func(q bool) *trace.Trace {
			return named("coalescing", Coalescing(6, pick(q, 4000, 500)))
		}},
		{"random", "random interleaving of allocs and frees, 1 B-16 KiB", func(q bool) *trace.Trace {
			return named("random", Random(7, pick(q, 4000, 500), 16384))
		}},
		{"realloc", "realloc chains growing between short-lived blocks", func(q bool) *trace.Trace {
			return named("realloc", Realloc(8, 4, pick(q, 4000, 500)))
		}},
	}
}

func named(name string, t *trace.Trace) *trace.Trace {
	t.Name = name
	return t
}

// Select returns the specs whose names are in the comma-separated list
// (all of them for an empty list), or an error naming an unknown one.
func Select(specs []Spec, list string) ([]Spec, error) {
	if strings.TrimSpace(list) == "" {
		return specs, nil
	}
	var out []Spec
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, s := range specs {
			if s.Name == n {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			names := make([]string, len(specs))
			for i, s := range specs {
				names[i] = s.Name
			}
			return nil, fmt.Errorf("unknown workload %q (have %s)", n, strings.Join(names, ", "))
		}
	}
	return out, nil
}

//go:generate go test -run TestEmbeddedTraces -update

// reps holds the .rep files that Embedded reads. They are written by
// TestEmbeddedTraces -update from the generators in embedded(), and the
// same test checks that they still match.
//
//go:embed reps/*.rep
var reps embed.FS

// embedded are the generators of the embedded traces, by file name.
func embedded() map[string]func() *trace.Trace {
	return map[string]func() *trace.Trace{
		"binary.rep":     func() *trace.Trace { return Binary(11, 2000) },
		"coalescing.rep": func() *trace.Trace { return Coalescing(12, 2000) },
		"random.rep":     func() *trace.Trace { return Random(13, 2400, 16384) },
		"realloc.rep":    func() *trace.Trace { return Realloc(14, 3, 2400) },
		"churn.rep":      func() *trace.Trace { return ChurnTrace(15, 1000, 1, 2048, 4000) },
	}
}

// Embedded returns the built-in .rep traces (made by this package's
// generators and embedded in the binary), sorted by name: what
// `memkit replay` replays when given no file.
func Embedded() ([]*trace.Trace, error) {
	names, err := fs.Glob(reps, "reps/*.rep")
	if err != nil {
		return nil, err
	}
	var out []*trace.Trace
	for _, n := range names {
		f, err := reps.Open(n)
		if err != nil {
			return nil, err
		}
		t, err := trace.ReadRep(f, path.Base(n))
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
