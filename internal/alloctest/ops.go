// Op streams: seeded generation and decoding of fuzz bytes.

package alloctest

import (
	"fmt"
	"math/rand/v2"
)

// OpKind is what one Op does.
type OpKind uint8

const (
	// OpAlloc allocates Size bytes (aligned to Align when Align > 0 and the
	// target implements AlignedAllocator).
	OpAlloc OpKind = iota
	// OpFree frees live block number Index modulo the live count.
	OpFree
	// OpRealloc resizes live block Index to Size bytes.
	OpRealloc
	// OpDoubleFree frees live block Index, then frees the same reference
	// again: the second call must fail and change nothing.
	OpDoubleFree
	// OpInteriorFree frees a reference Delta bytes inside live block Index
	// (Delta taken modulo its size, never 0): it must fail and change nothing.
	OpInteriorFree
	// OpReset frees everything at once (targets implementing Resetter).
	OpReset
	numKinds
)

var kindNames = [...]string{"alloc", "free", "realloc", "double-free", "interior-free", "reset"}

func (k OpKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("OpKind(%d)", k)
}

// Op is one step of a stream.
type Op struct {
	Kind  OpKind
	Size  uint64 // bytes, for OpAlloc and OpRealloc
	Align uint64 // power of two or 0, for OpAlloc
	Index int    // which live block, modulo the live count
	Delta uint64 // offset into the block, for OpInteriorFree
}

func (o Op) String() string {
	switch o.Kind {
	case OpAlloc:
		if o.Align > 0 {
			return fmt.Sprintf("alloc(%d, align %d)", o.Size, o.Align)
		}
		return fmt.Sprintf("alloc(%d)", o.Size)
	case OpRealloc:
		return fmt.Sprintf("realloc(#%d, %d)", o.Index, o.Size)
	case OpInteriorFree:
		return fmt.Sprintf("interior-free(#%d+%d)", o.Index, o.Delta)
	case OpReset:
		return "reset"
	}
	return fmt.Sprintf("%v(#%d)", o.Kind, o.Index)
}

// Mix sets the relative weight of each kind in a stream and the sizes drawn.
// Weights are small integers; a zero weight leaves the kind out.
type Mix struct {
	Alloc, Free, Realloc, DoubleFree, InteriorFree, Reset int
	// MinSize and MaxSize bound request sizes (MinSize 0 means 1). Sizes are
	// drawn log-uniformly, so small and large sizes both occur often.
	MinSize, MaxSize uint64
	// MaxAlign > 0 makes a quarter of allocations ask for a random power of
	// two alignment up to MaxAlign.
	MaxAlign uint64
}

// DefaultMix is a churn with every kind present, sizes 1..4096.
var DefaultMix = Mix{Alloc: 8, Free: 5, Realloc: 2, DoubleFree: 1, InteriorFree: 1, MaxSize: 4096}

func (m Mix) weights() [numKinds]int {
	return [numKinds]int{m.Alloc, m.Free, m.Realloc, m.DoubleFree, m.InteriorFree, m.Reset}
}

func (m Mix) bounds() (lo, hi uint64) {
	lo, hi = m.MinSize, m.MaxSize
	if lo == 0 {
		lo = 1
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// source is what Generate and Decode draw numbers from.
type source interface{ next() uint64 }

type randSource struct{ r *rand.Rand }

func (s randSource) next() uint64 { return s.r.Uint64() }

// byteSource reads fuzz bytes little-endian, two at a time; past the end it
// yields zeros and reports exhaustion.
type byteSource struct {
	b   []byte
	pos int
}

func (s *byteSource) next() uint64 {
	var v uint64
	for i := 0; i < 2; i++ {
		if s.pos < len(s.b) {
			v |= uint64(s.b[s.pos]) << (8 * i)
			s.pos++
		}
	}
	return v
}

func (m Mix) op(src source) Op {
	w := m.weights()
	total := 0
	for _, x := range w {
		total += x
	}
	if total == 0 {
		w[OpAlloc], total = 1, 1
	}
	pick := int(src.next() % uint64(total))
	kind := OpAlloc
	for k, x := range w {
		if pick < x {
			kind = OpKind(k)
			break
		}
		pick -= x
	}
	op := Op{Kind: kind, Index: int(src.next() & 0x7fff)}
	switch kind {
	case OpAlloc, OpRealloc:
		op.Size = m.size(src)
		if kind == OpAlloc && m.MaxAlign > 0 && src.next()%4 == 0 {
			op.Align = 1 << (src.next() % uint64(log2(m.MaxAlign)+1))
		}
	case OpInteriorFree:
		op.Delta = src.next()
	}
	return op
}

// size draws a log-uniform size in [lo, hi].
func (m Mix) size(src source) uint64 {
	lo, hi := m.bounds()
	span := hi - lo
	if span == 0 {
		return lo
	}
	bitsN := uint64(log2(span) + 1)
	e := src.next() % (bitsN + 1)
	v := src.next() | src.next()<<16 | src.next()<<32
	if e < 64 {
		v &= 1<<e - 1
	}
	return lo + v%(span+1)
}

func log2(x uint64) int {
	n := -1
	for x != 0 {
		x >>= 1
		n++
	}
	return n
}

// Generate returns n ops drawn from mix with the given seed. The same seed
// and mix always give the same stream.
func Generate(seed uint64, n int, mix Mix) []Op {
	src := randSource{rand.New(rand.NewPCG(seed, 0x6d656d6b6974))}
	ops := make([]Op, n)
	for i := range ops {
		ops[i] = mix.op(src)
	}
	return ops
}

// Decode turns fuzz bytes into an op stream drawn from mix: about one op per
// eight bytes, at most maxOps. Any input decodes to a valid stream.
func Decode(data []byte, mix Mix, maxOps int) []Op {
	src := &byteSource{b: data}
	var ops []Op
	for src.pos < len(data) && len(ops) < maxOps {
		ops = append(ops, mix.op(src))
	}
	return ops
}
