// TLSF: the two-level segregated fit design, over one buffer.

package peers

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/memkit/memkit"
)

// TLSF models the two-level segregated fit allocator of Masmano et al. in
// the layout of mattconte's C implementation. What it keeps:
//
//   - in-band headers: a block's size word (bit 0: free, bit 1: previous
//     block free) sits just before its payload, and the word before that,
//     the last word of the previous block's payload, holds the previous
//     block's offset while that block is free (a boundary tag);
//   - a free block's payload holds its free-list links;
//   - a first level by power of two, 32 second-level lists per level, a
//     bitmap per level and one of levels; a search rounds the request up to
//     the next list and takes the head of the first non-empty list;
//   - 8-byte alignment, and no checks of any kind: a bad Free corrupts it.
//
// Offsets are in bytes from the start of the buffer; 0 is never a block.
type TLSF struct {
	buf   []byte
	flMap uint64
	slMap [64]uint32
	heads [64][32]uint64
}

const (
	tlsfFree     = 1
	tlsfPrevFree = 2
	tlsfMin      = 32 // smallest block: size word and two links, plus the next block's tag
)

var le = binary.LittleEndian

func (t *TLSF) word(off uint64) uint64 { return le.Uint64(t.buf[off:]) }

func (t *TLSF) put(off, v uint64) { le.PutUint64(t.buf[off:], v) }

// A block at b: its boundary tag at b, size word at b+8, payload (and,
// while free, the next and prev links) from b+16. The size counts from
// b+8 to the next block's b+8.
func (t *TLSF) size(b uint64) uint64 { return t.word(b+8) &^ 7 }

// NewTLSF formats buf (at least 64 bytes) as one free block followed by a
// used sentinel.
func NewTLSF(buf []byte) (*TLSF, error) {
	if len(buf) < 64 {
		return nil, fmt.Errorf("peers: tlsf: a %d-byte buffer holds no block: %w", len(buf), memkit.ErrInvalidConfig)
	}
	t := &TLSF{buf: buf}
	e := uint64(len(buf)-16) &^ 7 // the sentinel, size 0
	t.put(16, (e-8)|tlsfFree)
	t.put(e+8, tlsfPrevFree)
	t.put(e, 8) // the sentinel's tag names the free block at 8
	t.insert(8, e-8)
	return t, nil
}

// mapping returns the first- and second-level list of a size.
func mapping(size uint64) (int, int) {
	if size < 256 {
		return 0, int(size >> 3)
	}
	fl := bits.Len64(size) - 1
	return fl - 7, int(size>>(fl-5)) ^ 32
}

func (t *TLSF) insert(b, size uint64) {
	fl, sl := mapping(size)
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

func (t *TLSF) remove(b, size uint64) {
	fl, sl := mapping(size)
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

// Alloc returns n bytes from the head of the first non-empty list at or
// above n rounded up to its list (len n, cap the block's usable size), and
// the offset in the buffer where they start, which Free takes.
func (t *TLSF) Alloc(n int) (int, []byte, error) {
	if n <= 0 || uint64(n) > uint64(len(t.buf)) {
		return 0, nil, fmt.Errorf("peers: tlsf: alloc %d: %w", n, memkit.ErrInvalidSize)
	}
	need := max((uint64(n)+8+7)&^7, tlsfMin)
	search := need
	if need >= 256 {
		search += 1<<(bits.Len64(need)-1-5) - 1
	}
	fl, sl := mapping(search)
	m := t.slMap[fl] &^ (1<<sl - 1) // fl < 57: n fits in an int
	if m == 0 {
		f := t.flMap &^ (2<<fl - 1)
		if f == 0 {
			return 0, nil, fmt.Errorf("peers: tlsf: alloc %d: %w", n, memkit.ErrOutOfMemory)
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
		t.put(nx, r) // the remainder's tag, for the block after it
		t.insert(r, size-need)
		size = need
	} else {
		t.put(nx+8, t.word(nx+8)&^tlsfPrevFree)
	}
	t.put(b+8, size|t.word(b+8)&tlsfPrevFree)
	return int(b + 16), t.buf[b+16 : b+16+uint64(n) : b+8+size], nil
}

// Free frees the block at offset off (as Alloc returned it), merging it
// with free neighbours. Like the design, it trusts off.
func (t *TLSF) Free(off int) {
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
	t.put(b+8, size|tlsfFree)
	t.put(nx, b)
	t.put(nx+8, t.word(nx+8)|tlsfPrevFree)
	t.insert(b, size)
}
