// Trace, Op and Kind: an allocation trace held in memory.

package trace

import (
	"fmt"
	"slices"
)

// Kind is what one trace operation does.
type Kind uint8

// The operations of a trace.
const (
	Alloc   Kind = iota // allocate Size bytes for ID
	Free                // free the block of ID
	Realloc             // resize the block of ID to Size bytes (allocate when ID is not live)
)

// String returns the malloc-lab letter of k: "a", "f" or "r".
func (k Kind) String() string {
	switch k {
	case Alloc:
		return "a"
	case Free:
		return "f"
	case Realloc:
		return "r"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Op is one operation of a trace.
type Op struct {
	Kind Kind
	ID   int    // the block's name in the trace; not necessarily dense
	Size uint64 // requested bytes (Alloc, Realloc); 0 for Free
}

// Trace is a sequence of allocation operations. The zero value is an empty
// trace. A Trace returned by a reader or a generator is valid: a Free
// names a live ID, an Alloc names an ID that is not live.
type Trace struct {
	Name     string // where it came from: a file name or a workload name
	HeapSize uint64 // suggested heap size from a .rep header (a hint; 0 when unknown)
	NumIDs   int    // number of IDs from a .rep header (a hint; IDs need not be below it)
	Weight   int    // malloc-lab weight from a .rep header (1 when unknown)
	Ops      []Op
	// Dropped counts input events that could not become ops: frees of
	// addresses that were not live in a profiling log.
	Dropped int
}

// Summary describes a trace's demands; targets use it to size themselves.
type Summary struct {
	Ops, Allocs, Frees, Reallocs int
	IDs                          int    // distinct IDs
	MaxSize                      uint64 // largest request
	PeakLive                     uint64 // largest sum of live requested bytes
	PeakBlocks                   int    // largest number of live blocks
	TotalAlloc                   uint64 // sum of all requested bytes (allocs and reallocs)
}

// Summarize walks t once and returns its Summary. It assumes t is valid
// (see Validate); invalid ops are skipped.
func (t *Trace) Summarize() Summary {
	var s Summary
	live := map[int]uint64{}
	var bytes uint64
	seen := map[int]struct{}{}
	for _, op := range t.Ops {
		s.Ops++
		seen[op.ID] = struct{}{}
		switch op.Kind {
		case Alloc, Realloc:
			if op.Kind == Alloc {
				s.Allocs++
			} else {
				s.Reallocs++
			}
			s.TotalAlloc += op.Size
			s.MaxSize = max(s.MaxSize, op.Size)
			if old, ok := live[op.ID]; ok {
				bytes -= old
			}
			live[op.ID] = op.Size
			bytes += op.Size
		case Free:
			s.Frees++
			if old, ok := live[op.ID]; ok {
				bytes -= old
				delete(live, op.ID)
			}
		}
		s.PeakLive = max(s.PeakLive, bytes)
		s.PeakBlocks = max(s.PeakBlocks, len(live))
	}
	s.IDs = len(seen)
	return s
}

// Validate reports the first op that does not make sense: an Alloc of a
// live ID, a Free of an ID that is not live, an unknown Kind. The error
// names the op's index (from 0).
func (t *Trace) Validate() error {
	live := map[int]bool{}
	for i, op := range t.Ops {
		if op.ID < 0 {
			return fmt.Errorf("op %d: negative id %d", i, op.ID)
		}
		switch op.Kind {
		case Alloc:
			if live[op.ID] {
				return fmt.Errorf("op %d: alloc of id %d, which is live", i, op.ID)
			}
			live[op.ID] = true
		case Realloc:
			live[op.ID] = true
		case Free:
			if !live[op.ID] {
				return fmt.Errorf("op %d: free of id %d, which is not live", i, op.ID)
			}
			delete(live, op.ID)
		default:
			return fmt.Errorf("op %d: unknown kind %d", i, op.Kind)
		}
	}
	return nil
}

// FreeAll appends a Free for every ID still live at the end of t, in
// increasing ID order, so that the trace ends with nothing allocated.
func (t *Trace) FreeAll() {
	live := map[int]bool{}
	for _, op := range t.Ops {
		switch op.Kind {
		case Alloc, Realloc:
			live[op.ID] = true
		case Free:
			delete(live, op.ID)
		}
	}
	ids := make([]int, 0, len(live))
	for id := range live {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		t.Ops = append(t.Ops, Op{Kind: Free, ID: id})
	}
}
