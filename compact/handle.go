// Handles: the stable, checked names of blocks, and the table behind them.

package compact

import (
	"fmt"
	"sync/atomic"

	"github.com/memkit/memkit"
)

// Handle names one block for its whole life, across every move. Its low 32
// bits are the block's slot in the heap's handle table (slot 0 is never
// handed out, so the zero Handle is always invalid); its high 32 bits are
// the slot's generation: 8 bits of heap tag, different for each heap made in
// a process (256 heaps before a tag repeats), and a 24-bit counter bumped
// each time the slot is freed. A handle whose generation is not the slot's
// current one is stale or foreign and is refused; it is never taken for
// another block, unless the same slot was reused 2^24 times since.
type Handle uint64

const (
	genBits  = 24
	genMask  = 1<<genBits - 1
	slotMask = 1<<32 - 1
)

func makeHandle(slot int32, gen uint32) Handle { return Handle(uint64(gen)<<32 | uint64(uint32(slot))) }

func (hd Handle) slot() int64    { return int64(hd & slotMask) }
func (hd Handle) gen() uint32    { return uint32(hd >> 32) }
func (hd Handle) String() string { return fmt.Sprintf("%#x", uint64(hd)) }

// heapTags hands out the tag that starts every generation of a new heap.
var heapTags atomic.Uint32

// nextGen is the generation a slot has after a free: the counter bumped in
// place, the tag kept.
func nextGen(g uint32) uint32 { return g&^genMask | (g+1)&genMask }

// entry is one slot of the handle table. A live entry describes a block;
// a free entry is on the free-slot stack (linked through next).
//
// Invariants (checked by Check): live blocks form a circular list in
// address order through prev/next with the sentinel slot 0 (off 0, cap 0)
// at both ends; off and cap are multiples of the alignment; a block's gap,
// the free bytes between its end and the next block's start (or the end of
// the space), is filed under gapClass in the gap index when it is non-zero.
type entry struct {
	off  int   // bytes from the start of the space; guarded by the heap
	cap  int   // bytes reserved: size rounded up to the alignment
	size int   // bytes requested; Bytes returns this many
	prev int32 // address-order neighbours (live), or free-stack link in next (free)
	next int32
	// gap index links: the other blocks whose gap is in the same class.
	gapPrev, gapNext int32
	gapClass         int32 // class of this block's gap; -1 when the gap is 0 or the slot is free
	gen              uint32
	pins             int32   // Pin count; > 0: the block never moves
	live             bool    // slot holds a block
	owner            *[]byte // tracked slice that refers to this block, or nil
	dst              int     // scratch: target offset during a squeeze
	aux              int     // scratch: offset before the current sliding pass
}

// lookup returns the slot hd names, or an error wrapping ErrInvalidFree
// (ErrDoubleFree when hd's block was freed and its slot not reused).
// op names the operation for the message.
func (h *Heap) lookup(op string, hd Handle) (int32, error) {
	s := hd.slot()
	if s <= 0 || s >= int64(len(h.tab)) {
		return 0, h.badHandle(op, hd, memkit.ErrInvalidFree)
	}
	e := &h.tab[s]
	if e.live && e.gen == hd.gen() {
		return int32(s), nil
	}
	if !e.live && e.gen == nextGen(hd.gen()) {
		return 0, h.badHandle(op, hd, memkit.ErrDoubleFree)
	}
	return 0, h.badHandle(op, hd, memkit.ErrInvalidFree)
}

func (h *Heap) badHandle(op string, hd Handle, err error) error {
	return fmt.Errorf("compact: %s handle %v: %w", op, hd, err)
}

// newSlot takes a free slot, or grows the table when it is unlimited. It
// reports false when a fixed table is full.
func (h *Heap) newSlot() (int32, bool) {
	if h.freeSlot != 0 {
		s := h.freeSlot
		h.freeSlot = h.tab[s].next
		return s, true
	}
	if h.fixed || len(h.tab) >= 1<<31-1 {
		return 0, false
	}
	h.tab = append(h.tab, entry{gen: h.tag, gapClass: -1})
	return int32(len(h.tab) - 1), true
}

// canSlot reports whether newSlot would succeed, without taking one.
func (h *Heap) canSlot() bool {
	return h.freeSlot != 0 || !h.fixed && len(h.tab) < 1<<31-1
}

// releaseSlot bumps the generation of a slot whose block is gone and puts
// it on the free stack.
func (h *Heap) releaseSlot(s int32) {
	e := &h.tab[s]
	e.live = false
	e.gen = nextGen(e.gen)
	e.pins = 0
	e.owner = nil
	e.off, e.cap, e.size = 0, 0, 0
	e.prev = 0
	e.next = h.freeSlot
	h.freeSlot = s
}
