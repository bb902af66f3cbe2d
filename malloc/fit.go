// Exact-fit blocks: 16-byte granular blocks split and merged inside fit runs.

package malloc

import (
	"math/bits"

	"github.com/memkit/memkit/internal/sizeclass"
)

// Requests of fitMin < n ≤ fitMax bytes are served by exact fit: a block
// is n rounded up to 16 bytes, cut from a fit run (one run of fitRunPages
// pages) by a two-level segregated fit search, and merged with free
// neighbours on both sides when freed. Slab classes would round these
// sizes up by up to 1/8 and strand free slots per class; exact fit wastes
// only the rounding to 16 and the free space between blocks.
//
// All metadata is out of band: the arena's starts bitmap marks live block
// starts, its fstarts bitmap free block starts, and a block ends where the
// next one (or the run) starts. Free blocks are filed in per-class lists of
// fitRef (Go memory) that are cleaned lazily: taking a block off a list
// when it merges with a neighbour would need to find its entry, so the
// entry is left behind and recognised as stale when popped (its block is
// no longer free with that size). The lists are compacted when stale
// entries outnumber live ones, so they stay O(free blocks). Nothing is ever
// written into the caller's memory.
const (
	fitMin      = 1024
	fitMax      = smallMax
	fitRunPages = 64
	fitClass    = -2 // run.class of a fit run
	fitMinSplit = 16 // the smallest free block a split leaves
)

// fitClasses files free blocks by their size in 16-byte granules, eight
// classes per power of two.
var fitClasses = sizeclass.MustNew(3)

// fitRef names one free block (pointer-free, like all run metadata).
type fitRef struct {
	arena uint32 // index in shard.arenas
	off   uint32 // arena offset
	size  uint32 // bytes
}

// fitState is a shard's exact-fit free lists.
type fitState struct {
	lists   [][]fitRef // by class; may hold stale entries
	mask    sizeclass.Bitmap
	runs    int // fit runs in the shard
	entries int // entries in lists
	nfree   int // free fit blocks
}

// fitInsert files a new free block.
func (sh *shard) fitInsert(ref fitRef) {
	f := &sh.fit
	c := fitClasses.Down(uint64(ref.size >> alignShift))
	if f.lists == nil {
		f.lists = make([][]fitRef, fitClasses.Count())
	}
	f.lists[c] = append(f.lists[c], ref)
	f.mask.Set(fitClasses, c)
	f.entries++
	f.nfree++
	sh.arenas[ref.arena].setFree(ref.off)
	if f.entries > 2*f.nfree+1024 {
		sh.fitCompact()
	}
}

// remove unfiles the free block at a+off; its list entry goes stale.
func (f *fitState) remove(a *arena, off uint32) {
	a.clearFree(off)
	f.nfree--
}

// fitValid reports whether ref still names a free block of its size.
func (sh *shard) fitValid(ref fitRef) bool {
	a := sh.arenas[ref.arena]
	if a == nil || !a.isFree(ref.off) {
		return false
	}
	ri := a.pages[ref.off>>pageShift]
	if ri == 0 {
		return false
	}
	r := sh.runs.at(ri)
	return r.class == fitClass && a.fitSize(r, ref.off) == ref.size
}

// compact drops stale and duplicate entries. It clears each kept block's
// free bit while it scans, so a second entry for the same block is seen as
// stale, and sets the bits again at the end.
func (sh *shard) fitCompact() {
	f := &sh.fit
	f.entries = 0
	for c, l := range f.lists {
		kept := l[:0]
		for _, ref := range l {
			if sh.fitValid(ref) {
				sh.arenas[ref.arena].clearFree(ref.off)
				kept = append(kept, ref)
			}
		}
		clear(l[len(kept):])
		f.lists[c] = kept
		f.entries += len(kept)
		if len(kept) == 0 {
			f.mask.Clear(fitClasses, c)
		}
	}
	for _, l := range f.lists {
		for _, ref := range l {
			sh.arenas[ref.arena].setFree(ref.off)
		}
	}
}

