// The alloctest adapters (handles, tracked slices) and the conformance runs.

package compact

import (
	"fmt"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// handleTarget adapts a Heap to alloctest.Target with Ref = Handle. When
// pinEvery > 0, every pinEvery-th block is pinned for its whole life, so
// compactions have to work around pinned blocks.
type handleTarget struct {
	h        *Heap
	pinEvery int
	n        int
	pinned   map[Handle]bool
}

func (a *handleTarget) Alloc(size uint64) (alloctest.Ref, error) {
	hd, err := a.h.Alloc(int(min(size, 1<<40)))
	if err != nil {
		return 0, err
	}
	a.n++
	if a.pinEvery > 0 && a.n%a.pinEvery == 0 {
		if err := a.h.Pin(hd); err != nil {
			return 0, err
		}
		a.pinned[hd] = true
	}
	return alloctest.Ref(hd), nil
}

func (a *handleTarget) Free(r alloctest.Ref) error {
	hd := Handle(r)
	if a.pinned[hd] {
		// A pinned block refuses Free; check that, then unpin and free.
		if err := a.h.Free(hd); !errorsIs(err, memkit.ErrPinned) {
			return fmt.Errorf("free of pinned block: got %v, want ErrPinned", err)
		}
		if err := a.h.Unpin(hd); err != nil {
			return err
		}
		delete(a.pinned, hd)
	}
	return a.h.Free(hd)
}

// FreeInterior frees through a variable that is not tracked: a re-slice of
// the block's bytes. It must be refused.
func (a *handleTarget) FreeInterior(r alloctest.Ref, delta uint64) error {
	b, err := a.h.Bytes(Handle(r))
	if err != nil {
		return err
	}
	v := b[delta:]
	return a.h.FreeFrom(&v)
}

func (a *handleTarget) Span(r alloctest.Ref) alloctest.Span {
	b, err := a.h.Bytes(Handle(r))
	if err != nil {
		return alloctest.Span{}
	}
	return alloctest.Span{Off: uint64(a.h.tab[Handle(r).slot()].off), Len: uint64(len(b)), Data: b}
}

func (a *handleTarget) Realloc(r alloctest.Ref, size uint64) (alloctest.Ref, error) {
	return r, a.h.Realloc(Handle(r), int(min(size, 1<<40)))
}

func (a *handleTarget) Reset() { a.h.Reset(); clear(a.pinned) }

func (a *handleTarget) Check() error { return a.h.Check() }

func (a *handleTarget) Live() (int, uint64) {
	st := a.h.Stats()
	return st.Allocs, uint64(st.Requested)
}

// trackedTarget adapts a Heap through tracked slices: Ref numbers a *[]byte
// variable, and Span reads the block from that variable, so every move must
// have rewritten it.
type trackedTarget struct {
	h    *Heap
	vars map[alloctest.Ref]*[]byte
	next alloctest.Ref
}

func (a *trackedTarget) Alloc(size uint64) (alloctest.Ref, error) {
	p := new([]byte)
	if err := a.h.AllocInto(p, int(min(size, 1<<40))); err != nil {
		if *p != nil {
			return 0, fmt.Errorf("failed AllocInto set the variable")
		}
		return 0, err
	}
	a.next++
	a.vars[a.next] = p
	return a.next, nil
}

func (a *trackedTarget) Free(r alloctest.Ref) error {
	p, ok := a.vars[r]
	if !ok {
		p = new([]byte) // a variable the heap never saw
	}
	if err := a.h.FreeFrom(p); err != nil {
		return err
	}
	if *p != nil {
		return fmt.Errorf("FreeFrom left the variable non-nil")
	}
	delete(a.vars, r)
	return nil
}

func (a *trackedTarget) FreeInterior(r alloctest.Ref, delta uint64) error {
	v := (*a.vars[r])[delta:]
	return a.h.FreeFrom(&v)
}

func (a *trackedTarget) Span(r alloctest.Ref) alloctest.Span {
	p := a.vars[r]
	hd, ok := a.h.HandleOf(p)
	if !ok {
		return alloctest.Span{}
	}
	off := a.h.tab[hd.slot()].off
	if len(*p) > 0 && &(*p)[0] != &a.h.mem[off] {
		return alloctest.Span{Off: 1} // the variable was not rewritten: fails the alignment check
	}
	return alloctest.Span{Off: uint64(off), Len: uint64(len(*p)), Data: *p}
}

func (a *trackedTarget) Realloc(r alloctest.Ref, size uint64) (alloctest.Ref, error) {
	return r, a.h.ReallocInto(a.vars[r], int(min(size, 1<<40)))
}

func (a *trackedTarget) Reset() {
	a.h.Reset()
	for _, p := range a.vars {
		if *p != nil {
			panic("Reset left a tracked variable non-nil")
		}
	}
	clear(a.vars)
}

func (a *trackedTarget) Check() error { return a.h.Check() }

func (a *trackedTarget) Live() (int, uint64) {
	st := a.h.Stats()
	return st.Allocs, uint64(st.Requested)
}

var policies = []Policy{Lazy, Eager, Manual}

func newTestHeap(t testing.TB, size int, cfg Config) *Heap {
	t.Helper()
	h, err := New(make([]byte, size), cfg)
	if err != nil {
		t.Fatalf("New(%d bytes, %+v): %v", size, cfg, err)
	}
	return h
}

func TestConformance(t *testing.T) {
	ops, seeds := 2000, 8
	if raceEnabled {
		ops, seeds = 1000, 3
	}
	mix := alloctest.DefaultMix
	mix.Reset = 1
	const space = 32 << 10
	for _, pol := range policies {
		for _, c := range []struct{ pinEvery, maxAllocs int }{{0, 0}, {5, 40}} {
			name := fmt.Sprintf("policy=%v/pin-every=%d/max=%d", pol, c.pinEvery, c.maxAllocs)
			t.Run(name, func(t *testing.T) {
				alloctest.Run(t, func(t *testing.T) alloctest.Target {
					return &handleTarget{h: newTestHeap(t, space, Config{Policy: pol, MaxAllocations: c.maxAllocs}), pinEvery: c.pinEvery, pinned: map[Handle]bool{}}
				}, alloctest.Config{Space: space, Align: 16, Mix: mix, Ops: ops, Seeds: seeds, Allowed: []error{memkit.ErrPinned}})
			})
		}
		t.Run(fmt.Sprintf("policy=%v/tracked", pol), func(t *testing.T) {
			alloctest.Run(t, func(t *testing.T) alloctest.Target {
				return &trackedTarget{h: newTestHeap(t, space, Config{Policy: pol}), vars: map[alloctest.Ref]*[]byte{}}
			}, alloctest.Config{Space: space, Align: 16, Mix: mix, Ops: ops, Seeds: seeds, Allowed: []error{memkit.ErrPinned}})
		})
	}
	t.Run("align=64/keep-freed", func(t *testing.T) {
		alloctest.Run(t, func(t *testing.T) alloctest.Target {
			return &handleTarget{h: newTestHeap(t, space, Config{Align: 64, KeepFreed: true}), pinEvery: 7, pinned: map[Handle]bool{}}
		}, alloctest.Config{Space: space, Align: 64, Mix: mix, Ops: ops, Seeds: 2, Allowed: []error{memkit.ErrPinned}})
	})
}

var errPinnedOnly = []error{memkit.ErrPinned}
