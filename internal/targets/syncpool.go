// Baseline "sync.Pool": power-of-two buffers recycled through sync.Pool.

package targets

import (
	"math/bits"
	"sync"

	"github.com/memkit/memkit/trace"
)

func init() {
	Register(Spec{
		Name:     "sync.Pool",
		About:    "sync.Pool per power-of-two size, buffers made by Go",
		Baseline: true,
		New:      func(Plan) (trace.Target, error) { return &syncPoolTarget{}, nil },
	})
}

// minPoolShift is the smallest bucket: 16 bytes.
const minPoolShift = 4

// syncPoolTarget keeps one sync.Pool of *[]byte per power of two; a
// request gets a buffer of the next power of two (at least 16 bytes).
// Pools hold *[]byte so that Put does not allocate.
type syncPoolTarget struct {
	pools [64]sync.Pool
	live  []*[]byte // by block; nil when free
	lens  []int     // requested length by block
	free  []trace.Block
	used  uint64 // bytes of buckets in use
}

func (s *syncPoolTarget) Alloc(size uint64) (trace.Block, error) {
	n, err := goSize(size)
	if err != nil {
		return 0, err
	}
	k := max(minPoolShift, bits.Len(uint(n-1)))
	p, _ := s.pools[k].Get().(*[]byte)
	if p == nil {
		b := make([]byte, 1<<k)
		p = &b
	}
	s.used += 1 << k
	var id trace.Block
	if m := len(s.free); m > 0 {
		id = s.free[m-1]
		s.free = s.free[:m-1]
		s.live[id], s.lens[id] = p, n
	} else {
		id = trace.Block(len(s.live))
		s.live = append(s.live, p)
		s.lens = append(s.lens, n)
	}
	return id, nil
}

func (s *syncPoolTarget) Free(id trace.Block) error {
	p := s.live[id]
	k := bits.Len(uint(cap(*p))) - 1
	s.used -= 1 << k
	s.pools[k].Put(p)
	s.live[id] = nil
	s.free = append(s.free, id)
	return nil
}

func (s *syncPoolTarget) Bytes(id trace.Block) []byte { return (*s.live[id])[:s.lens[id]] }

func (s *syncPoolTarget) Span(id trace.Block) trace.Span {
	b := *s.live[id]
	return trace.Span{Off: addrOf(b), Len: uint64(cap(b))}
}

func (s *syncPoolTarget) Footprint() uint64 { return s.used }
