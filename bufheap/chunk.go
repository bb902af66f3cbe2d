// Chunks: reading and writing sealed headers and links, free lists and the class bitmap.

package bufheap

import (
	"fmt"
	"math/bits"

	"github.com/memkit/memkit"
)

func corruptAt(pos int, what string) error {
	return fmt.Errorf("bufheap: chunk at %#x: %s: %w", pos, what, memkit.ErrCorrupt)
}

func unitsOf(v uint64) uint64 { return v >> unitShift }

// sh is log2(Align) for shifts: the mask (a no-op, shift is 3 or 4) tells
// the compiler that the count is below 64, so it drops the extra
// instructions Go's semantics of oversized shifts would need.
func (h *Heap) sh() uint { return h.shift & 63 }

// The fast validators below are small enough to be inlined into the hot
// paths. They only say whether a word is good; on false the caller asks
// the full validator (chunk, freeChunk, link) for the error, which checks
// at least as much, so both agree on what is valid.

// hdrWord validates w as the header word of a chunk at pos: pos is a unit
// boundary where a chunk of the smallest size fits, the seal matches, and
// the size is at least the smallest and keeps the chunk inside the chunk
// area. The flags are the caller's to check (a free chunk's are 0). The
// sentinel at end does not pass.
func (h *Heap) hdrWord(pos int, w uint64) (uint64, bool) {
	// A rotation moves the bits below the unit to the top, so one compare
	// checks both the range and the alignment.
	o := bits.RotateLeft64(uint64(pos-h.first), -int(h.shift))
	v := w & hdrValMask
	return v, o <= h.lastPos && (w^mixHdr(pos, v))&^hdrValMask == 0 && v>>unitShift-h.minU <= h.lastPos-o
}

// hdrFast loads the header at pos and validates it like hdrWord. Any pos
// is safe: the range check comes before the load.
func (h *Heap) hdrFast(pos int) (uint64, bool) {
	o := bits.RotateLeft64(uint64(pos-h.first), -int(h.shift))
	if o > h.lastPos {
		return 0, false
	}
	w := le.Uint64(h.buf[pos:])
	v := w & hdrValMask
	return v, (w^mixHdr(pos, v))&^hdrValMask == 0 && v>>unitShift-h.minU <= h.lastPos-o
}

// linkFast reads the link word at pos and returns the header offset it
// names (0 for none) and whether its seal and range are good.
func (h *Heap) linkFast(pos int) (int, bool) {
	w := le.Uint64(h.buf[pos:])
	v := w & linkValMask
	t := h.first + int((v-1)<<(h.shift&63))
	if v == 0 {
		t = 0
	}
	return t, w == sealLink(pos, v) && v <= h.linkLim // 0 (none) or 1..linkLim
}

// chunk reads and validates the header at pos: the position is a chunk
// boundary inside the chunk area, the seal matches, and the size keeps the
// chunk inside it (the sentinel at end has size 0 and is allocated). The
// common case is small enough to be inlined; the rest is chunkSlow.
func (h *Heap) chunk(pos int) (uint64, error) {
	// One unsigned compare for first ≤ pos < end.
	if off := uint(pos - h.g.first); off < h.areaLen && off&h.unitMask == 0 {
		w := le.Uint64(h.buf[pos:])
		v := w & hdrValMask
		if u := v >> unitShift; (w^mixHdr(pos, v))&^hdrValMask == 0 && u >= h.minU && u <= uint64(h.areaLen-off)>>h.sh() && (v&flagAlloc != 0 || v&7 == 0) {
			return v, nil
		}
	}
	return h.chunkSlow(pos)
}

// chunkWord is chunk for a header word w the caller already loaded from
// pos (which must lie inside the chunk area, sentinel included), with no
// write to pos since.
func (h *Heap) chunkWord(pos int, w uint64) (uint64, error) {
	if off := uint(pos - h.g.first); off < h.areaLen && off&h.unitMask == 0 {
		v := w & hdrValMask
		if u := v >> unitShift; (w^mixHdr(pos, v))&^hdrValMask == 0 && u >= h.minU && u <= uint64(h.areaLen-off)>>h.sh() && (v&flagAlloc != 0 || v&7 == 0) {
			return v, nil
		}
	}
	return h.chunkSlow(pos)
}

