// Churn: the free-one, allocate-one steady-state stream.

package workload

import (
	"fmt"
	"math/rand/v2"
)

// Churn is a precomputed stream for a free-one-allocate-one loop.
type Churn struct {
	Live    int      // blocks kept live
	Initial []uint64 // sizes of the Live blocks allocated first
	Victims []uint32 // step i frees slot Victims[i&Mask] ...
	Sizes   []uint64 // ... and allocates Sizes[i&Mask] into it
	Mask    int      // len(Victims)-1; the stream repeats after that
	Name    string   // "live=N/size=LO-HI", for benchmark names
}

// NewChurn returns a churn of live blocks with sizes uniform in [lo, hi],
// repeating after steps entries (rounded up to a power of two).
func NewChurn(seed uint64, live int, lo, hi uint64, steps int) Churn {
	if live < 1 {
		live = 1
	}
	if lo < 1 {
		lo = 1
	}
	if hi < lo {
		hi = lo
	}
	n := 1
	for n < steps {
		n <<= 1
	}
	r := rand.New(rand.NewPCG(seed, uint64(live)))
	c := Churn{
		Live:    live,
		Initial: make([]uint64, live),
		Victims: make([]uint32, n),
		Sizes:   make([]uint64, n),
		Mask:    n - 1,
		Name:    fmt.Sprintf("live=%d/size=%d-%d", live, lo, hi),
	}
	for i := range c.Initial {
		c.Initial[i] = lo + r.Uint64N(hi-lo+1)
	}
	for i := range c.Victims {
		c.Victims[i] = uint32(r.IntN(live))
		c.Sizes[i] = lo + r.Uint64N(hi-lo+1)
	}
	return c
}

// Fixed returns a churn in which every size is exactly size.
func Fixed(seed uint64, live int, size uint64, steps int) Churn {
	c := NewChurn(seed, live, size, size, steps)
	c.Name = fmt.Sprintf("live=%d/size=%d", live, size)
	return c
}

// LiveCounts are the live-block counts the AllocFree benchmarks use.
var LiveCounts = []int{1000, 10000, 100000, 1000000}
