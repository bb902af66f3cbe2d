// The conformance runner: an op stream applied to an allocator and a model.

package alloctest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/memkit/memkit"
)

// Ref names a live block to the adapter: an offset, an address, a handle;
// whatever the allocator hands out, as a number.
type Ref uint64

// Target is the adapter an allocator's test provides.
type Target interface {
	// Alloc allocates size bytes.
	Alloc(size uint64) (Ref, error)
	// Free frees the block r names.
	Free(r Ref) error
	// Span says where the live block r lies now. It is called for every
	// live block after every op, so a block that moved is found again.
	Span(r Ref) Span
	// Check is the allocator's own full consistency check.
	Check() error
}

// Reallocator is a Target with realloc. On success the returned Ref names
// the block from then on (it may equal r); on failure r stays valid and
// unchanged.
type Reallocator interface {
	Realloc(r Ref, size uint64) (Ref, error)
}

// AlignedAllocator is a Target that takes a per-call alignment.
type AlignedAllocator interface {
	AllocAligned(size, align uint64) (Ref, error)
}

// InteriorFreer is a Target that can be handed a reference delta bytes
// inside a live block (0 < delta < the block's length), to check that the
// allocator refuses it.
type InteriorFreer interface {
	FreeInterior(r Ref, delta uint64) error
}

// Resetter is a Target that can free every block at once.
type Resetter interface {
	Reset()
}

// Counter is a Target whose statistics can be compared with a recount:
// live blocks, and the sum of their usable lengths (Span.Len).
type Counter interface {
	Live() (blocks int, bytes uint64)
}

// Config describes the target to Exec and Run.
type Config struct {
	// Space is the size of the managed space (Span.Off + Span.Len ≤ Space);
	// 0 when unbounded (addresses).
	Space uint64
	// Align is the alignment every Span.Off must have (0: none checked).
	Align uint64
	// Mix is the op mix for Run (zero: DefaultMix).
	Mix Mix
	// Ops is the length of each stream in Run (0: 2000); Seeds the number
	// of streams (0: 20).
	Ops, Seeds int
	// FullVerifyBytes: when live bytes are at most this, every live block's
	// contents are verified after every op; otherwise only the touched ones
	// are, and all of them every 64 ops. 0 means 1 MiB.
	FullVerifyBytes uint64
	// Allowed lists the errors an Alloc or Realloc may return for a valid
	// request besides ErrOutOfMemory and ErrNoMetadata.
	Allowed []error
}

// Run applies cfg.Seeds generated streams, each to a fresh target, and
// checks every op. Seeds are logged so a failure can be replayed.
func Run(t *testing.T, newTarget func(t *testing.T) Target, cfg Config) {
	t.Helper()
	mix := cfg.Mix
	if mix == (Mix{}) {
		mix = DefaultMix
	}
	ops, seeds := cfg.Ops, cfg.Seeds
	if ops == 0 {
		ops = 2000
	}
	if seeds == 0 {
		seeds = 20
	}
	if testing.Short() && seeds > 4 {
		seeds = 4
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			Exec(t, newTarget(t), Generate(seed, ops, mix), cfg)
		})
	}
}

// block is the model's record of one live block.
type block struct {
	ref  Ref
	size uint64 // requested bytes (the pattern covers these)
	seed uint64
}

// Exec applies ops to target and to a model, failing t at the first
// difference. At the end every block is freed and Check must pass.
func Exec(t testing.TB, target Target, ops []Op, cfg Config) {
	t.Helper()
	e := executor{t: t, target: target, cfg: cfg, byRef: map[Ref]int{}}
	if e.cfg.FullVerifyBytes == 0 {
		e.cfg.FullVerifyBytes = 1 << 20
	}
	for i, op := range ops {
		e.step = i
		e.apply(op)
		e.verify(i%64 == 63)
	}
	for len(e.live) > 0 {
		e.step = len(ops)
		e.free(0)
	}
	e.verify(true)
}

type executor struct {
	t      testing.TB
	target Target
	cfg    Config
	live   []block
	byRef  map[Ref]int // index into live
	seed   uint64
	step   int
	spans  []Span
}

func (e *executor) failf(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf("op %d: %s", e.step, fmt.Sprintf(format, args...))
}

func (e *executor) apply(op Op) {
	e.t.Helper()
	switch op.Kind {
	case OpAlloc:
		e.alloc(op.Size, op.Align)
	case OpFree:
		if len(e.live) > 0 {
			e.free(op.Index % len(e.live))
		}
	case OpRealloc:
		if len(e.live) > 0 {
			e.realloc(op.Index%len(e.live), op.Size)
		}
	case OpDoubleFree:
		if len(e.live) > 0 {
			r := e.free(op.Index % len(e.live))
			if _, ok := e.byRef[r]; ok {
				return // the ref is live again (cannot happen after a plain free, but be exact)
			}
			if err := e.target.Free(r); !errors.Is(err, memkit.ErrInvalidFree) {
				e.failf("second free of ref %#x: got %v, want an error wrapping ErrInvalidFree or ErrDoubleFree", r, err)
			}
		}
	case OpInteriorFree:
		f, ok := e.target.(InteriorFreer)
		if !ok || len(e.live) == 0 {
			return
		}
		b := e.live[op.Index%len(e.live)]
		sp := e.target.Span(b.ref)
		if sp.Len < 2 {
			return
		}
		delta := 1 + op.Delta%(sp.Len-1)
		if err := f.FreeInterior(b.ref, delta); !errors.Is(err, memkit.ErrInvalidFree) {
			e.failf("free of ref %#x+%d (interior): got %v, want an error wrapping ErrInvalidFree", b.ref, delta, err)
		}
	case OpReset:
		r, ok := e.target.(Resetter)
		if !ok {
			return
		}
		r.Reset()
		e.live = e.live[:0]
		clear(e.byRef)
	}
}

