// memkit's offset allocator, both policies: spans are offsets, no memory to touch.

package targets

import (
	"github.com/memkit/memkit/offset"
	"github.com/memkit/memkit/trace"
)

func init() {
	for _, v := range []struct {
		name   string
		policy offset.Policy
		about  string
	}{
		{"offset-goodfit", offset.GoodFit, "memkit offset: external space, metadata apart, O(1) good fit"},
		{"offset-firstfit", offset.FirstFit, "memkit offset: external space, metadata apart, address-ordered first fit"},
	} {
		Register(Spec{Name: v.name, About: v.about, New: func(p Plan) (trace.Target, error) {
			// A fixed node budget, allocated in New, as a real-time user
			// would size it, and the same as offsetalloc-model's: blocks,
			// live and free, never outnumber twice the peak live blocks
			// plus one.
			space := p.SpaceBytes()
			a, err := offset.New(offset.Config{Size: space, Policy: v.policy, MaxNodes: nodeBudget(p)})
			if err != nil {
				return nil, err
			}
			return &offsetTarget{a: a, space: space}, nil
		}})
	}
}

// offsetTarget hands out offsets of an imaginary space: Bytes is nil, so
// Replay checks spans (overlap, bounds, alignment) but no contents.
type offsetTarget struct {
	a     *offset.Allocator
	space uint64
}

func (o *offsetTarget) Alloc(size uint64) (trace.Block, error) {
	off, err := o.a.Alloc(size)
	return trace.Block(off), err
}

func (o *offsetTarget) Free(b trace.Block) error { return o.a.Free(offset.Offset(b)) }

func (o *offsetTarget) Bytes(trace.Block) []byte { return nil }

func (o *offsetTarget) Span(b trace.Block) trace.Span {
	n, _ := o.a.SizeOf(offset.Offset(b))
	return trace.Span{Off: uint64(b), Len: n}
}

func (o *offsetTarget) Space() uint64 { return o.space }

func (o *offsetTarget) Align() uint64 { return offset.DefaultAlign }

func (o *offsetTarget) Check() error { return o.a.Check() }

func (o *offsetTarget) MetadataBytes() uint64 { return o.a.Stats().MetadataBytes }

// nodeBudget is the metadata budget of the offset allocators and their
// model for a workload: every block, live or free, gets a node, and free
// blocks (never two side by side) are at most one more than live ones.
func nodeBudget(p Plan) int { return 2*p.Summary.PeakBlocks + 16 }
