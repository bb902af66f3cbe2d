// memkit's malloc: general-purpose allocator over memory mapped from the OS.

package targets

import (
	"github.com/memkit/memkit/malloc"
	"github.com/memkit/memkit/trace"
)

func init() {
	Register(Spec{Name: "malloc", About: "memkit malloc: size classes over OS mappings, off the GC heap",
		New: func(Plan) (trace.Target, error) {
			h, err := malloc.New(malloc.Config{})
			if err != nil {
				return nil, err
			}
			return &mallocTarget{h: h}, nil
		}})
}

// mallocTarget's spans are addresses; its footprint is what it mapped.
type mallocTarget struct {
	h *malloc.Heap
	t table
}

func (m *mallocTarget) Alloc(size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return 0, err
	}
	b, err := m.h.Malloc(n)
	if err != nil {
		return 0, err
	}
	return m.t.put(b), nil
}

func (m *mallocTarget) Free(id trace.Block) error {
	if err := m.h.Free(m.t.get(id)); err != nil {
		return err
	}
	m.t.del(id)
	return nil
}

func (m *mallocTarget) Realloc(id trace.Block, size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return id, err
	}
	b, err := m.h.Realloc(m.t.get(id), n)
	if err != nil {
		return id, err
	}
	m.t.set(id, b)
	return id, nil
}

func (m *mallocTarget) Bytes(id trace.Block) []byte { return m.t.get(id) }

func (m *mallocTarget) Span(id trace.Block) trace.Span {
	b := m.t.get(id)
	return trace.Span{Off: addrOf(b), Len: uint64(cap(b))}
}

func (m *mallocTarget) Footprint() uint64 { return uint64(max(0, m.h.Stats().Mapped)) }

func (m *mallocTarget) MetadataBytes() uint64 { return uint64(max(0, m.h.Stats().Metadata)) }

func (m *mallocTarget) Align() uint64 { return 16 }

func (m *mallocTarget) Check() error { return m.h.Check() }

// Close gives every mapping back to the OS.
func (m *mallocTarget) Close() error { return m.h.Close() }
