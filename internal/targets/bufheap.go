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
			b := &bufheapTarget{h: h, buf: buf}
			b.alloc, b.free, b.realloc, b.base = h.Alloc, h.Free, h.Realloc, addrOf(buf)
			return b, nil
		}})
}

// bufheapTarget's spans are offsets into its buffer; the control block at
// offset 0 counts in the footprint (the end of the highest live block).
type bufheapTarget struct {
	reallocSliceTarget
	h   *bufheap.Heap
	buf []byte
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
