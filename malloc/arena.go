// Arenas and runs: pages mapped from the OS, carved into runs of slots.

package malloc

import (
	"math/bits"

	"github.com/memkit/memkit/internal/osmem"
)

// An arena is one mapping of Heap.arenaSize bytes, owned by one shard for
// its whole life. Its pages (4 KiB) are either free or belong to one run.
// All of its metadata is Go memory apart from the mapping (nothing the
// caller can overrun), in three pointer-free arrays besides the struct.
//
// Invariants (guarded by shard.mu when the heap is concurrent):
//   - pages[p] is the index of the run holding page p, 0 when it is free.
//   - freeMask bit p is set iff pages[p] == 0; nfree counts those bits.
//   - dirty bit p is clear only if page p reads as zero (never written since
//     it was mapped or decommitted).
//   - starts and fstarts are nil until the arena holds a fit run; then bit
//     i of starts is set iff the 16-byte granule i begins a live fit
//     block, and of fstarts iff it begins a free one.
//
// mem, base, size, heap, shard, npages and idx are immutable after newArena.
//
// The first four fields fill the struct's first cache line (see arenaPad):
// all that Malloc and Free read of it.
type arena struct {
	mem      []byte   // the mapping
	pages    []uint32 // page -> run index in the shard, 0 when free
	heap     *Heap
	shard    *shard
	base     uintptr  // address of mem[0]
	size     uintptr  // bytes mapped
	freeMask []uint64 // one bit per page: free
	dirty    []uint64 // one bit per page: may hold non-zero bytes (shares freeMask's array)
	starts   []uint64 // fit runs: one bit per 16 bytes, a live block starts here
	fstarts  []uint64 // fit runs: one bit per 16 bytes, a free block starts here (shares starts' array)
	npages   int
	nfree    int    // free pages
	idx      int    // index in shard.arenas (stable: a released arena leaves a nil hole)
	id       uint32 // in the global table, 0 once unregistered
	ptag     uint64 // page-table tag: heap id and shard index in place, noTag if the heap has no id
	_        [arenaPad]byte
}

// arenaPad brings the arena struct to 256 bytes on 64-bit platforms: Go
// puts objects of a 256-byte size class on 256-byte boundaries, so the
// first four fields share one cache line. (Without the pad, its 216
// bytes would go to the 224-byte size class, whose objects do not sit on
// cache-line boundaries.)
const arenaPad = 40 * (bits.UintSize / 64)

// newArena maps and registers an arena for sh.
func (h *Heap) newArena(sh *shard) (*arena, error) {
	mem, err := osmem.Map(h.arenaSize)
	if err != nil {
		return nil, err
	}
	np := len(mem) >> pageShift
	w := (np + 63) / 64
	masks := make([]uint64, 2*w)
	a := &arena{
		pages:    make([]uint32, np),
		base:     addrOf(mem),
		size:     uintptr(len(mem)),
		mem:      mem,
		heap:     h,
		shard:    sh,
		freeMask: masks[:w:w],
		dirty:    masks[w:],
		npages:   np,
		nfree:    np,
		ptag:     noTag,
	}
	if h.ptag != noTag {
		a.ptag = h.ptag | uint64(sh.id)<<entShardShift
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
	for i, o := range sh.arenas {
		if o == nil {
			a.idx = i
			break
		}
	}
	if a.idx == len(sh.arenas) {
		sh.arenas = append(sh.arenas, a)
	} else {
		sh.arenas[a.idx] = a
	}
	return a, nil
}

// fitBitmaps makes the starts and fstarts bitmaps of an arena that gets
// its first fit run.
func (a *arena) fitBitmaps() {
	if a.starts == nil {
		w := (len(a.mem)>>alignShift + 63) / 64
		b := make([]uint64, 2*w)
		a.starts, a.fstarts = b[:w:w], b[w:]
	}
}

// releaseArena unmaps an arena that holds no run. a.mem is left as it was
// (immutable after newArena, so a Free racing with Trim may read it
// without the lock): a Free that still found a here sees only free pages
// under the shard lock and reports an invalid free.
func (h *Heap) releaseArena(a *arena) error {
	a.publish(0, a.npages, 0, 0)
	unregister(a)
	h.mapped.Add(-int64(a.size))
	return osmem.Unmap(a.mem)
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

// take marks pages [p, p+k) as run ri's and reports whether they were all clean.
func (a *arena) take(p, k int, ri uint32) bool {
	clean := true
	for i := p; i < p+k; i++ {
		a.freeMask[i/64] &^= 1 << (i % 64)
		if a.dirty[i/64]>>(i%64)&1 != 0 {
			clean = false
		}
		a.dirty[i/64] |= 1 << (i % 64)
		a.pages[i] = ri
	}
	a.publish(p, k, ri, mediumClass)
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
		a.pages[i] = 0
	}
	a.publish(p, k, 0, 0)
	a.nfree += k
	return merged
}

func (a *arena) setStart(off uint32)   { a.starts[off>>10] |= 1 << (off >> alignShift & 63) }
func (a *arena) clearStart(off uint32) { a.starts[off>>10] &^= 1 << (off >> alignShift & 63) }
func (a *arena) isStart(off uint32) bool {
	return a.starts[off>>10]>>(off>>alignShift&63)&1 != 0
}
