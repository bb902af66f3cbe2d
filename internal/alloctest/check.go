// Invariants over live blocks: inside the space, aligned, never overlapping.

package alloctest

import (
	"fmt"
	"slices"
)

// Span is where a live block currently lies.
type Span struct {
	Off  uint64 // position in the managed space (or address), in bytes
	Len  uint64 // usable length, at least the requested size
	Data []byte // the block's memory, at least the requested size; nil when the memory is not addressable (offset)
}

// CheckSpans reports the first violation among live spans: one reaching
// past space (space 0: unbounded), one whose Off is not a multiple of align
// (align 0 or 1: any), or two that overlap. spans is sorted in place.
func CheckSpans(spans []Span, space, align uint64) error {
	for _, s := range spans {
		if s.Len == 0 {
			return fmt.Errorf("block at %#x has length 0", s.Off)
		}
		if space > 0 && (s.Off >= space || s.Len > space-s.Off) {
			return fmt.Errorf("block [%#x, +%d) reaches past the space of %d bytes", s.Off, s.Len, space)
		}
		if align > 1 && s.Off%align != 0 {
			return fmt.Errorf("block at %#x not aligned to %d", s.Off, align)
		}
	}
	slices.SortFunc(spans, func(a, b Span) int {
		switch {
		case a.Off < b.Off:
			return -1
		case a.Off > b.Off:
			return 1
		}
		return 0
	})
	for i := 1; i < len(spans); i++ {
		p, s := spans[i-1], spans[i]
		if s.Off-p.Off < p.Len {
			return fmt.Errorf("blocks [%#x, +%d) and [%#x, +%d) overlap", p.Off, p.Len, s.Off, s.Len)
		}
	}
	return nil
}
