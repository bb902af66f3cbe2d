// Walk and Check: the full traversal that validates the image and recounts the statistics.

package bufheap

import (
	"fmt"

	"github.com/memkit/memkit"
)

// Chunk describes one chunk for Walk.
type Chunk struct {
	Offset     int  // payload offset in the buffer (what Offset returns for a live block)
	Size       int  // usable bytes (the block's cap when allocated)
	Allocated  bool // a live block
	Persistent bool // a live block marked by Persistent
}

// Walk calls fn for every chunk in address order until fn returns false.
// It validates each header before reporting it and returns an error
// wrapping memkit.ErrCorrupt at the first damaged one (the chunks before it
// have been reported). fn must not call the heap's methods.
func (h *Heap) Walk(fn func(c Chunk) bool) error { return h.walk(fn) }

func (h *Heap) walk(fn func(c Chunk) bool) error {
	for pos := h.g.first; pos < h.g.end; {
		v, err := h.chunk(pos)
		if err != nil {
			return err
		}
		u := unitsOf(v)
		c := Chunk{Offset: pos + hdrSize, Size: int(u<<h.shift) - hdrSize, Allocated: v&flagAlloc != 0, Persistent: v&flagPersist != 0}
		if !fn(c) {
			return nil
		}
		pos += int(u << h.shift)
	}
	return nil
}

// Check validates the whole image and the statistics, in O(chunks):
// every header's check, sizes that tile the chunk area exactly up to the
// end sentinel, prev-free flags and footers, no two free neighbours, every
// free chunk on exactly the list of its class with consistent links, the
// bitmap equal to the non-empty lists, and the counters equal to a
// recount. It returns an error wrapping memkit.ErrCorrupt at the first
// violation.
func (h *Heap) Check() error { return h.verify(false) }

// verify is Check; with recount it sets the statistics instead of
// comparing them (Open).
func (h *Heap) verify(recount bool) error {
	if err := h.checkCtl(); err != nil {
		return err
	}
	var allocBytes, freeBytes uint64
	var chunks, allocChunks, freeChunks int
	prevFree := false
	pos := h.g.first
	for pos < h.g.end {
		v, err := h.chunk(pos)
		if err != nil {
			return err
		}
		if (v&flagPrevFree != 0) != prevFree {
			return corruptAt(pos, fmt.Sprintf("prev-free flag %v, but the previous chunk free is %v", v&flagPrevFree != 0, prevFree))
		}
		u := unitsOf(v)
		size := u << h.shift
		chunks++
		if v&flagAlloc != 0 {
			allocChunks++
			allocBytes += size - hdrSize
			prevFree = false
		} else {
			if prevFree {
				return corruptAt(pos, "two free chunks side by side")
			}
			if le.Uint64(h.buf[pos+int(size)-hdrSize:]) != le.Uint64(h.buf[pos:]) {
				return corruptAt(pos, "footer differs from header")
			}
			freeChunks++
			freeBytes += size - hdrSize
			prevFree = true
		}
		pos += int(size)
	}
	sv, err := h.chunk(h.g.end)
	if err != nil {
		return err
	}
	if (sv&flagPrevFree != 0) != prevFree {
		return corruptAt(h.g.end, "end sentinel's prev-free flag is wrong")
	}
	// Lists and bitmap.
	listed := 0
	var top uint64
	for k := 0; k < h.g.classes; k++ {
		bit := le.Uint64(h.buf[ctlWords+8*(k>>6):])>>(k&63)&1 != 0
		if k < h.g.kmin {
			if bit {
				return fmt.Errorf("bufheap: bitmap bit set for class %d below the smallest chunk: %w", k, memkit.ErrCorrupt)
			}
			continue
		}
		head, err := h.link(h.slot(k))
		if err != nil {
			return err
		}
		if bit != (head != 0) {
			return fmt.Errorf("bufheap: class %d: bitmap bit %v, list head %#x: %w", k, bit, head, memkit.ErrCorrupt)
		}
		if bit {
			top |= 1 << (k >> 6)
		}
		prev := 0
		for c := head; c != 0; {
			if listed++; listed > freeChunks {
				return fmt.Errorf("bufheap: free lists hold more entries than the %d free chunks: %w", freeChunks, memkit.ErrCorrupt)
			}
			v, err := h.freeChunk(c)
			if err != nil {
				return err
			}
			if got := h.cls.Down(unitsOf(v)); got != k {
				return corruptAt(c, fmt.Sprintf("on the list of class %d, size class %d", k, got))
			}
			// The first chunk's back link word is unspecified.
			if prev != 0 {
				back, err := h.link(c + 16)
				if err != nil {
					return err
				}
				if back != prev {
					return corruptAt(c, fmt.Sprintf("back link %#x, want %#x", back, prev))
				}
			}
			prev = c
			if c, err = h.link(c + 8); err != nil {
				return err
			}
		}
	}
	if listed != freeChunks {
		return fmt.Errorf("bufheap: free lists hold %d chunks, the heap %d: %w", listed, freeChunks, memkit.ErrCorrupt)
	}
	for i := 0; i < h.g.nWords; i++ {
		w := le.Uint64(h.buf[ctlWords+8*i:])
		if i == h.g.nWords-1 && h.g.classes&63 != 0 && w>>(h.g.classes&63) != 0 {
			return fmt.Errorf("bufheap: bitmap bits set past class %d: %w", h.g.classes-1, memkit.ErrCorrupt)
		}
	}
	if t := le.Uint64(h.buf[ctlTop:]); t != top {
		return fmt.Errorf("bufheap: top bitmap %#x, want %#x: %w", t, top, memkit.ErrCorrupt)
	}
	if recount {
		h.allocBytes, h.freeBytes, h.chunks, h.allocChunks = allocBytes, freeBytes, chunks, allocChunks
		return nil
	}
	if allocBytes != h.allocBytes || freeBytes != h.freeBytes || chunks != h.chunks || allocChunks != h.allocChunks {
		return fmt.Errorf("bufheap: statistics (%d alloc bytes, %d free bytes, %d chunks, %d allocated) differ from the recount (%d, %d, %d, %d): %w",
			h.allocBytes, h.freeBytes, h.chunks, h.allocChunks, allocBytes, freeBytes, chunks, allocChunks, memkit.ErrCorrupt)
	}
	if p := le.Uint64(h.buf[ctlPeak:]); p != h.peak || p < allocBytes {
		return fmt.Errorf("bufheap: peak %d in the image, %d in the heap, %d allocated: %w", p, h.peak, allocBytes, memkit.ErrCorrupt)
	}
	return nil
}

// checkCtl compares the control block's immutable fields with the geometry
// the heap was built with.
func (h *Heap) checkCtl() error {
	b := h.buf
	if string(b[ctlMagic:ctlMagic+8]) != magic || le.Uint16(b[ctlVersion:]) != version ||
		uint(b[ctlAlign]) != h.shift || int(b[ctlSub]) != h.g.sub ||
		le.Uint32(b[ctlClasses:]) != uint32(h.g.classes) || le.Uint64(b[ctlSize:]) != uint64(len(b)) ||
		le.Uint64(b[ctlFirst:]) != uint64(h.g.first) || le.Uint64(b[ctlEnd:]) != uint64(h.g.end) ||
		le.Uint64(b[ctlSeal:]) != sealCtl(b) {
		return fmt.Errorf("bufheap: control block fields changed: %w", memkit.ErrCorrupt)
	}
	return nil
}
