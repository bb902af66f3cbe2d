// Arenas and runs: pages mapped from the OS, carved into runs of slots.

package malloc

import (
	"math/bits"

	"github.com/memkit/memkit/internal/osmem"
)

// An arena is one mapping of Heap.arenaSize bytes, owned by one shard for
// its whole life. Its pages (4 KiB) are either free or belong to one run.
// All of its metadata is Go memory apart from the mapping: nothing the
// caller can overrun.
//
// Invariants (guarded by shard.mu when the heap is concurrent):
//   - freeMask bit p is set iff pages[p] == nil; nfree counts those bits.
//   - starts bit i is set iff the 16-byte granule i begins a live block.
//   - dirty bit p is clear only if page p reads as zero (never written since
//     it was mapped or decommitted).
//
// base, size, mem, heap, shard and npages are immutable after newArena.
type arena struct {
	starts   []uint64 // one bit per 16 bytes: a live block starts here
	fstarts  []uint64 // one bit per 16 bytes: a free fit block starts here
	pages    []*run   // page -> the run holding it, nil when free
	base     uintptr  // address of mem[0]
	size     uintptr  // bytes mapped
	mem      []byte   // the mapping
	heap     *Heap
	shard    *shard
	freeMask []uint64 // one bit per page: free
	dirty    []uint64 // one bit per page: may hold non-zero bytes
	npages   int
	nfree    int    // free pages
	idx      int    // index in shard.arenas
	id       uint32 // in the global table, 0 once unregistered
}

// A run is a range of pages of one arena. A small run holds nslots slots
// of one class; a medium run holds one block of its whole length.
//
// Slots are handed out first from free (a stack of freed slots' arena
// offsets), then by bumping: slots at or past bump have never been handed
// out since the run was made, and read as zero when fresh is set.
type run struct {
	free   []uint32 // arena offsets of freed slots
	arena  *arena
	start  uint32 // arena offset of the first slot
	size   uint32 // slot size; for a medium run the block's length
	bump   uint32 // arena offset of the next never-used slot
	end    uint32 // arena offset past the last slot
	used   uint32 // live slots
	nslots uint32
	pages  uint32
	class  int16 // -1 for a medium run
	fresh  bool  // pages were clean when the run was made
	pidx   int32 // index in its class's partial list, -1 if not there
}

// newArena maps and registers an arena for sh.
func (h *Heap) newArena(sh *shard) (*arena, error) {
	mem, err := osmem.Map(h.arenaSize)
	if err != nil {
		return nil, err
	}
	np := len(mem) >> pageShift
	a := &arena{
		starts:   make([]uint64, (len(mem)>>alignShift+63)/64),
		fstarts:  make([]uint64, (len(mem)>>alignShift+63)/64),
		pages:    make([]*run, np),
		base:     addrOf(mem),
		size:     uintptr(len(mem)),
		mem:      mem,
		heap:     h,
		shard:    sh,
		freeMask: make([]uint64, (np+63)/64),
		dirty:    make([]uint64, (np+63)/64),
		npages:   np,
		nfree:    np,
	}
	for p := range np {
		a.freeMask[p/64] |= 1 << (p % 64)
	}
	if err := register(a); err != nil {
		_ = osmem.Unmap(mem)
		return nil, err
	}
	h.mapped.Add(int64(len(mem)))
	a.idx = len(sh.arenas)
	sh.arenas = append(sh.arenas, a)
	return a, nil
}

// release unmaps an arena that holds no run.
func (h *Heap) releaseArena(a *arena) error {
	unregister(a)
	h.mapped.Add(-int64(a.size))
	err := osmem.Unmap(a.mem)
	a.mem = nil
	return err
}

func (a *arena) pageFree(p int) bool { return a.freeMask[p/64]>>(p%64)&1 != 0 }

// nextFree returns the first free page at or after p, or npages.
func (a *arena) nextFree(p int) int {
	for p < a.npages {
		w := a.freeMask[p/64] >> (p % 64)
		if w != 0 {
			return min(a.npages, p+bits.TrailingZeros64(w))
		}
		p = (p/64 + 1) * 64
	}
	return a.npages
}

// nextUsed returns the first used page at or after p, or npages.
func (a *arena) nextUsed(p int) int {
	for p < a.npages {
		w := ^a.freeMask[p/64] >> (p % 64)
		if w != 0 {
			return min(a.npages, p+bits.TrailingZeros64(w))
		}
		p = (p/64 + 1) * 64
	}
	return a.npages
}

// findPages returns the first page of k consecutive free pages (first fit)
// and the length of the free extent it starts, or -1.
func (a *arena) findPages(k int) (int, int) {
	if a.nfree < k {
		return -1, 0
	}
	for p := a.nextFree(0); p < a.npages; {
		e := a.nextUsed(p)
		if e-p >= k {
			return p, e - p
		}
		p = a.nextFree(e)
	}
	return -1, 0
}

// take marks pages [p, p+k) as r's and reports whether they were all clean.
func (a *arena) take(p, k int, r *run) bool {
	clean := true
	for i := p; i < p+k; i++ {
		a.freeMask[i/64] &^= 1 << (i % 64)
		if a.dirty[i/64]>>(i%64)&1 != 0 {
			clean = false
		}
		a.dirty[i/64] |= 1 << (i % 64)
		a.pages[i] = r
	}
	a.nfree -= k
	return clean
}

// give returns pages [p, p+k) to the free pool and reports how many free
// neighbours (0, 1 or 2) they merged with.
func (a *arena) give(p, k int) int {
	merged := 0
	if p > 0 && a.pageFree(p-1) {
		merged++
	}
	if p+k < a.npages && a.pageFree(p+k) {
		merged++
	}
	for i := p; i < p+k; i++ {
		a.freeMask[i/64] |= 1 << (i % 64)
		a.pages[i] = nil
	}
	a.nfree += k
	return merged
}

func (a *arena) setStart(off uint32)   { a.starts[off>>10] |= 1 << (off >> alignShift & 63) }
func (a *arena) clearStart(off uint32) { a.starts[off>>10] &^= 1 << (off >> alignShift & 63) }
func (a *arena) isStart(off uint32) bool {
	return a.starts[off>>10]>>(off>>alignShift&63)&1 != 0
}
