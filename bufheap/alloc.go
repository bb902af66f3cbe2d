// Alloc, Free and Realloc: the O(1) paths, and the validation of blocks handed back.

package bufheap

import (
	"errors"
	"fmt"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/profile"
)

var errNoSpace = fmt.Errorf("bufheap: no free chunk large enough: %w", memkit.ErrOutOfMemory)

// Alloc returns a block of n bytes (len n; cap is the block's usable size,
// which is at least n). The contents are whatever the buffer held. n must
// be positive and at most the buffer size (memkit.ErrInvalidSize);
// memkit.ErrOutOfMemory when no free chunk fits.
func (h *Heap) Alloc(n int) ([]byte, error) {
	var at profile.Site
	if h.log != nil {
		at = profile.Caller(1)
	}
	return h.allocAt(n, at)
}

// Calloc is like Alloc except that the whole block (up to its cap) is zeroed.
func (h *Heap) Calloc(n int) ([]byte, error) {
	var at profile.Site
	if h.log != nil {
		at = profile.Caller(1)
	}
	return h.callocAt(n, at, false)
}

// Free frees block b, identified by its data pointer: b must start where a
// block handed out by this heap starts (its length does not matter). A nil
// b is a no-op. A block already freed gives an error wrapping
// memkit.ErrDoubleFree; a slice outside the heap or inside a block gives
// memkit.ErrInvalidFree; a damaged header memkit.ErrCorrupt. On error
// nothing changes.
func (h *Heap) Free(b []byte) error {
	var at profile.Site
	if h.log != nil {
		at = profile.Caller(1)
	}
	return h.freeAt(b, at)
}

// Realloc resizes block b to n bytes, keeping min(n, cap(b)) bytes of its
// contents, and returns the block (len n). A nil b is Alloc(n); n == 0 is
// Free(b) and returns nil. The block stays where it is when it can: a
// shrink splits off the tail, a grow takes what it needs of a free next
// neighbour. Otherwise a new block is allocated, the contents copied and b
// freed. On error b is untouched and still live.
func (h *Heap) Realloc(b []byte, n int) ([]byte, error) {
	var at profile.Site
	if h.log != nil {
		at = profile.Caller(1)
	}
	return h.reallocAt(b, n, at)
}

// Offset returns where live block b's payload starts inside the buffer: a
// reference that stays valid across Open, to be stored inside other blocks
// and turned back into the block by At. Errors are those of Free.
func (h *Heap) Offset(b []byte) (int, error) {
	off, ok := offsetIn(h.buf, b)
	if !ok {
		return 0, fmt.Errorf("bufheap: offset: slice at %#x: not in this heap: %w", addrOf(b), memkit.ErrInvalidFree)
	}
	if _, _, err := h.live(off, "offset"); err != nil {
		return 0, err
	}
	return off, nil
}

// At returns the live block whose payload starts at offset off (as Offset
// returned it). The block's len and cap are its usable size: the heap does
// not record the length once requested.
func (h *Heap) At(off int) ([]byte, error) {
	c, v, err := h.live(off, "at")
	if err != nil {
		return nil, err
	}
	end := c + int(unitsOf(v)<<h.sh())
	return h.buf[off:end:end], nil
}

func (h *Heap) block(c int, n int, units uint64) []byte {
	return h.buf[c+hdrSize : c+hdrSize+n : c+int(units<<h.sh())]
}

func (h *Heap) allocAt(n int, at profile.Site) ([]byte, error) {
	c, units, err := h.alloc(n)
	if err != nil {
		return nil, err
	}
	if h.log != nil {
		h.logAlloc(n, c+hdrSize, at, false)
	}
	return h.block(c, n, units), nil
}

func (h *Heap) callocAt(n int, at profile.Site, persist bool) ([]byte, error) {
	c, units, err := h.alloc(n)
	if err != nil {
		return nil, err
	}
	if persist {
		h.putHdr(c, le.Uint64(h.buf[c:])&hdrValMask|flagPersist)
	}
	if h.log != nil {
		h.logAlloc(n, c+hdrSize, at, persist)
	}
	b := h.block(c, n, units)
	clear(b[:cap(b)])
	return b, nil
}

