// Whole-heap operations: Stats, Check, Reset, Trim, Close.

package malloc

import (
	"errors"
	"fmt"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/osmem"
)

// Stats is a snapshot of a Heap's counters. Byte counts are usable sizes
// (what cap reports), including Debug's guards; cumulative counters start
// at New and survive Reset and Trim.
type Stats struct {
	BytesAllocated uint64 // cumulative usable bytes handed out
	BytesFreed     uint64 // cumulative usable bytes given back (Free, Realloc, Reset)
	InUse          int64  // usable bytes in live blocks
	Live           int64  // live blocks
	Mapped         int64  // bytes currently mapped from the OS (arenas and large blocks)
	Allocs         uint64 // cumulative blocks handed out
	Frees          uint64 // cumulative blocks given back
	Splits         uint64 // page runs cut from a longer free extent
	Coalesces      uint64 // freed page runs merged with a free neighbour (each side counts)
	LargeMappings  int64  // live large blocks, each a mapping of its own
	Arenas         int    // arenas mapped
	Metadata       int64  // bytes of Go memory holding the heap's metadata (approximate)
}

func (c *counters) add(o *counters) {
	c.bytesAllocated += o.bytesAllocated
	c.bytesFreed += o.bytesFreed
	c.allocs += o.allocs
	c.frees += o.frees
	c.splits += o.splits
	c.coalesces += o.coalesces
}

// Stats returns the heap's counters. It is safe for concurrent use when
// the heap is; the snapshot is taken shard by shard.
func (h *Heap) Stats() Stats {
	var c counters
	var s Stats
	for i := range h.shards {
		sh := &h.shards[i]
		h.lock(sh)
		c.add(&sh.stats)
		for _, a := range sh.arenas {
			if a != nil {
				s.Arenas++
				s.Metadata += int64(8*(len(a.starts)+len(a.fstarts)+len(a.freeMask)+len(a.dirty))+4*len(a.pages)) + 160
			}
		}
		s.Metadata += sh.runs.bytes()
		for _, cl := range sh.classes {
			s.Metadata += int64(4 * cap(cl.partial))
		}
		h.unlock(sh)
	}
	h.largeMu.Lock()
	c.add(&h.lstats)
	s.LargeMappings = h.lstats.live()
	h.largeMu.Unlock()
	s.BytesAllocated, s.BytesFreed = c.bytesAllocated, c.bytesFreed
	s.InUse, s.Live = c.inUse(), c.live()
	s.Allocs, s.Frees = c.allocs, c.frees
	s.Splits, s.Coalesces = c.splits, c.coalesces
	s.Mapped = h.mapped.Load()
	return s
}

// Check walks all of the heap's metadata and returns an error wrapping
// memkit.ErrCorrupt at the first inconsistency: pages and runs disagree,
// a slot is both free and live, counters differ from a recount. In Debug
// mode it also checks every guard and quarantined block.
func (h *Heap) Check() error {
	if h.closed.Load() {
		return fmt.Errorf("malloc: check: %w", memkit.ErrClosed)
	}
	var mapped int64
	for i := range h.shards {
		sh := &h.shards[i]
		h.lock(sh)
		err := sh.check(&mapped)
		h.unlock(sh)
		if err != nil {
			return err
		}
	}
	h.largeMu.Lock()
	var lbytes int64
	for addr, l := range h.large {
		if addrOf(l.mem) != addr {
			h.largeMu.Unlock()
			return fmt.Errorf("malloc: check: large block %#x filed under %#x: %w", addrOf(l.mem), addr, memkit.ErrCorrupt)
		}
		lbytes += int64(len(l.mem))
	}
	ok := int64(len(h.large)) == h.lstats.live() && lbytes == h.lstats.inUse()
	h.largeMu.Unlock()
	if !ok {
		return fmt.Errorf("malloc: check: large blocks recount %d bytes, counters disagree: %w", lbytes, memkit.ErrCorrupt)
	}
	if got := h.mapped.Load(); got != mapped+lbytes {
		return fmt.Errorf("malloc: check: mapped %d bytes, recount %d: %w", got, mapped+lbytes, memkit.ErrCorrupt)
	}
	if h.debug {
		return h.dbgCheck()
	}
	return nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("malloc: check: %s: %w", fmt.Sprintf(format, args...), memkit.ErrCorrupt)
}

