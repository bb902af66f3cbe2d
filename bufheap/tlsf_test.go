// A benchmark peer: the TLSF design (as in mattconte/tlsf), modelled in Go over one buffer.

package bufheap

import (
	"errors"
	"math/bits"
	"testing"

	"github.com/memkit/memkit/internal/workload"
)

// tlsf models the two-level segregated fit allocator of Masmano et al. in
// the layout of mattconte's C implementation, written here from its
// description so that BenchmarkAllocFree runs the same loop over it and
// over bufheap in one process (the C figure the issue cites comes from
// another program). What it keeps:
//
//   - in-band headers: a block's size word (bit 0: free, bit 1: previous
//     block free) sits just before its payload, and the word before that,
//     the last word of the previous block's payload, holds the previous
//     block's offset while that block is free (a boundary tag);
//   - a free block's payload holds its free-list links;
//   - first level by power of two, 32 second-level lists per level, a
//     bitmap per level and one of levels; a search rounds the request up
//     to the next list and takes the head of the first non-empty list;
//   - 8-byte alignment, no checks of any kind: a bad free corrupts it.
//
// Offsets are in bytes from the start of buf; 0 is never a block.
type tlsf struct {
	buf   []byte
	flMap uint64
	slMap [64]uint32
	heads [64][32]uint64
}

const (
	tlsfFree     = 1
	tlsfPrevFree = 2
	tlsfMin      = 32 // smallest block: size word plus two links, and the next block's tag
)

func (t *tlsf) word(off uint64) uint64 { return le.Uint64(t.buf[off:]) }

func (t *tlsf) put(off, v uint64) { le.PutUint64(t.buf[off:], v) }

// A block at off: its prev-phys tag at off, size word at off+8, payload
// (and, free, the next and prev links) from off+16; the size counts from
// off+8 to the next block's off+8.
func (t *tlsf) size(b uint64) uint64 { return t.word(b+8) &^ 7 }

func (t *tlsf) next(b uint64) uint64 { return b + t.size(b) }

func newTLSF(buf []byte) *tlsf {
	t := &tlsf{buf: buf}
	// One free block at 8 over the buffer, then a used sentinel of size 0
	// at e.
	e := uint64(len(buf)-16) &^ 7
	t.put(16, (e-8)|tlsfFree)
	t.put(e+8, tlsfPrevFree)
	t.put(e, 8) // the sentinel's tag names the free block
	t.insert(8, e-8)
	return t
}

// mapping returns the lists of a size: fl, sl.
func tlsfMapping(size uint64) (int, int) {
	if size < 256 {
		return 0, int(size >> 3)
	}
	fl := bits.Len64(size) - 1
	return fl - 7, int(size>>(fl-5)) ^ 32
}

func (t *tlsf) insert(b, size uint64) {
	fl, sl := tlsfMapping(size)
	h := t.heads[fl][sl]
	t.put(b+16, h)
	t.put(b+24, 0)
	if h != 0 {
		t.put(h+24, b)
	}
	t.heads[fl][sl] = b
	t.flMap |= 1 << fl
	t.slMap[fl] |= 1 << sl
}

func (t *tlsf) remove(b, size uint64) {
	fl, sl := tlsfMapping(size)
	nx, pv := t.word(b+16), t.word(b+24)
	if nx != 0 {
		t.put(nx+24, pv)
	}
	if pv != 0 {
		t.put(pv+16, nx)
		return
	}
	t.heads[fl][sl] = nx
	if nx == 0 {
		t.slMap[fl] &^= 1 << sl
		if t.slMap[fl] == 0 {
			t.flMap &^= 1 << fl
		}
	}
}

var errTLSF = errors.New("tlsf: no block fits")