func (h *Heap) logAlloc(n, off int, at profile.Site, persist bool) {
	h.sites[off] = at
	if persist {
		h.log.Persist(uint64(n), uint64(off), at)
	} else {
		h.log.Alloc(uint64(n), uint64(off), at)
	}
}

// unitsFor returns the chunk size, in units, for an n-byte request.
func (h *Heap) unitsFor(n int) uint64 {
	u := (uint64(n) + hdrSize + 1<<h.sh() - 1) >> h.sh()
	return max(u, h.minU)
}

// alloc finds, unlinks and (when worth it) splits a free chunk for n bytes
// and returns its header offset and size in units.
func (h *Heap) alloc(n int) (int, uint64, error) {
	if n <= 0 || uint64(n) > uint64(len(h.buf)) {
		return 0, 0, fmt.Errorf("bufheap: alloc %d: %w", n, memkit.ErrInvalidSize)
	}
	need := h.unitsFor(n)
	if need > uint64(h.g.end-h.g.first)>>h.sh() {
		return 0, 0, errNoSpace
	}
	d := h.cls.Down(need)
	// 1. The head of the request's own class, when it fits: the best fit
	// cheaply at hand, and how an exactly sized freed chunk is found again.
	head, ok := h.linkFast(h.slot(d))
	if !ok {
		var err error
		if head, err = h.linkSlow(h.slot(d)); err != nil {
			return 0, 0, err
		}
	}
	if head != 0 {
		v, ok := h.hdrFast(head)
		if !ok || v&7 != 0 {
			var err error
			if v, err = h.freeChunk(head); err != nil {
				return 0, 0, err
			}
		}
		if u := unitsOf(v); u >= need {
			return h.take(head, u, d, need, true)
		}
	}
	// 2. The first non-empty class whose every chunk fits, from Up(need):
	// need-1 lies in the class below d exactly when need starts d.
	k, ok, err := h.nextClass(h.cls.Down(need-1) + 1)
	if err != nil {
		return 0, 0, err
	}
	if ok {
		c, ok := h.linkFast(h.slot(k))
		if !ok {
			if c, err = h.linkSlow(h.slot(k)); err != nil {
				return 0, 0, err
			}
		}
		if c == 0 {
			return 0, 0, errBitmap
		}
		v, ok := h.hdrFast(c)
		if !ok || v&7 != 0 {
			if v, err = h.freeChunk(c); err != nil {
				return 0, 0, err
			}
		}
		if u := unitsOf(v); h.cls.Down(u) != k || u < need {
			return 0, 0, corruptAt(c, fmt.Sprintf("%d units filed in class %d", u, k))
		}
		return h.take(c, unitsOf(v), k, need, true)
	}
	// 3. Nothing larger: walk the rest of the own class rather than fail.
	for c, i := head, 0; c != 0; i++ {
		if i > h.chunks {
			return 0, 0, corruptAt(c, fmt.Sprintf("class %d list longer than the chunk count", d))
		}
		v, err := h.freeChunk(c)
		if err != nil {
			return 0, 0, err
		}
		if u := unitsOf(v); u >= need {
			return h.take(c, u, d, need, c == head)
		}
		if c, err = h.link(c + 8); err != nil {
			return 0, 0, err
		}
	}
	return 0, 0, errNoSpace
}