// check verifies one shard; the caller holds its lock.
func (sh *shard) check(mapped *int64) error {
	var live, inUse int64
	runs := map[uint32]bool{}
	freeRefs := map[fitRef]bool{}
	fitFree := 0
	for c, l := range sh.fit.lists {
		if (len(l) > 0) != sh.fit.mask.Has(fitClasses, c) {
			return corrupt("fit class %d: %d blocks, bitmap disagrees", c, len(l))
		}
		for _, ref := range l {
			if fitClasses.Down(uint64(ref.size>>alignShift)) != c {
				return corrupt("fit block %#x+%d filed in class %d", ref.off, ref.size, c)
			}
			if int(ref.arena) >= len(sh.arenas) {
				return corrupt("fit block %#x+%d in arena %d of %d", ref.off, ref.size, ref.arena, len(sh.arenas))
			}
			if sh.fitValid(ref) {
				freeRefs[ref] = true
			}
		}
	}
	unused := map[uint32]bool{}
	for _, ri := range sh.runs.free {
		if ri == 0 || ri >= sh.runs.made() || unused[ri] {
			return corrupt("run record %d on the unused list twice or out of range", ri)
		}
		unused[ri] = true
	}
	for idx, a := range sh.arenas {
		if a == nil {
			continue
		}
		*mapped += int64(a.size)
		if a.idx != idx || lookup(a.base) != a || lookup(a.base+a.size-1) != a {
			return corrupt("arena %#x not found by address or index", a.base)
		}
		nfree := 0
		for p := 0; p < a.npages; {
			ri := a.pages[p]
			if (ri == 0) != a.pageFree(p) {
				return corrupt("arena %#x page %d: free bit and owner disagree", a.base, p)
			}
			if ri == 0 {
				nfree++
				p++
				continue
			}
			if ri >= sh.runs.made() || unused[ri] {
				return corrupt("arena %#x page %d: run record %d is not in use", a.base, p, ri)
			}
			r := sh.runs.at(ri)
			if r.arena != uint32(idx) || int(r.start>>pageShift) != p || runs[ri] || r.pages == 0 {
				return corrupt("arena %#x page %d: run does not start here", a.base, p)
			}
			runs[ri] = true
			for q := p; q < p+int(r.pages); q++ {
				if q >= a.npages || a.pages[q] != ri {
					return corrupt("arena %#x page %d: run of %d pages broken", a.base, q, r.pages)
				}
			}
			switch {
			case r.class == fitClass:
				used, bytes, nfreeBlocks, err := a.checkFit(r, freeRefs)
				if err != nil {
					return err
				}
				fitFree += nfreeBlocks
				live += int64(used)
				inUse += bytes
			case r.class == mediumClass:
				if r.used != 1 || r.size != r.pages<<pageShift {
					return corrupt("arena %#x medium run at page %d: %d blocks of %d bytes in %d pages", a.base, p, r.used, r.size, r.pages)
				}
				live++
				inUse += int64(r.size)
			case r.class >= 0 && int(r.class) < numClasses:
				if err := sh.checkSlab(a, ri, r); err != nil {
					return err
				}
				live += int64(r.used)
				inUse += int64(r.used) * int64(r.size)
			default:
				return corrupt("arena %#x run at page %d: class %d", a.base, p, r.class)
			}
			if r.class != fitClass && a.starts != nil {
				for g := r.start >> alignShift; g < (r.start+r.pages<<pageShift)>>alignShift; g += 64 {
					if a.starts[g/64]|a.fstarts[g/64] != 0 {
						return corrupt("arena %#x: fit block start in a run of class %d at page %d", a.base, r.class, p)
					}
				}
			}
			p += int(r.pages)
		}
		if nfree != a.nfree {
			return corrupt("arena %#x: %d free pages, counter says %d", a.base, nfree, a.nfree)
		}
		for p := range a.npages {
			var want uint64
			if ri := a.pages[p]; ri != 0 {
				want = a.entry(ri, sh.runs.at(ri).class, p)
			}
			if ep := pageEntry(a.base + uintptr(p)<<pageShift); ep == nil || ep.Load() != want {
				return corrupt("arena %#x page %d: page-table entry disagrees with the run", a.base, p)
			}
		}
		if a.starts != nil {
			for p := 0; p < a.npages; p++ {
				if a.pages[p] == 0 {
					for w := p << pageShift >> alignShift / 64; w < (p+1)<<pageShift>>alignShift/64; w++ {
						if a.starts[w]|a.fstarts[w] != 0 {
							return corrupt("arena %#x: block start in free page %d", a.base, p)
						}
					}
				}
			}
		}
	}
	if n := sh.runs.made(); n > 0 && len(runs)+len(unused)+1 != int(n) {
		return corrupt("%d runs in arenas and %d unused records, %d records made", len(runs), len(unused), n-1)
	}
	if fitFree != len(freeRefs) || fitFree != sh.fit.nfree {
		return corrupt("%d free fit blocks in runs, %d in the lists, counter says %d", fitFree, len(freeRefs), sh.fit.nfree)
	}
	for c := range sh.classes {
		for i, ri := range sh.classes[c].partial {
			r := sh.runs.at(ri)
			if !runs[ri] || int(r.class) != c || int(r.pidx) != i {
				return corrupt("class %d: partial list entry %d (run %d) disagrees with the run", c, i, ri)
			}
		}
	}
	if live != sh.stats.live() || inUse != sh.stats.inUse() {
		return corrupt("recount %d blocks, %d bytes; counters %d blocks, %d bytes", live, inUse, sh.stats.live(), sh.stats.inUse())
	}
	return nil
}