// acceptable reports whether err is a legitimate refusal of a valid request.
func (e *executor) acceptable(err error) bool {
	if errors.Is(err, memkit.ErrOutOfMemory) || errors.Is(err, memkit.ErrNoMetadata) {
		return true
	}
	for _, a := range e.cfg.Allowed {
		if errors.Is(err, a) {
			return true
		}
	}
	return false
}

func (e *executor) alloc(size, align uint64) {
	e.t.Helper()
	var r Ref
	var err error
	if aa, ok := e.target.(AlignedAllocator); ok && align > 0 {
		r, err = aa.AllocAligned(size, align)
	} else {
		align = 0
		r, err = e.target.Alloc(size)
	}
	if err != nil {
		if !e.acceptable(err) {
			e.failf("alloc(%d): unexpected error %v", size, err)
		}
		return
	}
	if _, dup := e.byRef[r]; dup {
		e.failf("alloc(%d) returned ref %#x, which is already live", size, r)
	}
	sp := e.target.Span(r)
	if sp.Len < size {
		e.failf("alloc(%d) at %#x: usable length %d < request", size, sp.Off, sp.Len)
	}
	if align > 0 && sp.Off%align != 0 {
		e.failf("alloc(%d, align %d) = %#x: misaligned", size, align, sp.Off)
	}
	e.seed++
	b := block{ref: r, size: size, seed: e.seed}
	if sp.Data != nil {
		if uint64(len(sp.Data)) < size {
			e.failf("alloc(%d): Data has %d bytes", size, len(sp.Data))
		}
		Fill(sp.Data[:size], b.seed)
	}
	e.byRef[r] = len(e.live)
	e.live = append(e.live, b)
}

// free frees live block i (verifying it first) and returns its ref.
func (e *executor) free(i int) Ref {
	e.t.Helper()
	b := e.live[i]
	e.verifyBlock(b)
	if err := e.target.Free(b.ref); err != nil {
		e.failf("free of live ref %#x (size %d): %v", b.ref, b.size, err)
	}
	e.remove(i)
	return b.ref
}

func (e *executor) remove(i int) {
	b := e.live[i]
	last := len(e.live) - 1
	e.live[i] = e.live[last]
	e.byRef[e.live[i].ref] = i
	e.live = e.live[:last]
	delete(e.byRef, b.ref)
}

func (e *executor) realloc(i int, size uint64) {
	e.t.Helper()
	ra, ok := e.target.(Reallocator)
	if !ok {
		return
	}
	b := e.live[i]
	e.verifyBlock(b)
	r, err := ra.Realloc(b.ref, size)
	if err != nil {
		if !e.acceptable(err) {
			e.failf("realloc(ref %#x, %d): unexpected error %v", b.ref, size, err)
		}
		e.verifyBlock(b) // on failure the old block is untouched
		return
	}
	if other, dup := e.byRef[r]; dup && other != i {
		e.failf("realloc(ref %#x, %d) returned ref %#x of another live block", b.ref, size, r)
	}
	sp := e.target.Span(r)
	if sp.Len < size {
		e.failf("realloc(%d) at %#x: usable length %d < request", size, sp.Off, sp.Len)
	}
	keep := min(size, b.size)
	if sp.Data != nil {
		if err := Verify(sp.Data[:keep], b.seed); err != nil {
			e.failf("realloc(ref %#x, %d -> %d): contents not kept: %v", b.ref, b.size, size, err)
		}
	}
	delete(e.byRef, b.ref)
	e.seed++
	nb := block{ref: r, size: size, seed: e.seed}
	if sp.Data != nil {
		Fill(sp.Data[:size], nb.seed)
	}
	e.live[i] = nb
	e.byRef[r] = i
}

func (e *executor) verifyBlock(b block) {
	e.t.Helper()
	sp := e.target.Span(b.ref)
	if sp.Data == nil {
		return
	}
	if uint64(len(sp.Data)) < b.size {
		e.failf("block %#x: Data has %d bytes, want at least %d", b.ref, len(sp.Data), b.size)
	}
	if err := Verify(sp.Data[:b.size], b.seed); err != nil {
		e.failf("block %#x (size %d) at %#x disturbed: %v", b.ref, b.size, sp.Off, err)
	}
}

// verify checks layout, the allocator's Check and statistics after an op;
// contents too when they are small or when all is set.
func (e *executor) verify(all bool) {
	e.t.Helper()
	e.spans = e.spans[:0]
	var liveBytes, usable uint64
	for _, b := range e.live {
		sp := e.target.Span(b.ref)
		e.spans = append(e.spans, sp)
		liveBytes += b.size
		usable += sp.Len
	}
	if err := CheckSpans(e.spans, e.cfg.Space, e.cfg.Align); err != nil {
		e.failf("layout: %v", err)
	}
	if all || liveBytes <= e.cfg.FullVerifyBytes {
		for _, b := range e.live {
			e.verifyBlock(b)
		}
	}
	if err := e.target.Check(); err != nil {
		e.failf("Check: %v", err)
	}
	if c, ok := e.target.(Counter); ok {
		n, bytes := c.Live()
		if n != len(e.live) || bytes != usable {
			e.failf("statistics: %d live blocks, %d bytes; recount: %d blocks, %d bytes", n, bytes, len(e.live), usable)
		}
	}
}
