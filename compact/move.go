// Moving blocks: the sliding compaction pass, the squeeze around a growing block, Defragment.

package compact

import (
	"fmt"

	"github.com/memkit/memkit"
)

// Budget bounds one Defragment pass. Zero fields mean no limit.
type Budget struct {
	// MaxBytes bounds the bytes moved in the pass. The first move of a
	// pass is always made, so a pass may exceed MaxBytes by one block when
	// that block alone is larger; no later move is made that would exceed it.
	MaxBytes int
	// MaxMoves bounds the number of blocks moved in the pass.
	MaxMoves int
}

// Result reports one Defragment pass.
type Result struct {
	Moves      int  // blocks moved
	BytesMoved int  // bytes copied (whole reservations, sizes rounded to Align)
	Done       bool // the heap is compact: no gap left but before pinned blocks and at the end
}

// Defragment slides blocks down towards the start of the space, in address
// order, each at most once, within the budget: an incremental compaction.
// Each pass resumes where the last one stopped. Pinned blocks stay where
// they are; the blocks after one slide down to its end. After a pass that
// reports Done, the free space is one gap at the end, plus the gaps just
// below pinned blocks. Handles stay valid; tracked slices are rewritten;
// Bytes slices of unpinned blocks are invalidated.
//
// A negative budget field fails with ErrInvalidConfig.
func (h *Heap) Defragment(b Budget) (Result, error) {
	if b.MaxBytes < 0 || b.MaxMoves < 0 {
		return Result{}, fmt.Errorf("compact: defragment with budget %+v: negative limit: %w", b, memkit.ErrInvalidConfig)
	}
	if len(h.tab) == 0 {
		return Result{}, errZeroHeap
	}
	return h.slide(b.MaxBytes, b.MaxMoves, false), nil
}

// moveBlock moves block s's whole reservation to offset dst (memmove: the
// old and new places may overlap) and rewrites its tracked slice. When
// zero, it also zeroes what the block left behind (unless KeepFreed);
// otherwise the caller does, and finds the old offset in aux. Links and
// gaps are the caller's business.
func (h *Heap) moveBlock(s int32, dst int, zero bool) {
	e := &h.tab[s]
	copy(h.mem[dst:dst+e.cap], h.mem[e.off:e.off+e.cap])
	if zero && !h.keep {
		h.vacate(e.off, e.cap, dst, e.cap)
	}
	e.aux = e.off
	e.off = dst
	h.moves++
	h.bytesMoved += int64(e.cap)
	h.updateOwner(s)
}

// zeroLeftovers zeroes, after a sliding run that ended with block last and
// cursor c, the parts of the old places of the run's moved blocks that lie
// at or above c: the only old bytes no new place covered. Old places are in
// address order, so the walk goes down from last until an old end is at or
// below c, or it reaches stop, the block before the run. Each byte zeroed
// held live data before the pass: the cost is at most the bytes moved.
func (h *Heap) zeroLeftovers(last, stop int32, c int) {
	if h.keep {
		return
	}
	for t := last; t != stop; t = h.tab[t].prev {
		e := &h.tab[t]
		if e.aux+e.cap <= c {
			return
		}
		clear(h.mem[max(e.aux, c) : e.aux+e.cap])
	}
}

// slide is the compaction pass. It starts after h.clean (everything below
// is compact already) and walks up the address list with a cursor: an
// unpinned block below which there is a gap moves down to the cursor; a
// pinned block stays and the cursor jumps to its end. Since blocks only
// move down and keep their order, a block never has to cross a pinned one
// and each live byte moves at most once; neighbours that slide by the same
// distance are copied together, in one memmove. The pass stops early when a budget
// (0: none) would be exceeded, or, when stopInPlace (Eager, where the heap
// above the first unmoved block is already compact), at the first unpinned
// block already in place.
func (h *Heap) slide(maxBytes, maxMoves int, stopInPlace bool) Result {
	var r Result
	var pend run
	p := h.clean
	first := p // the block before the current run of unpinned blocks
	cursor := h.tab[p].off + h.tab[p].cap
	for s := h.tab[p].next; s != 0; s = h.tab[s].next {
		e := &h.tab[s]
		e.aux = e.off
		if e.pins > 0 {
			h.flush(&pend)
			h.zeroLeftovers(p, first, cursor)
			first = s
		} else if e.off == cursor {
			if stopInPlace {
				h.flush(&pend)
				h.zeroLeftovers(p, first, cursor)
				h.setGap(p)
				h.clean = h.tab[0].prev
				r.Done = true
				return r
			}
		} else {
			if r.Moves > 0 && (maxMoves > 0 && r.Moves >= maxMoves || maxBytes > 0 && r.BytesMoved+e.cap > maxBytes) {
				h.flush(&pend)
				h.zeroLeftovers(p, first, cursor)
				h.setGap(p)
				return r
			}
			r.Moves++
			r.BytesMoved += e.cap
			// Blocks that slide by the same distance are contiguous
			// before and after: they are copied together, in one memmove.
			if pend.n > 0 && pend.src+pend.n == e.off && pend.dst+pend.n == cursor {
				pend.n += e.cap
			} else {
				h.flush(&pend)
				pend = run{src: e.off, dst: cursor, n: e.cap}
			}
			e.off = cursor
			h.moves++
			h.bytesMoved += int64(e.cap)
			h.updateOwner(s)
		}
		h.setGap(p)
		p = s
		cursor = e.off + e.cap
		h.clean = s
	}
	h.flush(&pend)
	h.zeroLeftovers(p, first, cursor)
	h.setGap(p)
	r.Done = true
	return r
}

