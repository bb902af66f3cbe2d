// The gap index: free space between blocks, filed by size for O(1) good fit.

package compact

import "github.com/memkit/memkit/internal/sizeclass"

// classes files gaps by their size in alignment units, 16 classes per power
// of two: a gap found from Up(need) always fits without being measured.
var classes = sizeclass.MustNew(4)

// gapAfter returns the free bytes between block s's end and the next
// block's start, or the end of the space after the last block.
func (h *Heap) gapAfter(s int32) int {
	e := &h.tab[s]
	end := h.total
	if e.next != 0 {
		end = h.tab[e.next].off
	}
	return end - e.off - e.cap
}

// setGap files block s's gap under the class of its current size, moving it
// between class lists only when the class changed.
func (h *Heap) setGap(s int32) {
	g := h.gapAfter(s)
	cls := int32(-1)
	if g > 0 {
		cls = int32(classes.Down(uint64(g >> h.shift)))
	}
	e := &h.tab[s]
	if e.gapClass == cls {
		return
	}
	if e.gapClass >= 0 {
		h.unfile(s)
	}
	if cls >= 0 {
		h.file(s, cls)
	}
}

func (h *Heap) file(s, cls int32) {
	e := &h.tab[s]
	e.gapClass = cls
	e.gapPrev = -1
	e.gapNext = h.heads[cls]
	if e.gapNext >= 0 {
		h.tab[e.gapNext].gapPrev = s
	} else {
		h.gapBits.Set(classes, int(cls))
	}
	h.heads[cls] = s
	h.holes++
}

// unfile takes block s's gap out of the index.
func (h *Heap) unfile(s int32) {
	e := &h.tab[s]
	cls := e.gapClass
	if cls < 0 {
		return
	}
	if e.gapPrev >= 0 {
		h.tab[e.gapPrev].gapNext = e.gapNext
	} else {
		h.heads[cls] = e.gapNext
		if e.gapNext < 0 {
			h.gapBits.Clear(classes, int(cls))
		}
	}
	if e.gapNext >= 0 {
		h.tab[e.gapNext].gapPrev = e.gapPrev
	}
	e.gapClass, e.gapPrev, e.gapNext = -1, -1, -1
	h.holes--
}

// findGap returns a block whose gap holds at least need bytes (a multiple
// of the alignment), or -1. O(1): the first gap of the smallest class whose
// every member fits; failing that, the first few gaps of need's own class,
// where some members fit and some do not.
func (h *Heap) findGap(need int) int32 {
	if cls, ok := classes.Up(uint64(need >> h.shift)); ok {
		if c, ok := h.gapBits.Next(classes, cls); ok {
			return h.heads[c]
		}
	}
	return h.scanClass(need, 4)
}

// scanClass looks at up to limit gaps (limit < 0: all) of the class need
// itself falls in, for one that holds need bytes.
func (h *Heap) scanClass(need, limit int) int32 {
	for s := h.heads[classes.Down(uint64(need>>h.shift))]; s >= 0 && limit != 0; s = h.tab[s].gapNext {
		if h.gapAfter(s) >= need {
			return s
		}
		limit--
	}
	return -1
}

// findGapExact is findGap that never misses: it scans the whole of need's
// class. The slow path, taken before giving up or compacting.
func (h *Heap) findGapExact(need int) int32 {
	if g := h.findGap(need); g >= 0 {
		return g
	}
	return h.scanClass(need, -1)
}

// largestGap returns the size of the largest gap: the largest member of the
// highest non-empty class (a short list in practice).
func (h *Heap) largestGap() int {
	c, ok := h.gapBits.Last(classes)
	if !ok {
		return 0
	}
	best := 0
	for s := h.heads[c]; s >= 0; s = h.tab[s].gapNext {
		best = max(best, h.gapAfter(s))
	}
	return best
}