// take allocates free chunk c (u units, class k) for need units; first
// says that c is the first chunk of its list.
func (h *Heap) take(c int, u uint64, k int, need uint64, first bool) (int, uint64, error) {
	var cn nbrs
	var err error
	if first {
		cn, err = h.firstNext(c)
	} else {
		cn, err = h.checkUnlink(c, k)
	}
	if err != nil {
		return 0, 0, err
	}
	rem := u - need
	next := c + int(u<<h.sh())
	var nv uint64
	var kr, krHead int // class of the remainder and its list's head
	if rem >= h.minU {
		kr = h.cls.Down(rem)
		if krHead, err = h.checkHead(kr); err != nil {
			return 0, 0, err
		}
		if krHead, err = h.afterUnlink(krHead, c, cn); err != nil {
			return 0, 0, err
		}
	} else {
		var ok bool
		if nv, ok = h.hdrFast(next); !ok {
			if nv, err = h.chunk(next); err != nil {
				return 0, 0, err
			}
		}
		if nv&(flagAlloc|flagPrevFree) != flagAlloc|flagPrevFree {
			return 0, 0, corruptAt(next, "neighbour of a free chunk is free or does not know it")
		}
		need = u
	}
	h.unlink(k, cn)
	h.freeBytes -= u<<h.sh() - hdrSize
	if rem >= h.minU {
		r := c + int(need<<h.sh())
		h.makeFree(r, rem)
		h.insertFree(r, kr, krHead)
		h.chunks++
		h.freeBytes += rem<<h.sh() - hdrSize
	} else {
		h.putHdr(next, nv&^flagPrevFree)
	}
	h.putHdr(c, need<<unitShift|flagAlloc)
	h.allocChunks++
	h.allocBytes += need<<h.sh() - hdrSize
	if h.allocBytes > h.peak {
		h.peak = h.allocBytes
		le.PutUint64(h.buf[ctlPeak:], h.peak)
	}
	return c, need, nil
}

// live validates that payload offset off starts a live block and returns
// its header offset and header value.
func (h *Heap) live(off int, op string) (int, uint64, error) {
	if off < h.g.first+hdrSize || off >= h.g.end {
		return 0, 0, fmt.Errorf("bufheap: %s %#x: outside the chunk area [%#x, %#x): %w", op, off, h.g.first+hdrSize, h.g.end, memkit.ErrInvalidFree)
	}
	c := off - hdrSize
	if (c-h.g.first)&(1<<h.sh()-1) != 0 {
		return 0, 0, fmt.Errorf("bufheap: %s %#x: not on a chunk boundary (inside a block): %w", op, off, memkit.ErrInvalidFree)
	}
	v, err := h.chunk(c)
	if err != nil {
		if le.Uint64(h.buf[c:]) == sealHdr(c, tombValue) {
			return 0, 0, fmt.Errorf("bufheap: %s %#x: block was freed and merged into a neighbour: %w", op, off, memkit.ErrDoubleFree)
		}
		return 0, 0, h.classify(c, op, err)
	}
	if v&flagAlloc == 0 {
		return 0, 0, fmt.Errorf("bufheap: %s %#x: block is free: %w", op, off, memkit.ErrDoubleFree)
	}
	if c == h.g.end {
		return 0, 0, fmt.Errorf("bufheap: %s %#x: the end of the heap: %w", op, off, memkit.ErrInvalidFree)
	}
	return c, v, nil
}

// classify tells, after a header at c failed its check, whether c is inside
// a block (an interior slice: ErrInvalidFree) or a damaged chunk boundary
// (ErrCorrupt), by walking the chunks from the start: O(chunks), but only
// on this error path.
func (h *Heap) classify(c int, op string, hdrErr error) error {
	pos := h.g.first
	for pos < h.g.end {
		v, err := h.chunk(pos)
		if err != nil || pos == c {
			if err == nil {
				err = hdrErr
			}
			return fmt.Errorf("bufheap: %s %#x: %w", op, c+hdrSize, err)
		}
		next := pos + int(unitsOf(v)<<h.sh())
		if c < next {
			return fmt.Errorf("bufheap: %s %#x: inside the chunk at %#x: %w", op, c+hdrSize, pos, memkit.ErrInvalidFree)
		}
		pos = next
	}
	return fmt.Errorf("bufheap: %s %#x: %w", op, c+hdrSize, hdrErr)
}