// run is a pending copy of adjacent blocks that slide by the same distance.
type run struct{ src, dst, n int }

// flush copies a pending run (the old and new places may overlap).
func (h *Heap) flush(r *run) {
	if r.n > 0 {
		copy(h.mem[r.dst:r.dst+r.n], h.mem[r.src:r.src+r.n])
		r.n = 0
	}
}

// slideEager restores Eager's invariant (the heap is compact) after an
// operation opened one gap, right after block from: the blocks above slide
// down until one is already in place, or, past a pinned block, the first.
func (h *Heap) slideEager(from int32) {
	h.clean = from
	h.slide(0, 0, true)
}

// planLargest returns the largest gap a full slide would leave, without
// moving anything: the gaps below pinned blocks and at the end.
func (h *Heap) planLargest() int {
	best, cursor := 0, 0
	for s := h.tab[0].next; s != 0; s = h.tab[s].next {
		e := &h.tab[s]
		if e.pins > 0 {
			best = max(best, e.off-cursor)
			cursor = e.off
		}
		cursor += e.cap
	}
	return max(best, h.total-cursor)
}

// squeeze makes room for block s to grow to newCap bytes in place by
// sliding the blocks of its segment (the run of unpinned blocks between
// the nearest pinned blocks, or ends of the space, around it): first, only
// if the gaps above s are too small, the blocks below s and s itself slide
// down; then the blocks above s move up just as far as needed, last one
// first. Each block moves at most once. It reports false, having moved
// nothing, when the segment's free space is smaller than the growth.
func (h *Heap) squeeze(s int32, newCap, n int) bool {
	e := &h.tab[s]
	extra := newCap - e.cap
	lowStop, lowerUsed := e.prev, 0
	for lowStop != 0 && h.tab[lowStop].pins == 0 {
		lowerUsed += h.tab[lowStop].cap
		lowStop = h.tab[lowStop].prev
	}
	highStop, upperUsed := e.next, 0
	for highStop != 0 && h.tab[highStop].pins == 0 {
		upperUsed += h.tab[highStop].cap
		highStop = h.tab[highStop].next
	}
	lo := h.tab[lowStop].off + h.tab[lowStop].cap
	hi := h.total
	if highStop != 0 {
		hi = h.tab[highStop].off
	}
	if hi-lo-lowerUsed-upperUsed-e.cap < extra {
		return false
	}
	cleanAbove := s == h.clean || e.off < h.tab[h.clean].off
	if hi-(e.off+e.cap)-upperUsed < extra {
		cursor := lo
		for t := h.tab[lowStop].next; ; t = h.tab[t].next {
			if h.tab[t].off != cursor {
				h.moveBlock(t, cursor, true)
			}
			cursor += h.tab[t].cap
			if t == s {
				break
			}
		}
	}
	pos := e.off + newCap
	last := s
	for t := e.next; t != highStop; t = h.tab[t].next {
		te := &h.tab[t]
		if te.off >= pos {
			break
		}
		te.dst = pos
		pos += te.cap
		last = t
	}
	for t := last; t != s; t = h.tab[t].prev {
		h.moveBlock(t, h.tab[t].dst, true)
	}
	h.used += extra
	h.requested += n - e.size
	e.cap, e.size = newCap, n
	h.peakUsed = max(h.peakUsed, h.used)
	h.updateOwner(s)
	for t := lowStop; ; {
		h.setGap(t)
		t = h.tab[t].next
		if t == highStop || t == 0 {
			break
		}
	}
	if cleanAbove {
		h.clean = s
	}
	if h.policy == Eager {
		h.slideEager(s)
	}
	return true
}
