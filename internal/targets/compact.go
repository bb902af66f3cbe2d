// memkit's compact: a relocating heap in one buffer, blocks named by handles.

package targets

import (
	"github.com/memkit/memkit/compact"
	"github.com/memkit/memkit/trace"
)

func init() {
	Register(Spec{Name: "compact", About: "memkit compact: relocating heap with stable handles, compacts when an alloc would fail",
		New: func(p Plan) (trace.Target, error) {
			buf, err := newBuffer("compact", p.SpaceBytes())
			if err != nil {
				return nil, err
			}
			h, err := compact.New(buf, compact.Config{})
			if err != nil {
				return nil, err
			}
			return &compactTarget{h: h, buf: buf, base: addrOf(buf)}, nil
		}})
}

// compactAlign is compact's default alignment, which New was given.
const compactAlign = 16

// compactTarget's blocks are handles; a Mover, so Replay re-fetches every
// block after compaction moved some.
type compactTarget struct {
	h    *compact.Heap
	buf  []byte
	base uint64
}

func (c *compactTarget) Alloc(size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return 0, err
	}
	hd, err := c.h.Alloc(n)
	return trace.Block(hd), err
}

func (c *compactTarget) Free(b trace.Block) error { return c.h.Free(compact.Handle(b)) }

func (c *compactTarget) Realloc(b trace.Block, size uint64) (trace.Block, error) {
	n, err := sizeInt(size)
	if err != nil {
		return b, err
	}
	return b, c.h.Realloc(compact.Handle(b), n)
}

// Bytes returns an empty slice when the handle is refused, which Replay
// reports as a block shorter than asked.
func (c *compactTarget) Bytes(b trace.Block) []byte {
	s, err := c.h.Bytes(compact.Handle(b))
	if err != nil {
		return []byte{}
	}
	return s
}

// Span is the block's reservation: its length rounded up to the alignment.
func (c *compactTarget) Span(b trace.Block) trace.Span {
	s := c.Bytes(b)
	n := (uint64(len(s)) + compactAlign - 1) &^ (compactAlign - 1)
	if len(s) == 0 {
		return trace.Span{}
	}
	return trace.Span{Off: addrOf(s) - c.base, Len: n}
}

func (c *compactTarget) Space() uint64 { return uint64(len(c.buf)) }

func (c *compactTarget) Moves() uint64 { return uint64(c.h.Stats().Moves) }

func (c *compactTarget) Check() error { return c.h.Check() }