func (h *Heap) freeAt(b []byte, at profile.Site) error {
	if isNil(b) {
		return nil
	}
	off, ok := offsetIn(h.buf, b)
	if !ok {
		return fmt.Errorf("bufheap: free: slice at %#x: not in this heap: %w", addrOf(b), memkit.ErrInvalidFree)
	}
	err := h.freeOff(off, cap(b))
	// A refused double or invalid free inside the buffer is logged all
	// the same, so that the analyzer reports it with its site (freeNext's
	// errors are ErrCorrupt only).
	if h.log != nil && (err == nil || errors.Is(err, memkit.ErrInvalidFree)) {
		if err == nil {
			delete(h.sites, off)
		}
		h.log.Free(uint64(off), at)
	}
	return err
}

// freeOff frees the block whose payload starts at offset off of buf and
// whose slice has capacity capb: Free without the nil and foreign-slice
// checks and without profiling.
func (h *Heap) freeOff(off, capb int) error {
	// The block's cap, as Alloc returned it, ends where the next chunk's
	// header starts. Loading that word now, before c's header says where
	// next really is, lets the two cache misses overlap; free uses the
	// word only if c's validated header puts next at the same place, and
	// validates it like any other header.
	var nw uint64
	np := uint(off) + uint(capb)
	if np-uint(h.first) <= h.areaLen {
		nw = le.Uint64(h.buf[np:])
	} else {
		np = 0
	}
	// The common case, inlined: a valid allocated header before off (its
	// position check also rules out everything outside the chunk area).
	c := off - hdrSize
	v, ok := h.hdrFast(c)
	if !ok || v&flagAlloc == 0 {
		var err error
		if c, v, err = h.live(off, "free"); err != nil {
			return err
		}
	}
	return h.freeNext(c, v, int(np), nw)
}

// free frees allocated chunk c (header value v), merging it with free
// neighbours on both sides. Everything it touches is validated first.
func (h *Heap) free(c int, v uint64) error { return h.freeNext(c, v, 0, 0) }

// freeNext is free with the word nw loaded earlier from offset np (0:
// none), used as the next chunk's header if that is where it starts.
func (h *Heap) freeNext(c int, v uint64, np int, nw uint64) error {
	u := unitsOf(v)
	next := c + int(u<<h.sh())
	var nv uint64
	var ok bool
	if next == np {
		nv, ok = h.hdrWord(next, nw)
	} else {
		nv, ok = h.hdrFast(next)
	}
	// Allocated with a clear prev-free flag, or free (no flags at all).
	if !ok || nv&(flagAlloc|flagPrevFree) != flagAlloc && nv&7 != 0 {
		if err := h.nextErr(next); err != nil {
			return err
		}
		// The end sentinel (which hdrWord does not take).
		nv = le.Uint64(h.buf[next:]) & hdrValMask
	}
	start, total, merges := c, u, uint64(0)
	var nu uint64
	var nn, pn nbrs
	var kn, kp int // classes of the free neighbours
	var err error
	if nv&flagAlloc == 0 {
		nu = unitsOf(nv)
		kn = h.cls.Down(nu)
		if nn, err = h.checkUnlink(next, kn); err != nil {
			return err
		}
		total += nu
		merges++
	}
	var p int
	var pu uint64
	if v&flagPrevFree != 0 {
		if p, pu, err = h.prevFree(c); err != nil {
			return err
		}
		kp = h.cls.Down(pu)
		if pn, err = h.checkUnlink(p, kp); err != nil {
			return err
		}
		start, total = p, total+pu
		merges++
	}
	if nu != 0 && pu != 0 {
		// Unlinking next first changes p's own links when the two are
		// neighbours on one list.
		if pn.next == next {
			pn.next = nn.next
		}
		if pn.prev == next {
			pn.prev = nn.prev
		}
	}
	kt := h.cls.Down(total)
	ktHead, err := h.checkHead(kt)
	if err != nil {
		return err
	}
	if nu != 0 {
		if ktHead, err = h.afterUnlink(ktHead, next, nn); err != nil {
			return err
		}
	}
	if pu != 0 {
		if ktHead, err = h.afterUnlink(ktHead, p, pn); err != nil {
			return err
		}
	}
	if nu != 0 {
		h.unlink(kn, nn)
		h.tomb(next)
	}
	if pu != 0 {
		h.unlink(kp, pn)
		h.tomb(c)
	}
	h.makeFree(start, total)
	h.insertFree(start, kt, ktHead)
	if nu == 0 {
		h.putHdr(next, nv|flagPrevFree)
	}
	h.chunks -= int(merges)
	h.allocChunks--
	h.allocBytes -= u<<h.sh() - hdrSize
	h.freeBytes += u<<h.sh() - hdrSize + merges*hdrSize
	return nil
}

