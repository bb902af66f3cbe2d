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
			m := &mallocTarget{h: h}
			m.alloc, m.free, m.realloc = h.Malloc, h.Free, h.Realloc
			return m, nil
		}})
}

// mallocTarget's spans are addresses; its footprint is what it mapped.
type mallocTarget struct {
	reallocSliceTarget
	h *malloc.Heap
}

func (m *mallocTarget) Footprint() uint64 { return uint64(max(0, m.h.Stats().Mapped)) }

func (m *mallocTarget) MetadataBytes() uint64 { return uint64(max(0, m.h.Stats().Metadata)) }

func (m *mallocTarget) Align() uint64 { return 16 }

func (m *mallocTarget) Check() error { return m.h.Check() }

// Close gives every mapping back to the OS.
func (m *mallocTarget) Close() error { return m.h.Close() }
