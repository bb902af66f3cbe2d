// Baselines "offsetalloc-model" and "tlsf-model": the designs memkit's offset
// and bufheap are measured against, modelled in Go (internal/peers).

package targets

import (
	"github.com/memkit/memkit/internal/peers"
	"github.com/memkit/memkit/trace"
)

func init() {
	Register(Spec{
		Name:     "offsetalloc-model",
		About:    "sebbbi's OffsetAllocator design in Go: 256 bins, 32-bit offsets, free by node handle",
		Baseline: true,
		New: func(p Plan) (trace.Target, error) {
			space := p.SpaceBytes()
			a, err := peers.NewOffsetBins(space, nodeBudget(p))
			if err != nil {
				return nil, err
			}
			return &binsTarget{a: a, space: space}, nil
		},
	})
	Register(Spec{
		Name:     "tlsf-model",
		About:    "the TLSF design (mattconte's layout) in Go over one []byte, no checks",
		Baseline: true,
		New: func(p Plan) (trace.Target, error) {
			buf, err := newBuffer("tlsf-model", p.SpaceBytes())
			if err != nil {
				return nil, err
			}
			t, err := peers.NewTLSF(buf)
			if err != nil {
				return nil, err
			}
			m := &tlsfTarget{buf: buf}
			m.base = addrOf(buf)
			m.alloc = func(n int) ([]byte, error) {
				_, b, err := t.Alloc(n)
				return b, err
			}
			m.free = func(b []byte) error {
				t.Free(int(addrOf(b) - m.base))
				return nil
			}
			return m, nil
		},
	})
}

// binsTarget's blocks are the nodes the model hands out, which its Free
// takes; spans are offsets of an imaginary space, with no memory to touch.
type binsTarget struct {
	a     *peers.OffsetBins
	space uint64
}

func (o *binsTarget) Alloc(size uint64) (trace.Block, error) {
	_, n, err := o.a.Alloc(size)
	return trace.Block(n), err
}

func (o *binsTarget) Free(b trace.Block) error {
	o.a.Free(uint32(b))
	return nil
}

func (o *binsTarget) Bytes(trace.Block) []byte { return nil }

func (o *binsTarget) Span(b trace.Block) trace.Span {
	off, size := o.a.Block(uint32(b))
	return trace.Span{Off: uint64(off), Len: uint64(size)}
}

func (o *binsTarget) Space() uint64 { return o.space }

func (o *binsTarget) MetadataBytes() uint64 { return o.a.MetadataBytes() }

// tlsfTarget's spans are offsets into its buffer.
type tlsfTarget struct {
	sliceTarget
	buf []byte
}

func (m *tlsfTarget) Space() uint64 { return uint64(len(m.buf)) }

func (m *tlsfTarget) Align() uint64 { return 8 }
