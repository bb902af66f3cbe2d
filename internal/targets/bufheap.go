// memkit's bufheap: a heap whose headers and control block live inside one []byte.

package targets

import (
	"github.com/memkit/memkit/bufheap"
	"github.com/memkit/memkit/trace"
)

func init() {
	Register(Spec{Name: "bufheap", About: "memkit bufheap: heap inside one []byte, 8-byte sealed headers, O(1) TLSF-style classes",
		New: func(p Plan) (trace.Target, error) {
			buf, err := newBuffer("bufheap", p.SpaceBytes())
			if err != nil {
				return nil, err
			}
			h, err := bufheap.New(buf, bufheap.Config{})
			if err != nil {
				return nil, err
			}
			return &bufheapTarget{h: h, buf: buf, base: addrOf(buf)}, nil
		}})
}

// bufheapTarget's spans are offsets into its buffer; the control block at
// offset 0 counts in the footprint (the end of the highest live block).
type bufheapTarget struct {
	h    *bufheap.Heap
	buf  []byte
	base uint64
	t    table
}

func (b *bufheapTarget) Alloc(size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return 0, err
	}
	s, err := b.h.Alloc(n)
	if err != nil {
		return 0, err
	}
	return b.t.put(s), nil
}

func (b *bufheapTarget) Free(id trace.Block) error {
	if err := b.h.Free(b.t.get(id)); err != nil {
		return err
	}
	b.t.del(id)
	return nil
}

func (b *bufheapTarget) Realloc(id trace.Block, size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return id, err
	}
	s, err := b.h.Realloc(b.t.get(id), n)
	if err != nil {
		return id, err
	}
	b.t.set(id, s)
	return id, nil
}

func (b *bufheapTarget) Bytes(id trace.Block) []byte { return b.t.get(id) }

func (b *bufheapTarget) Span(id trace.Block) trace.Span {
	s := b.t.get(id)
	return trace.Span{Off: addrOf(s) - b.base, Len: uint64(cap(s))}
}

func (b *bufheapTarget) Space() uint64 { return uint64(len(b.buf)) }

func (b *bufheapTarget) Align() uint64 { return uint64(b.h.Align()) }

func (b *bufheapTarget) Check() error { return b.h.Check() }

// MetadataBytes is the part of the buffer neither free nor usable by live
// blocks: chunk headers, the control block and alignment padding.
func (b *bufheapTarget) MetadataBytes() uint64 {
	s := b.h.Stats()
	return uint64(s.TotalSize - s.FreeSize - s.AllocatedSize)
}
