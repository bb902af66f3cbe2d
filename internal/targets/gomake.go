// Baseline "go": Go's own allocator, make and the garbage collector.

package targets

import (
	"slices"

	"github.com/memkit/memkit/trace"
)

func init() {
	Register(Spec{
		Name:     "go",
		About:    "Go's runtime allocator (slices.Grow, freed by the garbage collector)",
		Baseline: true,
		New:      func(Plan) (trace.Target, error) { return &goTarget{}, nil },
	})
}

// goTarget allocates with slices.Grow, whose capacity is the runtime's
// size class, so Footprint sees the rounding; Free drops the reference.
type goTarget struct {
	t    table
	used uint64 // sum of cap of live slices
}

func (g *goTarget) Alloc(size uint64) (trace.Block, error) {
	n, err := goSize(size)
	if err != nil {
		return 0, err
	}
	b := slices.Grow([]byte(nil), n)[:n]
	g.used += uint64(cap(b))
	return g.t.put(b), nil
}

func (g *goTarget) Free(id trace.Block) error {
	g.used -= uint64(cap(g.t.get(id)))
	g.t.del(id)
	return nil
}

func (g *goTarget) Bytes(id trace.Block) []byte { return g.t.get(id) }

func (g *goTarget) Span(id trace.Block) trace.Span {
	b := g.t.get(id)
	return trace.Span{Off: addrOf(b), Len: uint64(cap(b))}
}

func (g *goTarget) Footprint() uint64 { return g.used }
