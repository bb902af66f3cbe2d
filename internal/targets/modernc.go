// Baseline "modernc": modernc.org/memory, the fastest Go off-heap malloc.

// modernc.org/memory maps memory with unix mmap or VirtualAlloc; elsewhere
// (wasip1) the baseline is not registered.

//go:build unix || windows

package targets

import (
	"modernc.org/memory"

	"github.com/memkit/memkit/trace"
)

func init() {
	Register(Spec{
		Name:     "modernc",
		About:    "modernc.org/memory: mmap-backed malloc, power-of-two slots",
		Baseline: true,
		New: func(Plan) (trace.Target, error) {
			m := &moderncTarget{}
			m.alloc, m.free, m.realloc = m.a.Malloc, m.a.Free, m.a.Realloc
			return m, nil
		},
	})
}

// moderncTarget drives a memory.Allocator. It is no Footprinter: the
// allocator's counters exist only under a build tag.
type moderncTarget struct {
	reallocSliceTarget
	a memory.Allocator
}

func (m *moderncTarget) Align() uint64 { return 16 }

// Close gives every mapping back to the OS.
func (m *moderncTarget) Close() error { return m.a.Close() }