// checkSlab verifies slab run ri of arena a: its bitmap against its
// counters, its bump pointer and its partial-list membership.
func (sh *shard) checkSlab(a *arena, ri uint32, r *run) error {
	c := r.class
	if r.size != classSize[c] || uint32(r.nslots) != classSlots[c] || r.pages != classPages[c] {
		return corrupt("arena %#x run at %#x: shape %d×%d in %d pages, class %d wants %d×%d in %d", a.base, r.start, r.nslots, r.size, r.pages, c, classSlots[c], classSize[c], classPages[c])
	}
	used := uint32(0)
	for i := uint32(0); i < maxSlots; i++ {
		switch {
		case i >= uint32(r.nslots):
			if !r.isLive(i) {
				return corrupt("arena %#x run at %#x: bit %d past the %d slots is clear", a.base, r.start, i, r.nslots)
			}
		case r.isLive(i):
			if i >= uint32(r.bump) {
				return corrupt("arena %#x run at %#x: slot %d live at or above bump %d", a.base, r.start, i, r.bump)
			}
			used++
		}
	}
	if used != r.used || r.bump > r.nslots {
		return corrupt("arena %#x run at %#x: %d live slots, counter says %d (bump %d of %d)", a.base, r.start, used, r.used, r.bump, r.nslots)
	}
	cl := &sh.classes[c]
	inList := r.pidx >= 0 && int(r.pidx) < len(cl.partial) && cl.partial[r.pidx] == ri
	if inList != (r.used < uint32(r.nslots)) {
		return corrupt("arena %#x run at %#x: partial list membership wrong", a.base, r.start)
	}
	return nil
}

// checkFit walks the blocks of fit run r, checking that they tile it, that
// no two free blocks touch and that every free one is listed.
func (a *arena) checkFit(r *run, listed map[fitRef]bool) (used uint32, bytes int64, free int, err error) {
	end := r.start + r.pages<<pageShift
	prevFree := false
	for off := r.start; off < end; {
		live, fr := a.isStart(off), a.isFree(off)
		if live == fr {
			return 0, 0, 0, corrupt("arena %#x fit run: offset %#x is live=%v free=%v", a.base, off, live, fr)
		}
		size := a.fitSize(r, off)
		if fr {
			if prevFree {
				return 0, 0, 0, corrupt("arena %#x fit run: free blocks touch at %#x", a.base, off)
			}
			if !listed[fitRef{arena: uint32(a.idx), off: off, size: size}] {
				return 0, 0, 0, corrupt("arena %#x fit run: free block %#x+%d not listed", a.base, off, size)
			}
			free++
		} else {
			used++
			bytes += int64(size)
		}
		prevFree = fr
		off += size
	}
	if used != r.used {
		return 0, 0, 0, corrupt("arena %#x fit run: %d live blocks, counter says %d", a.base, used, r.used)
	}
	return used, bytes, free, nil
}

// Reset frees every block at once. Arenas stay mapped for reuse (their
// pages are not zeroed); large blocks are unmapped. Slices obtained before
// Reset must not be used afterwards.
func (h *Heap) Reset() {
	if h.closed.Load() {
		return
	}
	if h.debug {
		h.dbgReset()
	}
	for i := range h.shards {
		sh := &h.shards[i]
		h.lock(sh)
		sh.reset()
		h.unlock(sh)
	}
	h.resetLarge()
}

// reset frees every run of the shard; the caller holds its lock.
func (sh *shard) reset() {
	for _, a := range sh.arenas {
		if a == nil {
			continue
		}
		a.eachRun(&sh.runs, func(ri uint32, r *run) {
			a.give(int(r.start>>pageShift), int(r.pages))
			sh.runs.release(ri)
		})
		clear(a.starts)
		clear(a.fstarts)
	}
	for c := range sh.fit.lists {
		sh.fit.lists[c] = sh.fit.lists[c][:0]
	}
	sh.fit.mask.Reset()
	sh.fit.runs, sh.fit.entries, sh.fit.nfree = 0, 0, 0
	for c := range sh.classes {
		sh.classes[c].partial = sh.classes[c].partial[:0]
	}
	sh.cursor = 0
	st := &sh.stats
	st.frees = st.allocs
	st.bytesFreed = st.bytesAllocated
}