// fitMalloc returns the arena, offset and usable size of a new block of at
// least size bytes (a multiple of 16).
func (sh *shard) fitMalloc(size uint32) (*arena, uint32, uint32, error) {
	f := &sh.fit
	c, _ := fitClasses.Up(uint64(size >> alignShift))
	c, ok := f.mask.Next(fitClasses, c)
	if !ok {
		_, r, err := sh.newRun(min(fitRunPages, sh.h.arenaSize>>pageShift), fitClass)
		if err != nil {
			return nil, 0, 0, err
		}
		f.runs++
		sh.fitInsert(fitRef{arena: r.arena, off: r.start, size: r.pages << pageShift})
		c, _ = fitClasses.Up(uint64(size >> alignShift))
		c, ok = f.mask.Next(fitClasses, c)
	}
	var ref fitRef
	for {
		l := f.lists[c]
		ref = l[len(l)-1]
		l[len(l)-1] = fitRef{}
		f.lists[c] = l[:len(l)-1]
		f.entries--
		if len(l) == 1 {
			f.mask.Clear(fitClasses, c)
		}
		if sh.fitValid(ref) {
			break
		}
		if c, ok = f.mask.Next(fitClasses, c); !ok {
			return sh.fitMalloc(size) // every entry was stale: start again with a new run
		}
	}
	a := sh.arenas[ref.arena]
	f.remove(a, ref.off)
	if rest := ref.size - size; rest >= fitMinSplit {
		sh.fitInsert(fitRef{arena: ref.arena, off: ref.off + size, size: rest})
		sh.stats.splits++
	} else {
		size = ref.size
	}
	a.setStart(ref.off)
	sh.runs.at(a.pages[ref.off>>pageShift]).used++
	return a, ref.off, size, nil
}

// fitSize returns the size of the block (live or free) at off in fit run r.
func (a *arena) fitSize(r *run, off uint32) uint32 {
	end := r.start + r.pages<<pageShift
	g := off>>alignShift + 1
	for e := end >> alignShift; g < e; {
		w := (a.starts[g/64] | a.fstarts[g/64]) >> (g % 64)
		if w != 0 {
			return min(end, (g+uint32(bits.TrailingZeros64(w)))<<alignShift) - off
		}
		g = (g/64 + 1) * 64
	}
	return end - off
}

// fitPrev returns the start of the block before off in fit run r; off > r.start.
func (a *arena) fitPrev(r *run, off uint32) uint32 {
	g := off>>alignShift - 1
	lo := r.start >> alignShift
	for {
		w := (a.starts[g/64] | a.fstarts[g/64]) << (63 - g%64)
		if w != 0 {
			return (g - uint32(bits.LeadingZeros64(w))) << alignShift
		}
		if g/64*64 <= lo {
			return r.start
		}
		g = g/64*64 - 1
	}
}

// fitFree frees the live block at off (size bytes) of fit run r, merging
// it with free neighbours, and gives the run back when it is all free and
// the shard has another.
func (sh *shard) fitFree(ri uint32, r *run, off, size uint32) {
	a := sh.arenas[r.arena]
	f := &sh.fit
	a.clearStart(off)
	r.used--
	end := r.start + r.pages<<pageShift
	if next := off + size; next < end && a.isFree(next) {
		ns := a.fitSize(r, next)
		f.remove(a, next)
		size += ns
		sh.stats.coalesces++
	}
	if off > r.start {
		if p := a.fitPrev(r, off); a.isFree(p) {
			f.remove(a, p)
			size += off - p
			off = p
			sh.stats.coalesces++
		}
	}
	if off == r.start && size == end-r.start && f.runs > 1 && r.used == 0 {
		f.runs--
		sh.freeRun(ri, r)
		return
	}
	sh.fitInsert(fitRef{arena: r.arena, off: off, size: size})
}

// fitResize resizes the live block at off (size bytes) of fit run r in
// place to want bytes (a multiple of 16) if it can, returning the new size
// (the old one when it cannot).
func (sh *shard) fitResize(ri uint32, r *run, off, size, want uint32) uint32 {
	a := sh.arenas[r.arena]
	f := &sh.fit
	end := r.start + r.pages<<pageShift
	next := off + size
	if want > size {
		if next >= end || !a.isFree(next) {
			return size
		}
		ns := a.fitSize(r, next)
		if size+ns < want {
			return size
		}
		f.remove(a, next)
		size += ns
		sh.stats.coalesces++
	}
	if rest := size - want; rest >= fitMinSplit {
		// give the tail back, merged with a free block after it
		if n := off + size; n < end && a.isFree(n) {
			ns := a.fitSize(r, n)
			f.remove(a, n)
			rest += ns
			sh.stats.coalesces++
		}
		sh.fitInsert(fitRef{arena: r.arena, off: off + want, size: rest})
		sh.stats.splits++
		size = want
	}
	return size
}

func (a *arena) setFree(off uint32)   { a.fstarts[off>>10] |= 1 << (off >> alignShift & 63) }
func (a *arena) clearFree(off uint32) { a.fstarts[off>>10] &^= 1 << (off >> alignShift & 63) }
func (a *arena) isFree(off uint32) bool {
	return a.fstarts[off>>10]>>(off>>alignShift&63)&1 != 0
}
