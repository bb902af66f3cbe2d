// The page table: from any arena page to its heap, shard and run in one load.

package malloc

import (
	"sync/atomic"
)

// Free must get from an address to the run record of its block. Through
// the arena (address table, arena struct, its page array, the record) that
// is four dependent loads; the page table names the record straight away:
// one pointer-free 64-bit entry per 4 KiB page of every arena of every
// heap, in lazily made leaves of 1 GiB of address space each. An entry
// packs, from the low bits up:
//
//	bits  0-31  the run's record index in its shard (0: the page is free)
//	bits 32-38  the run's size class, or entNoClass for a medium or fit run
//	bits 39-42  the page's index inside its run (slab runs: at most 16 pages)
//	bits 43-48  the shard's index in its heap
//	bits 49-63  the heap's id (0: no heap)
//
// so Free of a slab block reads the entry, checks the heap id, and goes to
// the record, the class's size and its division constant at once. The
// entries of an arena's pages are written under its shard's lock when its
// pages change hands (arena.take, arena.give, newRun) and read with atomic
// loads, so a Free of a foreign address racing with another heap is safe;
// a concurrent Free re-reads its entry under the shard lock.
//
// The top level holds leaf numbers (1-based, 0: no leaf), not pointers, so
// the garbage collector scans nothing of the table but the short list of
// leaves. The leaf made last is also kept as the hot leaf, tried first: a
// leaf spans 1 GiB of address space and the mappings of a process
// usually sit together, so most lookups take two dependent loads (the
// hot leaf, the entry) instead of four.
const (
	ptLeafBits = 18
	ptTopBits  = max(0, addrBitsUsed-pageShift-ptLeafBits)

	entClassShift = 32
	entPageShift  = 39
	entShardShift = 43
	entHeapShift  = 49
	entNoClass    = 1<<7 - 1
	maxHeapIDs    = 1<<(64-entHeapShift) - 1
	maxShards     = 1 << (entHeapShift - entShardShift)
	entRunMask    = 1<<entClassShift - 1
	entTagMask    = ^uint64(1<<entHeapShift - 1)
)

// noTag is Heap.ptag of a heap that got no id: it matches no entry.
const noTag = ^uint64(0)

// A pleaf holds the entries of 2^ptLeafBits pages: those of top-level
// slot t.
type pleaf struct {
	t uint64
	e [1 << ptLeafBits]atomic.Uint64
}

var ptable struct {
	hot    atomic.Pointer[pleaf]         // the leaf made last, read first (most processes need one)
	top    [1 << ptTopBits]atomic.Uint32 // leaf number + 1, 0: none
	leaves atomic.Pointer[[]*pleaf]      // written under table.mu
	ids    []uint16                      // heap ids free for reuse (table.mu)
	nextID uint64                        // heap ids handed out so far (table.mu)
}

// pageEntry returns the entry of the page holding addr, or nil when no
// arena was ever mapped in its gigabyte.
func pageEntry(addr uintptr) *atomic.Uint64 {
	g := uint64(addr) >> pageShift
	if l := ptable.hot.Load(); l != nil && l.t == g>>ptLeafBits {
		return &l.e[g&(1<<ptLeafBits-1)]
	}
	return pageEntrySlow(g)
}

// pageEntrySlow is pageEntry for page number g outside the hot leaf:
// through the top level (kept out of line: Free inlines the hot test).
//
//go:noinline
func pageEntrySlow(g uint64) *atomic.Uint64 {
	t := g >> ptLeafBits
	if t >= 1<<ptTopBits {
		return nil
	}
	n := ptable.top[t].Load()
	if n == 0 {
		return nil
	}
	return &(*ptable.leaves.Load())[n-1].e[g&(1<<ptLeafBits-1)]
}

// ptReserve makes the leaves covering [base, base+size); table.mu is held.
func ptReserve(base, size uintptr) {
	for t := uint64(base) >> pageShift >> ptLeafBits; t <= (uint64(base)+uint64(size)-1)>>pageShift>>ptLeafBits; t++ {
		if ptable.top[t].Load() != 0 {
			continue
		}
		var leaves []*pleaf
		if p := ptable.leaves.Load(); p != nil {
			leaves = *p
		}
		l := &pleaf{t: t}
		leaves = append(leaves[:len(leaves):len(leaves)], l)
		ptable.leaves.Store(&leaves)
		ptable.top[t].Store(uint32(len(leaves)))
		ptable.hot.Store(l)
	}
}

// newHeapTag gives a heap an id and returns its tag (the id in place), or
// noTag when every id is taken: such a heap works the same, only its Free
// takes the path through the arena.
func newHeapTag() uint64 {
	table.mu.Lock()
	defer table.mu.Unlock()
	var id uint64
	if n := len(ptable.ids); n > 0 {
		id = uint64(ptable.ids[n-1])
		ptable.ids = ptable.ids[:n-1]
	} else if ptable.nextID < maxHeapIDs {
		ptable.nextID++
		id = ptable.nextID
	} else {
		return noTag
	}
	return id << entHeapShift
}

// freeHeapTag returns a closed heap's id, whose pages are all unpublished.
func freeHeapTag(tag uint64) {
	if tag == noTag {
		return
	}
	table.mu.Lock()
	ptable.ids = append(ptable.ids, uint16(tag>>entHeapShift))
	table.mu.Unlock()
}

// entry returns the page-table entry of page p of a, a run ri's page.
func (a *arena) entry(ri uint32, class int8, p int) uint64 {
	if a.ptag == noTag || ri == 0 {
		return 0
	}
	e := a.ptag | uint64(ri)
	if class >= 0 {
		r := a.shard.runs.at(ri)
		return e | uint64(class)<<entClassShift | uint64(p-int(r.start>>pageShift))<<entPageShift
	}
	return e | entNoClass<<entClassShift
}

// publish writes the entries of pages [p, p+k), held by run ri of class
// class (or free, ri == 0).
func (a *arena) publish(p, k int, ri uint32, class int8) {
	if a.ptag == noTag {
		return
	}
	for i := p; i < p+k; i++ {
		pageEntry(a.base + uintptr(i)<<pageShift).Store(a.entry(ri, class, i))
	}
}
