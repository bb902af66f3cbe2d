// Trace generators: churn, fixed sizes, binary, coalescing, random, realloc chains.

package workload

import (
	"fmt"
	"math/rand/v2"

	"github.com/memkit/memkit/trace"
)

// builder appends ops to a trace and hands out fresh IDs.
type builder struct {
	t    *trace.Trace
	next int
}

func newBuilder(name string) *builder {
	return &builder{t: &trace.Trace{Name: name, Weight: 1}}
}

func (b *builder) alloc(size uint64) int {
	id := b.next
	b.next++
	b.t.Ops = append(b.t.Ops, trace.Op{Kind: trace.Alloc, ID: id, Size: size})
	return id
}

func (b *builder) free(id int) {
	b.t.Ops = append(b.t.Ops, trace.Op{Kind: trace.Free, ID: id})
}

func (b *builder) realloc(id int, size uint64) {
	b.t.Ops = append(b.t.Ops, trace.Op{Kind: trace.Realloc, ID: id, Size: size})
}

// done frees what is still live and fills in the header hints.
func (b *builder) done() *trace.Trace {
	b.t.FreeAll()
	b.t.NumIDs = b.next
	b.t.HeapSize = b.t.Summarize().PeakLive
	return b.t
}

// ChurnTrace is the Churn stream as a trace: live blocks allocated, then
// steps of one free of a random live block and one alloc of a random size
// in [lo, hi], then everything freed.
func ChurnTrace(seed uint64, live int, lo, hi uint64, steps int) *trace.Trace {
	c := NewChurn(seed, live, lo, hi, steps)
	return churnTrace("churn/"+c.Name, c, steps)
}

// FixedTrace is ChurnTrace with every size equal to size.
func FixedTrace(seed uint64, live int, size uint64, steps int) *trace.Trace {
	c := Fixed(seed, live, size, steps)
	return churnTrace("fixed/"+c.Name, c, steps)
}

func churnTrace(name string, c Churn, steps int) *trace.Trace {
	b := newBuilder(name)
	slots := make([]int, c.Live)
	for i, size := range c.Initial {
		slots[i] = b.alloc(size)
	}
	for i := 0; i < steps; i++ {
		k := c.Victims[i&c.Mask]
		b.free(slots[k])
		slots[k] = b.alloc(c.Sizes[i&c.Mask])
	}
	return b.done()
}

// Binary is the malloc-lab "binary" pattern: n pairs of a long-lived block
// and a short-lived small one, allocated alternately; the short ones are
// freed, leaving small holes between long-lived blocks; then n blocks
// slightly too large for those holes are allocated. Sizes vary by up to
// ±1/8 around 448 (long), 64 (short) and 512 (late).
func Binary(seed uint64, n int) *trace.Trace {
	r := rand.New(rand.NewPCG(seed, 2))
	jit := func(s uint64) uint64 { return s - s/8 + r.Uint64N(s/4+1) }
	b := newBuilder(fmt.Sprintf("binary/n=%d", n))
	short := make([]int, 0, n)
	for i := 0; i < n; i++ {
		b.alloc(jit(448))
		short = append(short, b.alloc(jit(64)))
	}
	for _, id := range short {
		b.free(id)
	}
	for i := 0; i < n; i++ {
		b.alloc(jit(512))
	}
	return b.done()
}

// Coalescing is the malloc-lab "coalescing" pattern, n rounds of: allocate
// two neighbours of size s, free both, allocate one block of 2s and free
// it. An allocator that merges free neighbours reuses the same space every
// round; one that does not keeps growing.
func Coalescing(seed uint64, n int) *trace.Trace {
	r := rand.New(rand.NewPCG(seed, 3))
	b := newBuilder(fmt.Sprintf("coalescing/n=%d", n))
	keep := b.alloc(4096) // a long-lived block below the churning ones
	for i := 0; i < n; i++ {
		s := 2048 + r.Uint64N(2048)
		x, y := b.alloc(s), b.alloc(s)
		b.free(x)
		b.free(y)
		z := b.alloc(2 * s)
		b.free(z)
	}
	b.free(keep)
	return b.done()
}

// Random is the malloc-lab "random" pattern: n blocks whose allocs and
// frees are interleaved in a random order (each free after its alloc),
// with sizes uniform in [1, maxSize].
func Random(seed uint64, n int, maxSize uint64) *trace.Trace {
	r := rand.New(rand.NewPCG(seed, 4))
	b := newBuilder(fmt.Sprintf("random/n=%d/size=1-%d", n, maxSize))
	events := make([]int, 0, 2*n)
	for i := 0; i < n; i++ {
		events = append(events, i, i)
	}
	r.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	ids := make([]int, n)
	seen := make([]bool, n)
	for _, e := range events {
		if !seen[e] {
			seen[e] = true
			ids[e] = b.alloc(1 + r.Uint64N(maxSize))
		} else {
			b.free(ids[e])
		}
	}
	return b.done()
}

// Realloc is the malloc-lab "realloc" pattern: chains blocks, each grown
// by realloc in turn by 1 to 512 bytes per step, while a short-lived
// small block is allocated and the previous one freed between steps, so
// growing in place is often blocked. n is the number of steps.
func Realloc(seed uint64, chains, n int) *trace.Trace {
	r := rand.New(rand.NewPCG(seed, 5))
	b := newBuilder(fmt.Sprintf("realloc/chains=%d/n=%d", chains, n))
	ids := make([]int, chains)
	sizes := make([]uint64, chains)
	for i := range ids {
		sizes[i] = 512
		ids[i] = b.alloc(sizes[i])
	}
	small := -1
	for i := 0; i < n; i++ {
		c := i % chains
		sizes[c] += 1 + r.Uint64N(512)
		b.realloc(ids[c], sizes[c])
		s := b.alloc(16 + r.Uint64N(112))
		if small >= 0 {
			b.free(small)
		}
		small = s
	}
	return b.done()
}