// Alloc returns n bytes from the first block of the first non-empty list
// at or above n rounded up to its list.
func (t *tlsf) Alloc(n int) ([]byte, error) {
	need := max((uint64(n)+8+7)&^7, tlsfMin)
	search := need
	if need >= 256 {
		search += 1<<(bits.Len64(need)-1-5) - 1
	}
	fl, sl := tlsfMapping(search)
	m := t.slMap[fl] &^ (1<<sl - 1)
	if m == 0 {
		f := t.flMap &^ (2<<fl - 1)
		if f == 0 {
			return nil, errTLSF
		}
		fl = bits.TrailingZeros64(f)
		m = t.slMap[fl]
	}
	sl = bits.TrailingZeros32(m)
	b := t.heads[fl][sl]
	size := t.size(b)
	t.remove(b, size)
	nx := b + size
	if size-need >= tlsfMin {
		r := b + need
		t.put(r+8, (size-need)|tlsfFree)
		t.put(nx, r) // tag of the remainder for the block after it
		t.insert(r, size-need)
		size = need
	} else {
		t.put(nx+8, t.word(nx+8)&^tlsfPrevFree)
	}
	t.put(b+8, size|t.word(b+8)&tlsfPrevFree)
	return t.buf[b+16 : b+16+uint64(n) : b+8+size], nil
}

// Free returns block p, merging it with free neighbours.
func (t *tlsf) Free(p []byte) error {
	off, ok := offsetIn(t.buf, p)
	if !ok {
		return errTLSF
	}
	b := uint64(off) - 16
	w := t.word(b + 8)
	size := w &^ 7
	if w&tlsfPrevFree != 0 {
		pb := t.word(b)
		ps := t.size(pb)
		t.remove(pb, ps)
		b, size = pb, size+ps
	}
	nx := b + size
	if nw := t.word(nx + 8); nw&tlsfFree != 0 {
		ns := nw &^ 7
		t.remove(nx, ns)
		size += ns
		nx += ns
	}
	t.put(b+8, size|tlsfFree|t.word(b+8)&tlsfPrevFree)
	t.put(nx, b)
	t.put(nx+8, t.word(nx+8)|tlsfPrevFree)
	t.insert(b, size)
	return nil
}

// TestTLSFPeer checks the benchmark peer itself: under churn the blocks it
// hands out stay inside the buffer, never overlap (each is filled with its
// own byte and checked before it is freed), and freeing everything merges
// the buffer back into one block.
func TestTLSFPeer(t *testing.T) {
	const live = 300
	buf := make([]byte, 4<<20)
	a := newTLSF(buf)
	c := workload.NewChurn(5, live, 1, 4096, 1<<12)
	slots := make([][]byte, live)
	fill := func(v int) {
		for i := range slots[v] {
			slots[v][i] = byte(v)
		}
	}
	for i, n := range c.Initial {
		var err error
		if slots[i], err = a.Alloc(int(n)); err != nil {
			t.Fatalf("initial alloc %d: %v", i, err)
		}
		fill(i)
	}
	for i := range 20000 {
		k := i & c.Mask
		v := int(c.Victims[k])
		for j, x := range slots[v] {
			if x != byte(v) {
				t.Fatalf("step %d: block %d byte %d is %d: another block overlaps it", i, v, j, x)
			}
		}
		if err := a.Free(slots[v]); err != nil {
			t.Fatal(err)
		}
		var err error
		if slots[v], err = a.Alloc(int(c.Sizes[k])); err != nil {
			t.Fatalf("step %d: alloc %d: %v", i, c.Sizes[k], err)
		}
		if len(slots[v]) != int(c.Sizes[k]) {
			t.Fatalf("step %d: got %d bytes, want %d", i, len(slots[v]), c.Sizes[k])
		}
		fill(v)
	}
	for _, s := range slots {
		a.Free(s)
	}
	e := uint64(len(buf)-16) &^ 7
	if w := a.word(16); w != (e-8)|tlsfFree {
		t.Fatalf("after freeing everything the first block's size word is %#x, want %#x", w, (e-8)|tlsfFree)
	}
}
