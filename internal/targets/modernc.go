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
		New:      func(Plan) (trace.Target, error) { return &moderncTarget{}, nil },
	})
}

// moderncTarget drives a memory.Allocator. It is no Footprinter: the
// allocator's counters exist only under a build tag.
type moderncTarget struct {
	a memory.Allocator
	t table
}

func (m *moderncTarget) Alloc(size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return 0, err
	}
	b, err := m.a.Malloc(n)
	if err != nil {
		return 0, err
	}
	return m.t.put(b), nil
}

func (m *moderncTarget) Free(id trace.Block) error {
	err := m.a.Free(m.t.get(id))
	m.t.del(id)
	return err
}

func (m *moderncTarget) Realloc(id trace.Block, size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return id, err
	}
	b, err := m.a.Realloc(m.t.get(id), n)
	if err != nil {
		return id, err
	}
	m.t.set(id, b)
	return id, nil
}

func (m *moderncTarget) Bytes(id trace.Block) []byte { return m.t.get(id) }

func (m *moderncTarget) Span(id trace.Block) trace.Span {
	b := m.t.get(id)
	return trace.Span{Off: addrOf(b), Len: uint64(len(b))}
}

func (m *moderncTarget) Align() uint64 { return 16 }

// Close gives every mapping back to the OS.
func (m *moderncTarget) Close() error { return m.a.Close() }
