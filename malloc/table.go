// The global address table: from any address to the arena holding it, in O(1).

package malloc

import (
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/memkit/memkit"
)

// The address space is cut into granules of 64 KiB. Arenas are multiples of
// 64 KiB but only page-aligned (mmap gives no stronger alignment), so one
// granule can hold the tail of one arena and the head of the next, never
// more. Each granule's entry therefore names two arenas by id: lo, the arena
// covering the granule's first byte, and hi, an arena that starts inside the
// granule. A lookup tries hi (when its base is at or below the address) and
// falls back to lo. Entries live in lazily allocated pointer-free leaves
// under a small top array, so the table costs the GC almost nothing.
const (
	granShift = 16
	leafBits  = 18
)

// topBits is the number of granule-index bits above a leaf.
const topBits = max(0, addrBitsUsed-granShift-leafBits)

// addrBitsUsed is the number of address bits the table covers: all 32 on
// 32-bit platforms, 48 on 64-bit ones (the user address space of amd64 and
// arm64 with 4-level page tables). An arena mapped above that is refused.
const addrBitsUsed = 32 + 16*(bits.UintSize/64)

type leaf [1 << leafBits]atomic.Uint64

var table struct {
	mu    sync.Mutex // guards writers: entries, reg growth, freeIDs
	top   [1 << topBits]atomic.Pointer[leaf]
	reg   atomic.Pointer[[]*arena] // id -> arena, &noArena where unused; id 0 is never used
	free  []uint32                 // ids available for reuse
	count uint32                   // ids handed out so far
}

// lookup returns the arena whose range may contain addr, or nil. The caller
// still checks that addr lies inside it.
func lookup(addr uintptr) *arena {
	g := uint64(addr) >> granShift
	t := g >> leafBits
	if t >= 1<<topBits {
		return nil
	}
	l := table.top[t].Load()
	if l == nil {
		return nil
	}
	e := l[g&(1<<leafBits-1)].Load()
	if e == 0 {
		return nil
	}
	reg := *table.reg.Load()
	a := reg[uint32(e)]
	if ah := reg[e>>32]; addr >= ah.base {
		a = ah
	}
	if a == &noArena {
		return nil
	}
	return a
}

// noArena fills the registry's unused ids (0 among them), so that a lookup
// reads both candidates of an entry without testing for nil and picks one
// without a branch: its base is above every address and its heap is nil,
// so it is never chosen over a real arena nor taken for one of a heap's.
var noArena = arena{base: ^uintptr(0)}

// register gives a an id and makes lookup find it.
func register(a *arena) error {
	end := uint64(a.base) + uint64(a.size) - 1
	if end>>granShift>>leafBits >= 1<<topBits {
		return fmt.Errorf("malloc: arena at %#x above the %d-bit address range: %w", a.base, addrBitsUsed, memkit.ErrOutOfMemory)
	}
	table.mu.Lock()
	defer table.mu.Unlock()
	var id uint32
	if n := len(table.free); n > 0 {
		id = table.free[n-1]
		table.free = table.free[:n-1]
	} else {
		table.count++
		id = table.count
	}
	var reg []*arena
	if p := table.reg.Load(); p != nil {
		reg = *p
	}
	if int(id) >= len(reg) {
		grown := make([]*arena, max(64, 2*len(reg), int(id)+1))
		for i := copy(grown, reg); i < len(grown); i++ {
			grown[i] = &noArena
		}
		reg = grown
	}
	reg[id] = a
	table.reg.Store(&reg)
	ptReserve(a.base, a.size)
	a.id = id
	for g := uint64(a.base) >> granShift; g <= end>>granShift; g++ {
		t := g >> leafBits
		l := table.top[t].Load()
		if l == nil {
			l = new(leaf)
			table.top[t].Store(l)
		}
		e := &l[g&(1<<leafBits-1)]
		if g<<granShift >= uint64(a.base) {
			e.Store(e.Load()&^0xffffffff | uint64(id))
		} else {
			e.Store(e.Load()&0xffffffff | uint64(id)<<32)
		}
	}
	return nil
}

// unregister forgets a; lookups of its addresses return nil (or a newer
// arena mapped there later).
func unregister(a *arena) {
	table.mu.Lock()
	defer table.mu.Unlock()
	end := uint64(a.base) + uint64(a.size) - 1
	for g := uint64(a.base) >> granShift; g <= end>>granShift; g++ {
		l := table.top[g>>leafBits].Load()
		e := &l[g&(1<<leafBits-1)]
		v := e.Load()
		if uint32(v) == a.id {
			v &^= 0xffffffff
		}
		if uint32(v>>32) == a.id {
			v &= 0xffffffff
		}
		e.Store(v)
	}
	reg := *table.reg.Load()
	reg[a.id] = &noArena // the slice is shared with readers; the store is ordered by the entries' atomic stores above
	table.free = append(table.free, a.id)
	a.id = 0
}