func (h *Heap) chunkSlow(pos int) (uint64, error) {
	if pos < h.g.first || pos > h.g.end || (pos-h.g.first)&(1<<h.sh()-1) != 0 {
		return 0, corruptAt(pos, "not a chunk position")
	}
	w := le.Uint64(h.buf[pos:])
	v := w & hdrValMask
	if w != sealHdr(pos, v) {
		return 0, corruptAt(pos, fmt.Sprintf("header %#016x fails its check", w))
	}
	u := unitsOf(v)
	switch {
	case pos == h.g.end:
		if u != 0 || v&(flagAlloc|flagPersist) != flagAlloc {
			return 0, corruptAt(pos, "bad end sentinel")
		}
	case u < h.minU || u > uint64(h.g.end-pos)>>h.sh():
		return 0, corruptAt(pos, fmt.Sprintf("size of %d units does not fit", u))
	case v&flagAlloc == 0 && v&(flagPersist|flagPrevFree) != 0:
		return 0, corruptAt(pos, "free chunk with allocated-only or prev-free flags")
	}
	return v, nil
}

// freeChunk is chunk plus "it is free".
func (h *Heap) freeChunk(pos int) (uint64, error) {
	v, err := h.chunk(pos)
	if err == nil && v&flagAlloc != 0 {
		err = corruptAt(pos, "free list names an allocated chunk")
	}
	return v, err
}

// tombValue marks the header of a chunk that coalescing absorbed: no real
// chunk has it (a free chunk is never persistent), so chunk() rejects it,
// and a later free of the old block is told apart from an interior slice.
const tombValue = flagPersist

func (h *Heap) tomb(pos int) { le.PutUint64(h.buf[pos:], sealHdr(pos, tombValue)) }

func (h *Heap) putHdr(pos int, v uint64) { le.PutUint64(h.buf[pos:], sealHdr(pos, v)) }

// makeFree writes the header and footer of a free chunk (whose previous
// neighbour is allocated, as coalescing guarantees).
func (h *Heap) makeFree(pos int, units uint64) {
	w := sealHdr(pos, units<<unitShift)
	le.PutUint64(h.buf[pos:], w)
	le.PutUint64(h.buf[pos+int(units<<h.sh())-hdrSize:], w)
}

func (h *Heap) slot(k int) int { return h.g.headsOff + 8*(k-h.g.kmin) }

// link reads the link word at pos: 0 or the header offset it names. The
// common case (seal and range good) is small enough to be inlined; linkSlow
// says what is wrong otherwise.
func (h *Heap) link(pos int) (int, error) {
	w := le.Uint64(h.buf[pos:])
	if v := w & linkValMask; w == sealLink(pos, v) {
		if v-1 < h.linkLim {
			return h.g.first + int((v-1)<<h.sh()), nil
		}
		if v == 0 {
			return 0, nil
		}
	}
	return h.linkSlow(pos)
}

func (h *Heap) linkSlow(pos int) (int, error) {
	w := le.Uint64(h.buf[pos:])
	v := w & linkValMask
	if w != sealLink(pos, v) {
		return 0, fmt.Errorf("bufheap: link at %#x: word %#016x fails its check: %w", pos, w, memkit.ErrCorrupt)
	}
	if v == 0 {
		return 0, nil
	}
	if v-1 >= h.linkLim {
		return 0, fmt.Errorf("bufheap: link at %#x: target unit %d past the end: %w", pos, v-1, memkit.ErrCorrupt)
	}
	return h.g.first + int((v-1)<<h.sh()), nil
}

// linkRaw decodes a link word this call already validated or wrote.
func (h *Heap) linkRaw(pos int) int {
	v := le.Uint64(h.buf[pos:]) & linkValMask
	if v == 0 {
		return 0
	}
	return h.g.first + int((v-1)<<h.sh())
}

func (h *Heap) setLink(pos, target int) {
	var v uint64
	if target != 0 {
		v = uint64(target-h.g.first)>>h.sh() + 1
	}
	le.PutUint64(h.buf[pos:], sealLink(pos, v))
}

