// memkit's pool: fixed-size block classes fitted to the workload with hindsight.

package targets

import (
	"fmt"
	"math/bits"

	"github.com/memkit/memkit/pool"
	"github.com/memkit/memkit/trace"
)

func init() {
	Register(Spec{Name: "pool", About: "memkit pool: O(1) fixed-size classes (16 B steps, then 4 per power of two), counts fitted to the workload's peaks",
		New: newPoolTarget})
}

// poolClassSize is the block size of class k: multiples of 16 up to 128
// bytes, then four classes per power of two (128, 160, 192, 224, 256,
// 320, ...), so successive classes are at most 25% apart from 128 on.
func poolClassSize(k int) uint64 {
	if k < 8 {
		return 16 * uint64(k+1)
	}
	j := k - 7
	base := uint64(128) << (j / 4)
	return base + base*uint64(j%4)/4
}

// poolClassOf returns the smallest class whose size is at least n.
func poolClassOf(n uint64) int {
	if n <= 128 {
		return int(max(n, 1)+15)/16 - 1
	}
	k := 8 + 4*(bits.Len64(n-1)-8)
	for poolClassSize(k) < n {
		k++
	}
	return k
}

// newPoolTarget sizes a pool for p's trace: every class that the trace
// uses, with as many blocks as it ever needs at once (a realloc, done as
// alloc-copy-free, briefly needs both). That is a best case no real
// program gets (the counts come from hindsight); it shows the cost of the
// size rounding alone.
func newPoolTarget(p Plan) (trace.Target, error) {
	if p.Trace == nil {
		return nil, fmt.Errorf("pool: the plan has no trace to fit classes to")
	}
	live := map[int]int{}
	peak := map[int]int{}
	cls := map[int]int{} // trace ID -> class of its live block
	for _, op := range p.Trace.Ops {
		switch op.Kind {
		case trace.Alloc, trace.Realloc:
			k := poolClassOf(max(op.Size, 1))
			live[k]++
			peak[k] = max(peak[k], live[k])
			if old, ok := cls[op.ID]; ok {
				live[old]--
			}
			cls[op.ID] = k
		case trace.Free:
			if old, ok := cls[op.ID]; ok {
				live[old]--
				delete(cls, op.ID)
			}
		}
	}
	if len(peak) == 0 {
		peak[0] = 1
	}
	if len(peak) > pool.MaxClasses {
		return nil, fmt.Errorf("pool: the workload needs %d classes, more than the %d a pool holds", len(peak), pool.MaxClasses)
	}
	var cfg pool.Config
	for k := 0; len(cfg.Classes) < len(peak); k++ {
		if n, ok := peak[k]; ok {
			size := poolClassSize(k)
			if size > uint64(maxInt) {
				return nil, fmt.Errorf("pool: class of %d bytes does not fit in an int", size)
			}
			cfg.Classes = append(cfg.Classes, pool.Class{Size: int(size), Count: n})
		}
	}
	cfg.Align = 16
	need, err := pool.RequiredSize(cfg)
	if err != nil {
		return nil, err
	}
	buf, err := newBuffer("pool", uint64(need))
	if err != nil {
		return nil, err
	}
	pl, err := pool.New(buf, cfg)
	if err != nil {
		return nil, err
	}
	t := &poolTarget{p: pl, buf: buf}
	t.alloc, t.free, t.base = pl.Alloc, pl.Free, addrOf(buf)
	return t, nil
}

// poolTarget's footprint is its whole buffer: every class is carved out
// in New, used or not.
type poolTarget struct {
	sliceTarget
	p   *pool.Pool
	buf []byte
}

func (p *poolTarget) Space() uint64 { return uint64(len(p.buf)) }

func (p *poolTarget) Footprint() uint64 { return uint64(len(p.buf)) }

func (p *poolTarget) Align() uint64 { return 16 }

func (p *poolTarget) Check() error { return p.p.Validate() }

func (p *poolTarget) MetadataBytes() uint64 { return uint64(p.p.Stats().Metadata) }