// resetLarge unmaps every large block.
func (h *Heap) resetLarge() error {
	h.largeMu.Lock()
	defer h.largeMu.Unlock()
	var errs []error
	for addr, l := range h.large {
		delete(h.large, addr)
		h.mapped.Add(-int64(len(l.mem)))
		errs = append(errs, osmem.Unmap(l.mem))
	}
	st := &h.lstats
	st.frees = st.allocs
	st.bytesFreed = st.bytesAllocated
	return errors.Join(errs...)
}

// Trim gives free memory back to the OS: arenas without a live block are
// unmapped, and free pages of the others are decommitted (they stay mapped
// and read as zero when reused). Live blocks are not touched. Empty runs
// kept for reuse are released first.
func (h *Heap) Trim() error {
	if h.closed.Load() {
		return fmt.Errorf("malloc: trim: %w", memkit.ErrClosed)
	}
	var errs []error
	for i := range h.shards {
		sh := &h.shards[i]
		h.lock(sh)
		errs = append(errs, sh.trim())
		h.unlock(sh)
	}
	return errors.Join(errs...)
}

func (sh *shard) trim() error {
	for c := range sh.fit.lists {
		for i := 0; i < len(sh.fit.lists[c]); {
			ref := sh.fit.lists[c][i]
			if sh.fitValid(ref) {
				a := sh.arenas[ref.arena]
				ri := a.pages[ref.off>>pageShift]
				r := sh.runs.at(ri)
				if ref.off == r.start && ref.size == r.pages<<pageShift {
					sh.fit.lists[c][i] = sh.fit.lists[c][len(sh.fit.lists[c])-1]
					sh.fit.lists[c] = sh.fit.lists[c][:len(sh.fit.lists[c])-1]
					sh.fit.entries--
					sh.fit.remove(a, ref.off)
					sh.fit.runs--
					sh.freeRun(ri, r)
					continue
				}
			}
			i++
		}
	}
	for c := range sh.classes {
		cl := &sh.classes[c]
		for i := 0; i < len(cl.partial); {
			ri := cl.partial[i]
			if r := sh.runs.at(ri); r.used == 0 {
				cl.remove(&sh.runs, ri)
				sh.freeRun(ri, r)
				continue
			}
			i++
		}
	}
	sh.fitCompact()
	var errs []error
	for idx, a := range sh.arenas {
		if a == nil {
			continue
		}
		if a.nfree == a.npages {
			errs = append(errs, sh.h.releaseArena(a))
			sh.arenas[idx] = nil
			continue
		}
		osPages := max(1, osmem.PageSize/pageSize)
		for p := a.nextFree(0); p < a.npages; {
			e := a.nextUsed(p)
			lo := (p + osPages - 1) / osPages * osPages
			hi := e / osPages * osPages
			dirty := false
			for q := lo; q < hi; q++ {
				if a.dirty[q/64]>>(q%64)&1 != 0 {
					dirty = true
				}
			}
			if lo < hi && dirty {
				if err := osmem.Decommit(a.mem[lo<<pageShift : hi<<pageShift]); err != nil {
					errs = append(errs, err)
				} else {
					for q := lo; q < hi; q++ {
						a.dirty[q/64] &^= 1 << (q % 64)
					}
				}
			}
			p = a.nextFree(e)
		}
	}
	n := len(sh.arenas)
	for n > 0 && sh.arenas[n-1] == nil {
		n--
	}
	sh.arenas = sh.arenas[:n]
	sh.cursor = 0
	return errors.Join(errs...)
}

// Close frees every block and unmaps every mapping. Later calls on the
// heap return errors wrapping memkit.ErrClosed (Reset does nothing, Stats
// reports zero usage). Close must not run concurrently with other calls.
func (h *Heap) Close() error {
	if h.closed.Swap(true) {
		return fmt.Errorf("malloc: close: %w", memkit.ErrClosed)
	}
	if h.debug {
		h.dbgReset()
	}
	var errs []error
	for i := range h.shards {
		sh := &h.shards[i]
		sh.reset()
		for _, a := range sh.arenas {
			if a != nil {
				errs = append(errs, h.releaseArena(a))
			}
		}
		sh.arenas = nil
		sh.runs = runStore{}
		for c := range sh.classes {
			sh.classes[c].partial = nil
		}
	}
	errs = append(errs, h.resetLarge())
	freeHeapTag(h.ptag)
	h.ptag = noTag
	return errors.Join(errs...)
}