// nbrs are a free chunk's list neighbours as checkUnlink validated them,
// so that unlink need not decode them again: next is 0 at the end of the
// list, prev is 0 when the chunk is the first of its list (whose own back
// link word is then unspecified and never read).
type nbrs struct{ next, prev int }

// checkUnlink validates everything unlink(pos, k) will read or write: the
// next link of pos and, unless pos is the first of its list (the class
// head names it), its back link, the previous chunk's forward link and the
// next chunk's back link. Taking the first chunk of a list touches nothing
// but pos and the head: its successor's back link is left as it is.
func (h *Heap) checkUnlink(pos, k int) (nbrs, error) {
	next, ok := h.linkFast(pos + 8)
	head, ok2 := h.linkFast(h.slot(k))
	if !ok || !ok2 {
		return h.checkUnlinkSlow(pos, k)
	}
	if head == pos {
		return nbrs{next, 0}, nil
	}
	prev, ok := h.linkFast(pos + 16)
	if !ok || prev == 0 {
		return h.checkUnlinkSlow(pos, k)
	}
	if pv, ok := h.hdrFast(prev); !ok || pv&7 != 0 {
		return h.checkUnlinkSlow(pos, k)
	}
	if fwd, ok := h.linkFast(prev + 8); !ok || fwd != pos {
		return h.checkUnlinkSlow(pos, k)
	}
	if next != 0 {
		if nv, ok := h.hdrFast(next); !ok || nv&7 != 0 {
			return h.checkUnlinkSlow(pos, k)
		}
		if back, ok := h.linkFast(next + 16); !ok || back != pos {
			return h.checkUnlinkSlow(pos, k)
		}
	}
	return nbrs{next, prev}, nil
}

// checkUnlinkSlow is checkUnlink with the errors.
func (h *Heap) checkUnlinkSlow(pos, k int) (nbrs, error) {
	next, err := h.link(pos + 8)
	if err != nil {
		return nbrs{}, err
	}
	head, err := h.link(h.slot(k))
	if err != nil {
		return nbrs{}, err
	}
	if head == pos {
		return nbrs{next, 0}, nil
	}
	prev, err := h.link(pos + 16)
	if err != nil {
		return nbrs{}, err
	}
	if prev == 0 {
		return nbrs{}, corruptAt(pos, fmt.Sprintf("no back link, but class %d head is %#x", k, head))
	}
	if _, err := h.freeChunk(prev); err != nil {
		return nbrs{}, err
	}
	if fwd, err := h.link(prev + 8); err != nil || fwd != pos {
		return nbrs{}, corruptAt(prev, fmt.Sprintf("free list link %#x, want %#x", fwd, pos))
	}
	if next != 0 {
		if _, err := h.freeChunk(next); err != nil {
			return nbrs{}, err
		}
		if back, err := h.link(next + 16); err != nil || back != pos {
			return nbrs{}, corruptAt(next, fmt.Sprintf("free list back link %#x, want %#x", back, pos))
		}
	}
	return nbrs{next, prev}, nil
}

// firstNext returns the neighbours of pos, the first chunk of its list,
// for unlink: checkUnlink when the caller already knows pos is first.
func (h *Heap) firstNext(pos int) (nbrs, error) {
	next, ok := h.linkFast(pos + 8)
	if !ok {
		var err error
		if next, err = h.linkSlow(pos + 8); err != nil {
			return nbrs{}, err
		}
	}
	return nbrs{next, 0}, nil
}

// unlink removes free chunk pos, whose neighbours checkUnlink(pos, k)
// returned as n, from class k's list.
func (h *Heap) unlink(k int, n nbrs) {
	if n.prev != 0 {
		h.setLink(n.prev+8, n.next)
		if n.next != 0 {
			h.setLink(n.next+16, n.prev)
		}
		return
	}
	// The successor becomes the first: its back link is no longer read.
	h.setLink(h.slot(k), n.next)
	if n.next == 0 {
		h.clearBit(k)
	}
}

// checkHead validates the head of class k before insertFree writes its
// back link, and returns it (0: empty list).
func (h *Heap) checkHead(k int) (int, error) {
	if head, ok := h.linkFast(h.slot(k)); ok {
		if head == 0 {
			return 0, nil
		}
		if v, ok := h.hdrFast(head); ok && v&7 == 0 {
			return head, nil
		}
	}
	head, err := h.link(h.slot(k))
	if err != nil || head == 0 {
		return 0, err
	}
	if _, err := h.freeChunk(head); err != nil {
		return 0, err
	}
	return head, nil
}