// nextErr validates the chunk after a block being freed: its header, and
// its prev-free flag clear. It returns nil for a good one (the caller's
// fast check passes every good one but the end sentinel).
func (h *Heap) nextErr(next int) error {
	nv, err := h.chunk(next)
	if err != nil {
		return err
	}
	if nv&flagPrevFree != 0 {
		return corruptAt(next, "says its allocated neighbour is free")
	}
	return nil
}

// prevFree finds the free chunk before c through its footer and validates
// it: header and footer agree, and it ends exactly at c.
func (h *Heap) prevFree(c int) (int, uint64, error) {
	if c-h.first >= minChunkBytes {
		fw := le.Uint64(h.buf[c-hdrSize:])
		pu := unitsOf(fw & hdrValMask)
		p := c - int(pu<<h.sh())
		if pv, ok := h.hdrFast(p); ok && pv&7 == 0 && le.Uint64(h.buf[p:]) == fw && unitsOf(pv) == pu {
			return p, pu, nil
		}
	}
	return h.prevFreeSlow(c)
}

func (h *Heap) prevFreeSlow(c int) (int, uint64, error) {
	if c-h.g.first < minChunkBytes {
		return 0, 0, corruptAt(c, "prev-free flag on the first chunk")
	}
	fw := le.Uint64(h.buf[c-hdrSize:])
	pu := unitsOf(fw & hdrValMask)
	if pu < h.minU || pu > uint64(c-h.g.first)>>h.sh() {
		return 0, 0, corruptAt(c, fmt.Sprintf("footer before it gives %d units", pu))
	}
	p := c - int(pu<<h.sh())
	pv, err := h.freeChunk(p)
	if err != nil {
		return 0, 0, err
	}
	if le.Uint64(h.buf[p:]) != fw || unitsOf(pv) != pu {
		return 0, 0, corruptAt(p, "header and footer differ")
	}
	return p, pu, nil
}

func (h *Heap) reallocAt(b []byte, n int, at profile.Site) ([]byte, error) {
	if isNil(b) {
		return h.allocAt(n, at)
	}
	off, ok := offsetIn(h.buf, b)
	if !ok {
		return nil, fmt.Errorf("bufheap: realloc: slice at %#x: not in this heap: %w", addrOf(b), memkit.ErrInvalidFree)
	}
	c, v, err := h.live(off, "realloc")
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, h.freeAt(b, at)
	}
	if n < 0 || uint64(n) > uint64(len(h.buf)) {
		return nil, fmt.Errorf("bufheap: realloc %#x to %d: %w", off, n, memkit.ErrInvalidSize)
	}
	persist := v&flagPersist != 0
	units, err := h.resize(c, v, h.unitsFor(n))
	if err != nil {
		return nil, err
	}
	if units != 0 {
		if h.log != nil {
			h.log.Free(uint64(off), at)
			h.logAlloc(n, off, at, persist)
		}
		return h.block(c, n, units), nil
	}
	// Move: allocate first, so a failure leaves b as it was.
	nc, nunits, err := h.alloc(n)
	if err != nil {
		return nil, err
	}
	old := int(unitsOf(v)<<h.sh()) - hdrSize
	copy(h.buf[nc+hdrSize:nc+hdrSize+min(n, old)], h.buf[off:])
	// Re-read the header: taking the chunk just before c clears c's
	// prev-free flag.
	if v, err = h.chunk(c); err == nil {
		err = h.free(c, v)
	}
	if err != nil {
		// The new block's allocation touched nothing free() reads, so this
		// only happens if the image changed underneath: undo and report.
		if nv, err2 := h.chunk(nc); err2 == nil {
			_ = h.free(nc, nv)
		}
		return nil, err
	}
	if persist {
		h.putHdr(nc, le.Uint64(h.buf[nc:])&hdrValMask|flagPersist)
	}
	if h.log != nil {
		delete(h.sites, off)
		h.log.Free(uint64(off), at)
		h.logAlloc(n, nc+hdrSize, at, persist)
	}
	return h.block(nc, n, nunits), nil
}

