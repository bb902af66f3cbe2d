// Test helpers: buffers at chosen addresses with canaries, and the alloctest adapter.

package bufheap

import (
	"bytes"
	"testing"

	"github.com/memkit/memkit/internal/alloctest"
)

const canaryLen = 64

// guarded is a buffer whose address is ≡ mod (mod 64), with canary bytes
// on both sides that nothing may touch.
type guarded struct {
	all      []byte
	lo, size int
}

func newGuarded(size, mod int) *guarded {
	all := make([]byte, size+3*canaryLen)
	lo := canaryLen
	for (int(addrOf(all[lo:]))-mod)%canaryLen != 0 {
		lo++
	}
	g := &guarded{all: all, lo: lo, size: size}
	for i := range all[:lo] {
		all[i] = 0xA5
	}
	for i := range all[lo+size:] {
		all[lo+size+i] = 0x5A
	}
	return g
}

func (g *guarded) buf() []byte { return g.all[g.lo : g.lo+g.size : g.lo+g.size] }

func (g *guarded) intact() bool {
	return bytes.Count(g.all[:g.lo], []byte{0xA5}) == g.lo &&
		bytes.Count(g.all[g.lo+g.size:], []byte{0x5A}) == len(g.all)-g.lo-g.size
}

// mustNew formats a fresh aligned buffer.
func mustNew(t testing.TB, size int, cfg Config) *Heap {
	t.Helper()
	h, err := New(newGuarded(size, 0).buf(), cfg)
	if err != nil {
		t.Fatalf("New(%d bytes, %+v): %v", size, cfg, err)
	}
	return h
}

func mustCheck(t testing.TB, h *Heap) {
	t.Helper()
	if err := h.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

// target adapts a Heap to alloctest.Target; a Ref is a payload offset.
type target struct {
	h      *Heap
	blocks map[alloctest.Ref][]byte
}

func newTarget(h *Heap) *target { return &target{h: h, blocks: map[alloctest.Ref][]byte{}} }

func (t *target) Alloc(size uint64) (alloctest.Ref, error) {
	b, err := t.h.Alloc(int(size))
	if err != nil {
		return 0, err
	}
	off, err := t.h.Offset(b)
	if err != nil {
		return 0, err
	}
	t.blocks[alloctest.Ref(off)] = b
	return alloctest.Ref(off), nil
}

// sliceAt is a one-byte slice of the buffer at off, the way a stale copy
// of a freed block looks.
func (t *target) sliceAt(off uint64) []byte { return t.h.buf[off : off+1] }

func (t *target) Free(r alloctest.Ref) error {
	b, ok := t.blocks[r]
	if !ok {
		b = t.sliceAt(uint64(r))
	}
	if err := t.h.Free(b); err != nil {
		return err
	}
	delete(t.blocks, r)
	return nil
}

func (t *target) FreeInterior(r alloctest.Ref, delta uint64) error {
	return t.h.Free(t.sliceAt(uint64(r) + delta))
}

func (t *target) Realloc(r alloctest.Ref, size uint64) (alloctest.Ref, error) {
	b, err := t.h.Realloc(t.blocks[r], int(size))
	if err != nil {
		return 0, err
	}
	off, err := t.h.Offset(b)
	if err != nil {
		return 0, err
	}
	delete(t.blocks, r)
	t.blocks[alloctest.Ref(off)] = b
	return alloctest.Ref(off), nil
}

func (t *target) Span(r alloctest.Ref) alloctest.Span {
	b := t.blocks[r]
	return alloctest.Span{Off: uint64(r), Len: uint64(cap(b)), Data: b[:cap(b)]}
}

func (t *target) Check() error { return t.h.Check() }

func (t *target) Reset() {
	t.h.Reset()
	clear(t.blocks)
}

func (t *target) Live() (int, uint64) {
	s := t.h.Stats()
	return s.AllocatedChunks, uint64(s.AllocatedSize)
}
