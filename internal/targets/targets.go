// The registry of allocator adapters, and the Plan a constructor sizes itself from.

package targets

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/trace"
)

// Spec is one registered allocator.
type Spec struct {
	Name     string // as in -only lists and benchmark names
	About    string // one line for people
	Baseline bool   // a peer memkit is compared with, not one of memkit's
	// New makes a target sized for the workload p describes.
	New func(p Plan) (trace.Target, error)
}

var registry []Spec

// Register adds s to the registry. Adapter files call it from init; a
// duplicate name panics at start-up (a programming error).
func Register(s Spec) {
	for _, o := range registry {
		if o.Name == s.Name {
			panic("targets: " + s.Name + " registered twice")
		}
	}
	registry = append(registry, s)
}

// All returns every registered allocator: memkit's first, then the
// baselines, each group by name.
func All() []Spec {
	out := slices.Clone(registry)
	slices.SortFunc(out, func(a, b Spec) int {
		if a.Baseline != b.Baseline {
			if a.Baseline {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// Select returns the allocators named in the comma-separated list, in
// registry order (all for an empty list). A name selects the allocators
// whose name is it or starts with it and a dash ("offset" selects
// "offset-goodfit" and "offset-firstfit"). An unknown name is an error.
func Select(list string) ([]Spec, error) {
	all := All()
	if strings.TrimSpace(list) == "" {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		found := false
		for _, s := range all {
			if s.Name == n || strings.HasPrefix(s.Name, n+"-") {
				want[s.Name] = true
				found = true
			}
		}
		if !found {
			names := make([]string, len(all))
			for i, s := range all {
				names[i] = s.Name
			}
			return nil, fmt.Errorf("unknown allocator %q (have %s)", n, strings.Join(names, ", "))
		}
	}
	var out []Spec
	for _, s := range all {
		if want[s.Name] {
			out = append(out, s)
		}
	}
	return out, nil
}

// Plan is what a constructor may know of a workload.
type Plan struct {
	Trace   *trace.Trace // the workload itself, for targets that fit their shape to it (pool)
	Summary trace.Summary
	// Space is the size of the space or buffer for allocators that manage
	// a fixed one; 0 asks for DefaultSpace.
	Space uint64
}

// NewPlan describes t; space 0 means DefaultSpace.
func NewPlan(t *trace.Trace, space uint64) Plan {
	return Plan{Trace: t, Summary: t.Summarize(), Space: space}
}

// SpaceBytes returns p.Space, or DefaultSpace when it is 0.
func (p Plan) SpaceBytes() uint64 {
	if p.Space > 0 {
		return p.Space
	}
	return DefaultSpace(p.Summary)
}

// DefaultSpace is the space a fixed-space allocator gets for a workload:
// twice its peak live bytes plus 64 bytes per peak block and four of its
// largest requests, rounded up to 64 KiB. The slack leaves room for
// fragmentation; utilization is measured against the highest byte used,
// not against this space, so the slack does not flatter anyone.
func DefaultSpace(s trace.Summary) uint64 {
	n := 2*s.PeakLive + 64*uint64(s.PeakBlocks) + 4*s.MaxSize
	const unit = 64 << 10
	return max(unit, (n+unit-1)/unit*unit)
}

// maxBuffer is the largest buffer the adapters of buffer-based allocators
// make: a trace asking for more is refused with an error instead of
// exhausting the machine's memory.
const maxBuffer = 16 << 30

// newBuffer returns a zeroed buffer of n bytes for a buffer-based allocator,
// with every page already touched: otherwise the kernel's first-touch page
// faults would land inside timed operations of whichever allocator writes
// into the buffer first (bufheap's headers, say), and be charged to it.
func newBuffer(name string, n uint64) ([]byte, error) {
	if n > maxBuffer || n > uint64(maxInt) {
		return nil, fmt.Errorf("%s: a %d-byte buffer is over the %d bytes the adapters allocate: %w", name, n, uint64(maxBuffer), memkit.ErrInvalidConfig)
	}
	buf := make([]byte, n)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 0
	}
	return buf, nil
}

// table maps trace.Blocks (slot numbers) to slices, for adapters of
// allocators that hand out []byte. Freed slots are reused.
type table struct {
	bufs [][]byte
	free []trace.Block
}

func (t *table) put(b []byte) trace.Block {
	if n := len(t.free); n > 0 {
		id := t.free[n-1]
		t.free = t.free[:n-1]
		t.bufs[id] = b
		return id
	}
	t.bufs = append(t.bufs, b)
	return trace.Block(len(t.bufs) - 1)
}

func (t *table) get(id trace.Block) []byte { return t.bufs[id] }

func (t *table) set(id trace.Block, b []byte) { t.bufs[id] = b }

func (t *table) del(id trace.Block) {
	t.bufs[id] = nil
	t.free = append(t.free, id)
}

// sizeInt converts a trace size to an int length, refusing what does not fit.
func sizeInt(n uint64) (int, error) {
	if n > uint64(maxInt) {
		return 0, fmt.Errorf("size %d: does not fit in an int", n)
	}
	return int(n), nil
}

const maxInt = int(^uint(0) >> 1)

// maxGoAlloc is the largest request the Go-heap baselines make: the Go
// runtime ends the process, unrecoverably, when a make cannot be served,
// so larger requests are refused as out of memory instead.
const maxGoAlloc = 1 << 32

// goSize is sizeInt for the Go-heap baselines.
func goSize(n uint64) (int, error) {
	if n > maxGoAlloc || uint64(maxInt) < maxGoAlloc && n > uint64(maxInt)/2 {
		return 0, fmt.Errorf("size %d: over the %d bytes the Go baselines allocate: %w", n, uint64(maxGoAlloc), memkit.ErrOutOfMemory)
	}
	return int(n), nil
}
