// Inspection: statistics, the one-line summary, the dump and the consistency check.

package compact

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/memkit/memkit"
)

// Stats is a snapshot of a heap's counters.
type Stats struct {
	Used        int   // bytes reserved by live blocks (sizes rounded up to Align)
	Requested   int   // bytes requested by live blocks
	Total       int   // bytes in the managed space
	Allocs      int   // live blocks
	Pinned      int   // live blocks pinned at least once
	PeakUsed    int   // highest Used since New
	PeakAllocs  int   // highest Allocs since New
	FreeHoles   int   // gaps of free space, the one at the end included
	LargestFree int   // bytes in the largest gap: the largest block Alloc can place without moving anything
	Moves       int64 // blocks moved since New (compaction, Defragment, relocating Realloc)
	BytesMoved  int64 // bytes those moves copied
}

// Stats returns the heap's counters. It costs O(1) plus a walk of the gaps
// in the largest gap class.
func (h *Heap) Stats() Stats {
	return Stats{
		Used: h.used, Requested: h.requested, Total: h.total,
		Allocs: h.allocs, Pinned: h.pinned,
		PeakUsed: h.peakUsed, PeakAllocs: h.peakAllocs,
		FreeHoles: h.holes, LargestFree: h.largestGap(),
		Moves: h.moves, BytesMoved: h.bytesMoved,
	}
}

// String returns dalloc's one-line summary:
// "used=U/T allocs=N peak_used=P peak_allocs=Q".
func (h *Heap) String() string {
	return fmt.Sprintf("used=%d/%d allocs=%d peak_used=%d peak_allocs=%d", h.used, h.total, h.allocs, h.peakUsed, h.peakAllocs)
}

// Dump writes the summary line, a hex dump of the whole managed space, and
// one line per block in address order: handle, offset, size, reservation,
// pin count, and whether a slice tracks it.
func (h *Heap) Dump(w io.Writer) error {
	if len(h.tab) == 0 {
		return errZeroHeap
	}
	if _, err := fmt.Fprintf(w, "%s policy=%v align=%d\n", h, h.policy, 1<<h.shift); err != nil {
		return err
	}
	d := hex.Dumper(w)
	if _, err := d.Write(h.mem); err != nil {
		return err
	}
	if err := d.Close(); err != nil {
		return err
	}
	for s := h.tab[0].next; s != 0; s = h.tab[s].next {
		e := &h.tab[s]
		if _, err := fmt.Fprintf(w, "block handle=%v offset=%#x size=%d cap=%d pinned=%d tracked=%t\n",
			makeHandle(s, e.gen), e.off, e.size, e.cap, e.pins, e.owner != nil); err != nil {
			return err
		}
	}
	return nil
}

// zeros is what free memory is compared with.
var zeros [4096]byte

func corrupt(format string, args ...any) error {
	return fmt.Errorf("compact: check: %s: %w", fmt.Sprintf(format, args...), memkit.ErrCorrupt)
}