// resize tries to resize allocated chunk c (value v) to need units in
// place. It returns the new size in units, or 0 when the block must move.
func (h *Heap) resize(c int, v uint64, need uint64) (uint64, error) {
	u := unitsOf(v)
	next := c + int(u<<h.sh())
	nv, err := h.chunk(next)
	if err != nil {
		return 0, err
	}
	if nv&flagPrevFree != 0 {
		return 0, corruptAt(next, "says its allocated neighbour is free")
	}
	var nu uint64
	if nv&flagAlloc == 0 {
		nu = unitsOf(nv)
	}
	keep := v &^ (maxUnits << unitShift) // flags of c
	switch {
	case need <= u && u-need < h.minU:
		return u, nil // nothing worth splitting off
	case need <= u:
		// Shrink: the tail, merged with a free next neighbour, becomes free.
		tail, tu := c+int(need<<h.sh()), u-need
		var nn nbrs
		if nu != 0 {
			if nn, err = h.checkUnlink(next, h.cls.Down(nu)); err != nil {
				return 0, err
			}
		}
		kt := h.cls.Down(tu + nu)
		head, err := h.checkHead(kt)
		if err != nil {
			return 0, err
		}
		if nu != 0 {
			if head, err = h.afterUnlink(head, next, nn); err != nil {
				return 0, err
			}
		}
		h.freeBytes += tu << h.sh()
		if nu != 0 {
			h.unlink(h.cls.Down(nu), nn)
			h.tomb(next)
		} else {
			h.putHdr(next, nv|flagPrevFree)
			h.chunks++
			h.freeBytes -= hdrSize
		}
		h.makeFree(tail, tu+nu)
		h.insertFree(tail, kt, head)
		h.allocBytes -= tu << h.sh()
		h.putHdr(c, keep|need<<unitShift)
		return need, nil
	case nu == 0 || u+nu < need:
		return 0, nil
	}
	// Grow into the free next neighbour.
	rem := u + nu - need
	nn, err := h.checkUnlink(next, h.cls.Down(nu))
	if err != nil {
		return 0, err
	}
	after := next + int(nu<<h.sh())
	var av uint64
	var kr, head int
	if rem >= h.minU {
		kr = h.cls.Down(rem)
		if head, err = h.checkHead(kr); err != nil {
			return 0, err
		}
		if head, err = h.afterUnlink(head, next, nn); err != nil {
			return 0, err
		}
	} else {
		if av, err = h.chunk(after); err != nil {
			return 0, err
		}
		if av&(flagAlloc|flagPrevFree) != flagAlloc|flagPrevFree {
			return 0, corruptAt(after, "neighbour of a free chunk is free or does not know it")
		}
		need = u + nu
	}
	h.unlink(h.cls.Down(nu), nn)
	h.tomb(next)
	h.freeBytes -= nu<<h.sh() - hdrSize
	if rem >= h.minU {
		r := c + int(need<<h.sh())
		h.makeFree(r, rem)
		h.insertFree(r, kr, head)
		h.freeBytes += rem<<h.sh() - hdrSize
	} else {
		h.putHdr(after, av&^flagPrevFree)
		h.chunks--
	}
	h.allocBytes += (need - u) << h.sh()
	if h.allocBytes > h.peak {
		h.peak = h.allocBytes
		le.PutUint64(h.buf[ctlPeak:], h.peak)
	}
	h.putHdr(c, keep|need<<unitShift)
	return need, nil
}