// afterUnlink returns the first chunk of a list whose first chunk is head
// once pos, which checkUnlink validated as n, is unlinked from it. A new
// first chunk is validated here: checkUnlink does not look at the
// successor of a first chunk.
func (h *Heap) afterUnlink(head, pos int, n nbrs) (int, error) {
	if head != pos {
		return head, nil
	}
	if n.next != 0 {
		if v, ok := h.hdrFast(n.next); !ok || v&7 != 0 {
			if _, err := h.freeChunk(n.next); err != nil {
				return 0, err
			}
		}
	}
	return n.next, nil
}

// insertFree pushes free chunk pos onto the list of its class k, whose
// head checkHead(k) returned as old. The back link of pos is not written:
// the first chunk of a list has none.
func (h *Heap) insertFree(pos, k, old int) {
	h.setLink(pos+8, old)
	h.setLink(h.slot(k), pos)
	if old != 0 {
		h.setLink(old+16, pos)
	} else {
		h.setBit(k) // a list that was not empty has its bit already
	}
}

func (h *Heap) setBit(k int) {
	p := ctlWords + 8*(k>>6)
	le.PutUint64(h.buf[p:], le.Uint64(h.buf[p:])|1<<(k&63))
	le.PutUint64(h.buf[ctlTop:], le.Uint64(h.buf[ctlTop:])|1<<(k>>6))
}

func (h *Heap) clearBit(k int) {
	p := ctlWords + 8*(k>>6)
	w := le.Uint64(h.buf[p:]) &^ (1 << (k & 63))
	le.PutUint64(h.buf[p:], w)
	if w == 0 {
		le.PutUint64(h.buf[ctlTop:], le.Uint64(h.buf[ctlTop:])&^(1<<(k>>6)))
	}
}

var errBitmap = fmt.Errorf("bufheap: class bitmap names a class that does not exist or has no chunk: %w", memkit.ErrCorrupt)

// nextClass returns the first class ≥ from whose bit is set.
func (h *Heap) nextClass(from int) (int, bool, error) {
	if from >= h.g.classes {
		return 0, false, nil
	}
	i := from >> 6
	if w := le.Uint64(h.buf[ctlWords+8*i:]) >> (from & 63) << (from & 63); w != 0 {
		k := i<<6 + bits.TrailingZeros64(w)
		if k >= h.g.classes || k < h.g.kmin {
			return 0, false, errBitmap
		}
		return k, true, nil
	}
	i++
	if i >= h.g.nWords {
		return 0, false, nil
	}
	t := le.Uint64(h.buf[ctlTop:]) >> i << i
	if t == 0 {
		return 0, false, nil
	}
	j := bits.TrailingZeros64(t)
	if j >= h.g.nWords {
		return 0, false, errBitmap
	}
	w := le.Uint64(h.buf[ctlWords+8*j:])
	k := j<<6 + bits.TrailingZeros64(w)
	if w == 0 || k >= h.g.classes || k < h.g.kmin {
		return 0, false, errBitmap
	}
	return k, true, nil
}

// largestFree returns the usable size of the largest free chunk (0 when
// none, or when the lists are damaged: Check reports that).
func (h *Heap) largestFree() int {
	k := -1
	for i := h.g.nWords - 1; i >= 0 && k < 0; i-- {
		if w := le.Uint64(h.buf[ctlWords+8*i:]); w != 0 {
			k = i<<6 + 63 - bits.LeadingZeros64(w)
		}
	}
	if k < h.g.kmin || k >= h.g.classes {
		return 0
	}
	var best uint64
	pos, err := h.link(h.slot(k))
	for n := 0; pos != 0 && err == nil && n <= h.chunks; n++ {
		var v uint64
		if v, err = h.freeChunk(pos); err != nil {
			break
		}
		best = max(best, unitsOf(v))
		pos, err = h.link(pos + 8)
	}
	if best == 0 {
		return 0
	}
	return int(best<<h.sh() - hdrSize)
}