// Check walks all of the heap's metadata and reports the first
// inconsistency, wrapping ErrCorrupt: blocks in strict address order,
// aligned, inside the space and not overlapping; every slot either live
// and on the address list once or on the free stack once; counters equal to
// a recount; every gap filed under its size class and the class bitmap
// matching; the compact prefix really compact; tracked slices and table
// agreeing; and, unless KeepFreed, every byte outside live blocks zero.
// It costs O(blocks + table + space).
func (h *Heap) Check() error {
	if len(h.tab) == 0 {
		return errZeroHeap
	}
	mask := 1<<h.shift - 1
	z := &h.tab[0]
	if !z.live || z.off != 0 || z.cap != 0 {
		return corrupt("sentinel slot 0 is %+v", *z)
	}
	seen := make([]bool, len(h.tab))
	seen[0] = true
	var used, req, n, pinned, holes, owners int
	cleanSeen := h.clean == 0
	prefixOK := true
	end := 0
	for p, s := int32(0), z.next; s != 0; p, s = s, h.tab[s].next {
		if s < 0 || int(s) >= len(h.tab) {
			return corrupt("block after slot %d: slot %d out of the table", p, s)
		}
		if seen[s] {
			return corrupt("slot %d reached twice on the address list", s)
		}
		seen[s] = true
		e := &h.tab[s]
		switch {
		case !e.live:
			return corrupt("slot %d on the address list is free", s)
		case e.prev != p:
			return corrupt("slot %d: prev %d, want %d", s, e.prev, p)
		case e.off&mask != 0 || e.cap&mask != 0:
			return corrupt("block %d [%#x, +%d) not aligned to %d", s, e.off, e.cap, mask+1)
		case e.size <= 0 || e.cap != h.roundUp(e.size):
			return corrupt("block %d: size %d, reservation %d", s, e.size, e.cap)
		case e.off < end:
			return corrupt("block %d at %#x overlaps or precedes the block ending at %#x", s, e.off, end)
		case e.off+e.cap > h.total:
			return corrupt("block %d [%#x, +%d) past the space of %d bytes", s, e.off, e.cap, h.total)
		case e.pins < 0:
			return corrupt("block %d: pin count %d", s, e.pins)
		}
		if !cleanSeen && e.pins == 0 && e.off != end {
			prefixOK = false
		}
		if s == h.clean {
			cleanSeen = true
			if !prefixOK {
				return corrupt("a gap lies below the compact mark (block %d at %#x)", s, e.off)
			}
		}
		end = e.off + e.cap
		used += e.cap
		req += e.size
		n++
		if e.pins > 0 {
			pinned++
		}
		if e.owner != nil {
			owners++
			if hd, ok := h.owners[e.owner]; !ok || hd != makeHandle(s, e.gen) {
				return corrupt("block %d: tracked slice %p maps to %v", s, e.owner, hd)
			}
		}
	}
	if z.prev != 0 && (int(z.prev) >= len(h.tab) || h.tab[z.prev].next != 0) || z.prev == 0 && n > 0 {
		return corrupt("sentinel prev %d is not the last block", z.prev)
	}
	if !cleanSeen {
		return corrupt("compact mark %d is not a live block", h.clean)
	}
	if used != h.used || req != h.requested || n != h.allocs || pinned != h.pinned {
		return corrupt("counters used=%d requested=%d allocs=%d pinned=%d; recount %d, %d, %d, %d",
			h.used, h.requested, h.allocs, h.pinned, used, req, n, pinned)
	}
	if owners != len(h.owners) {
		return corrupt("%d tracked slices in the map, %d in the table", len(h.owners), owners)
	}
	free := 0
	for s := h.freeSlot; s != 0; s = h.tab[s].next {
		if s < 0 || int(s) >= len(h.tab) || seen[s] {
			return corrupt("free slot stack reaches slot %d twice or out of range", s)
		}
		seen[s] = true
		if h.tab[s].live {
			return corrupt("slot %d on the free stack is live", s)
		}
		free++
	}
	if free+n+1 != len(h.tab) {
		return corrupt("%d free and %d live slots in a table of %d", free, n, len(h.tab)-1)
	}
	// Gaps: every block's filing must match its gap, and the index must
	// hold exactly the filed blocks.
	for s := int32(0); ; {
		e := &h.tab[s]
		g := h.gapAfter(s)
		want := int32(-1)
		if g > 0 {
			want = int32(classes.Down(uint64(g >> h.shift)))
			holes++
		}
		if e.gapClass != want {
			return corrupt("block %d: gap of %d bytes filed under class %d, want %d", s, g, e.gapClass, want)
		}
		if s = e.next; s == 0 {
			break
		}
	}
	filed := 0
	for c, head := range h.heads {
		if (head >= 0) != h.gapBits.Has(classes, c) {
			return corrupt("gap class %d: head %d but bitmap %t", c, head, h.gapBits.Has(classes, c))
		}
		prev := int32(-1)
		for s := head; s >= 0; s = h.tab[s].gapNext {
			if int(s) >= len(h.tab) || !h.tab[s].live || h.tab[s].gapClass != int32(c) || h.tab[s].gapPrev != prev || filed > len(h.tab) {
				return corrupt("gap class %d: bad member %d", c, s)
			}
			prev = s
			filed++
		}
	}
	if filed != holes || holes != h.holes {
		return corrupt("gaps: %d filed, %d counted, %d recorded", filed, holes, h.holes)
	}
	if !h.keep {
		at := 0
		for s := z.next; ; s = h.tab[s].next {
			lim := h.total
			if s != 0 {
				lim = h.tab[s].off
			}
			for i := at; i < lim; i += len(zeros) {
				chunk := h.mem[i:min(lim, i+len(zeros))]
				if !bytes.Equal(chunk, zeros[:len(chunk)]) {
					j := i + bytes.IndexFunc(chunk, func(r rune) bool { return r != 0 })
					for j < lim && h.mem[j] == 0 {
						j++
					}
					return corrupt("free byte at %#x is %#02x, want 0", j, h.mem[j])
				}
			}
			if s == 0 {
				break
			}
			at = h.tab[s].off + h.tab[s].size
		}
	}
	return nil
}
