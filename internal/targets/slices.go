// The shared part of the adapters of allocators that hand out []byte.

package targets

import "github.com/memkit/memkit/trace"

// sliceTarget adapts an allocator whose blocks are []byte (bufheap,
// malloc, pool, modernc): blocks are slots of a table, spans are addresses
// less base (a buffer's start, or 0 when spans are plain addresses) and
// the usable length is the slice's capacity. A refused Free leaves the
// slot live, so the block can still be verified and freed.
type sliceTarget struct {
	alloc func(n int) ([]byte, error)
	free  func(b []byte) error
	base  uint64
	t     table
}

func (s *sliceTarget) Alloc(size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return 0, err
	}
	b, err := s.alloc(n)
	if err != nil {
		return 0, err
	}
	return s.t.put(b), nil
}

func (s *sliceTarget) Free(id trace.Block) error {
	if err := s.free(s.t.get(id)); err != nil {
		return err
	}
	s.t.del(id)
	return nil
}

func (s *sliceTarget) Bytes(id trace.Block) []byte { return s.t.get(id) }

func (s *sliceTarget) Span(id trace.Block) trace.Span {
	b := s.t.get(id)
	return trace.Span{Off: addrOf(b) - s.base, Len: uint64(cap(b))}
}

// reallocSliceTarget is a sliceTarget whose allocator can resize a block;
// the block keeps its slot.
type reallocSliceTarget struct {
	sliceTarget
	realloc func(b []byte, n int) ([]byte, error)
}

func (s *reallocSliceTarget) Realloc(id trace.Block, size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return id, err
	}
	b, err := s.realloc(s.t.get(id), n)
	if err != nil {
		return id, err
	}
	s.t.set(id, b)
	return id, nil
}
