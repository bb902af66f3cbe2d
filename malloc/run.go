// Run records: one pointer-free 64-byte record per run, kept in per-shard chunks.

package malloc

import "math/bits"

// A run is a range of pages of one arena with one purpose: a slab run
// holds nslots slots of one size class, a medium run one block of its
// whole length, a fit run exact-fit blocks (fit.go).
//
// Runs are named by a uint32 index into their shard's record store, never
// by a Go pointer, and hold no Go pointers themselves: the garbage
// collector sees the store as a few pointer-free arrays, however many runs
// there are. Index 0 names no run (a page table entry of 0 is a free page).
//
// Invariants of a slab run (guarded by shard.mu when the heap is concurrent):
//   - live bit i (i < nslots) is set iff slot i is handed out; bits from
//     nslots to maxSlots-1 are always set, so the first clear bit is
//     always a free slot.
//   - used = the number of live slots; the run is on its class's partial
//     list (pidx ≥ 0) iff used < nslots.
//   - slots at or above bump have never been handed out since the run was
//     made; they read as zero when fresh is set.
//
// The record is 64 bytes on a 64-byte boundary (see runStore), so the
// free path reads and writes one cache line of run metadata per block:
// the bitmap and the counters together.
type run struct {
	live   [maxSlots / 64]uint64 // slab: one bit per slot, set = live (or past nslots)
	start  uint32                // arena offset of the first slot (the run's first page)
	size   uint32                // slot size; a medium run's block length; a fit run's length
	pages  uint32                // length in pages
	arena  uint32                // index of its arena in shard.arenas
	pidx   int32                 // index in its class's partial list, -1 if not there
	used   uint32                // live slots (blocks of a fit run; 1 for a medium run)
	nslots uint16                // slots of a slab run
	bump   uint16                // slab: slots at or above it were never handed out
	class  int8                  // size class; mediumClass or fitClass
	fresh  bool                  // pages were clean when the run was made
}

// mediumClass is run.class of a medium run.
const mediumClass = -1

// runStore holds a shard's run records in one slice of plain values, so
// record i is one indexed load away. It grows by append, which moves the
// records: a *run obtained from at is valid only until the next alloc
// (callers re-fetch after making a run). Go allocates slices of 1 KiB and
// more on 64-byte boundaries (its size classes from 1 KiB up are multiples
// of 64 and spans are page-aligned), and the store starts at 64 records,
// so every record sits on one cache line.
type runStore struct {
	recs []run    // record i is recs[i]; recs[0] is never used
	free []uint32 // indexes of unused records
}

// at returns record i.
func (s *runStore) at(i uint32) *run { return &s.recs[i] }

// alloc returns the index of an unused record, its fields left as they were.
func (s *runStore) alloc() uint32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	if len(s.recs) == 0 {
		s.recs = make([]run, 1, 64) // index 0 is never used
	}
	s.recs = append(s.recs, run{})
	return uint32(len(s.recs) - 1)
}

// release makes record i unused.
func (s *runStore) release(i uint32) { s.free = append(s.free, i) }

// made returns the number of records made, index 0 included.
func (s *runStore) made() uint32 { return uint32(len(s.recs)) }

// bytes returns the Go memory the store holds.
func (s *runStore) bytes() int64 { return 64*int64(cap(s.recs)) + 4*int64(cap(s.free)) }

// slotOf returns the index of the slot at arena offset off of slab run r
// and whether off is exactly a slot's start.
func (r *run) slotOf(off uint32) (uint32, bool) {
	x := off - r.start
	i := uint32(uint64(x) * classMagic[r.class] >> 32)
	return i, off >= r.start && i < uint32(r.nslots) && i*r.size == x
}

func (r *run) isLive(i uint32) bool { return r.live[i>>6]>>(i&63)&1 != 0 }

// initSlots sets up a slab run's bitmap: every slot free, the bits past
// the last slot set.
func (r *run) initSlots() {
	n := uint32(r.nslots)
	for w := range r.live {
		lo := uint32(w) * 64
		switch {
		case n >= lo+64:
			r.live[w] = 0
		case n <= lo:
			r.live[w] = ^uint64(0)
		default:
			r.live[w] = ^uint64(0) << (n - lo)
		}
	}
}

// take marks the lowest free slot of slab run r live and returns its
// index; r must have a free slot.
func (r *run) take() uint32 {
	for w := range r.live {
		if x := ^r.live[w]; x != 0 {
			b := uint32(bits.TrailingZeros64(x))
			r.live[w] |= 1 << b
			return uint32(w)*64 + b
		}
	}
	return 0 // unreachable while used < nslots
}

// eachRun calls fn for every run of arena a in page order, with its index
// in runs. fn may give the run's pages back and release its record: the
// walk has read the run's length before it calls fn.
func (a *arena) eachRun(runs *runStore, fn func(ri uint32, r *run)) {
	for p := 0; p < a.npages; {
		ri := a.pages[p]
		if ri == 0 {
			p++
			continue
		}
		r := runs.at(ri)
		p += int(r.pages)
		fn(ri, r)
	}
}
