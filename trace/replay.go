// Replay: drive a Target through a trace, verify every byte, measure.

package trace

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"
)

// Options tune Replay. The zero value verifies and measures memory but does
// not time (timing needs fresh targets, see New).
type Options struct {
	// New makes a fresh target for each timed pass. Timing runs on its own
	// unverified pass, because filling and checking blocks would otherwise
	// be timed too. nil: no timing and no heap map at peak.
	New func() (Target, error)
	// Runs is the number of timed passes (default 1).
	Runs int
	// Warmup is the number of untimed passes on fresh targets before the
	// timed ones: they fault in pages and warm the caches, so the timed
	// passes show the steady state.
	Warmup int
	// Batch is the number of ops timed together for one latency sample
	// (default 16): reading the clock around every op would cost more than
	// many ops do.
	Batch int
	// Points is the number of points of Result.Timeline (default 200).
	Points int
	// Maps asks for heap maps: live spans at peak live bytes and at the
	// end. When the trace ends by freeing everything, "the end" is just
	// before that final run of frees, which would leave an empty map.
	Maps bool
}

// Point is one sample of a run's memory use.
type Point struct {
	Op        int    // ops done
	Live      uint64 // live requested bytes
	Footprint uint64 // the target's footprint (0 when unknown)
}

// Map is the set of live spans at one moment, for drawing a heap map.
type Map struct {
	Op     int    // ops done when it was taken
	Space  uint64 // size of the managed space (0: spans are addresses)
	Live   uint64 // live requested bytes
	Blocks []Span // live spans in address order
}

// Latency summarizes latency samples, in nanoseconds per op.
type Latency struct {
	P50, P99, P999, Max float64
}

// Result is what Replay measured. Times are from the timed passes, memory
// figures from the verified pass.
type Result struct {
	Ops, Allocs, Frees, Reallocs int
	// Failed counts allocs and reallocs the target refused (out of
	// memory, or a size it does not serve); later ops on such an ID are
	// skipped. FirstFailure is the first such error.
	Failed       int
	FirstFailure error
	Moves        uint64 // blocks moved by the target (Mover only)

	PeakLive       uint64  // largest sum of live requested bytes
	PeakBlocks     int     // largest number of live blocks
	PeakFootprint  uint64  // largest footprint (0 when unknown)
	FootprintKnown bool    // the target is a Footprinter or a Spacer
	Utilization    float64 // PeakLive / PeakFootprint; 0 when unknown
	// MetadataPerBlock is the target's bookkeeping bytes per live block,
	// sampled as the number of live blocks rises to its peak (within 1/16
	// of it); -1 when unknown. Fixed costs weigh heavily when few blocks
	// are live.
	MetadataPerBlock float64

	Timed    bool            // the timed passes ran
	Elapsed  []time.Duration // total time of each timed pass
	NsPerOp  float64         // median pass time / ops
	Samples  []float64       // ns per op of each timed batch, all passes
	Latency  Latency         // quantiles of Samples
	PerRun   []Latency       // quantiles of each timed pass's samples
	Timeline []Point         // memory use over the verified pass
	PeakMap  *Map            // live spans at peak live bytes (timed pass); nil when not asked or not timed
	EndMap   *Map            // live spans at the end, or before the final frees (verified pass); nil when not asked
}

// slot is one trace ID's state during a pass.
type slot struct {
	b    Block
	size uint64 // requested bytes
	seed uint64 // pattern seed: the index of the op that allocated it
	span Span   // as inserted in the span set
	live bool
}

// Replay runs t on target a, verifying as it goes, then (when opts.New is
// set) times opts.Runs unverified passes on fresh targets.
//
// The verified pass fills every block with a pattern derived from the op
// that allocated it, checks the pattern before every free and realloc (the
// preserved prefix after a realloc) and every live block after any move,
// keeps live spans in an ordered set that refuses overlaps, and checks
// spans against the requested size, the space (Spacer) and the alignment
// (Aligner). A request of 0 bytes is replayed as 1 byte. The first fault
// stops the replay: Replay returns what it measured so far and a
// *VerifyError. Allocation failures are not faults; they are counted.
func Replay(t *Trace, a Target, opts Options) (Result, error) {
	if opts.Runs <= 0 {
		opts.Runs = 1
	}
	if opts.Batch <= 0 {
		opts.Batch = 16
	}
	if opts.Points <= 0 {
		opts.Points = 200
	}
	slotOf, nslots := denseIDs(t.Ops)
	r := Result{MetadataPerBlock: -1}
	peakOp, err := verifyPass(t, slotOf, nslots, a, opts, &r)
	if err != nil || opts.New == nil {
		return r, err
	}
	// Sized up front, so the timed passes allocate nothing of their own.
	r.Samples = make([]float64, 0, opts.Runs*((len(t.Ops)+opts.Batch-1)/opts.Batch+1)) // +1: the peak-map cut
	runtime.GC()
	for run := 0; run < opts.Warmup; run++ {
		tg, err := opts.New()
		if err != nil {
			return r, fmt.Errorf("warm-up pass %d: new target: %w", run+1, err)
		}
		var discard []float64
		_, _, err = timedPass(t.Ops, slotOf, nslots, tg, opts.Batch, -1, &discard)
		if c, ok := tg.(interface{ Close() error }); ok {
			c.Close()
		}
		if err != nil {
			return r, fmt.Errorf("warm-up pass %d: %w", run+1, err)
		}
	}
	for run := 0; run < opts.Runs; run++ {
		tg, err := opts.New()
		if err != nil {
			return r, fmt.Errorf("timed pass %d: new target: %w", run+1, err)
		}
		snap := -1
		if opts.Maps && run == 0 {
			snap = peakOp
		}
		from := len(r.Samples)
		el, m, err := timedPass(t.Ops, slotOf, nslots, tg, opts.Batch, snap, &r.Samples)
		r.PerRun = append(r.PerRun, Quantiles(r.Samples[from:]))
		if c, ok := tg.(interface{ Close() error }); ok {
			c.Close()
		}
		if err != nil {
			return r, fmt.Errorf("timed pass %d: %w", run+1, err)
		}
		r.Elapsed = append(r.Elapsed, el)
		if m != nil {
			r.PeakMap = m
		}
		runtime.GC()
	}
	r.Timed = true
	els := slices.Clone(r.Elapsed)
	slices.Sort(els)
	if r.Ops > 0 {
		r.NsPerOp = float64(els[len(els)/2].Nanoseconds()) / float64(len(t.Ops))
	}
	r.Latency = Quantiles(r.Samples)
	return r, nil
}

// denseIDs maps each op's ID to a slot number from 0.
func denseIDs(ops []Op) ([]int32, int) {
	slotOf := make([]int32, len(ops))
	m := map[int]int32{}
	for i, op := range ops {
		s, ok := m[op.ID]
		if !ok {
			s = int32(len(m))
			m[op.ID] = s
		}
		slotOf[i] = s
	}
	return slotOf, len(m)
}

// verifier is the state of the verified pass.
type verifier struct {
	a      Target
	set    *spanSet
	slots  []slot
	space  uint64
	align  uint64
	op     int // index of the op being done
	hasMem bool
}

func (v *verifier) fault(p Problem, format string, args ...any) error {
	return &VerifyError{Op: v.op, Problem: p, Msg: fmt.Sprintf(format, args...)}
}

// place records slot s's new span, refusing an overlap or a bad span.
func (v *verifier) place(si int32) error {
	s := &v.slots[si]
	sp := v.a.Span(s.b)
	if sp.Len < s.size {
		return v.fault(BadSpan, "block [%#x, +%d) is shorter than the %d bytes asked", sp.Off, sp.Len, s.size)
	}
	if v.space > 0 && (sp.Off >= v.space || sp.Len > v.space-sp.Off) {
		return v.fault(BadSpan, "block [%#x, +%d) reaches past the space of %d bytes", sp.Off, sp.Len, v.space)
	}
	if v.align > 1 && sp.Off%v.align != 0 {
		return v.fault(BadSpan, "block at %#x is not aligned to %d", sp.Off, v.align)
	}
	if sp.Off+sp.Len < sp.Off {
		return v.fault(BadSpan, "block [%#x, +%d) wraps around", sp.Off, sp.Len)
	}
	if c := v.set.insert(sp.Off, sp.Len, si); c >= 0 {
		o := v.set.nodes[c]
		return v.fault(Overlap, "block [%#x, +%d) overlaps live block [%#x, +%d)", sp.Off, sp.Len, o.off, o.len)
	}
	s.span = sp
	return nil
}

// mem returns slot s's bytes, checking their length; nil when the target
// has no addressable memory.
func (v *verifier) mem(s *slot) ([]byte, error) {
	b := v.a.Bytes(s.b)
	if b == nil {
		return nil, nil
	}
	if uint64(len(b)) < s.size {
		return nil, v.fault(BadSpan, "Bytes gives %d bytes for a block of %d", len(b), s.size)
	}
	return b[:s.size], nil
}

// verify checks the first n bytes of slot s against its pattern.
func (v *verifier) verify(s *slot, n uint64, when string) error {
	b, err := v.mem(s)
	if err != nil || b == nil {
		return err
	}
	if i, want := checkPattern(b[:n], s.seed); i >= 0 {
		return v.fault(Corrupt, "%s: block [%#x, +%d) byte %d: got %#02x, want %#02x", when, s.span.Off, s.size, i, b[i], want)
	}
	return nil
}

// rebuild finds every live block again after a move and verifies it.
func (v *verifier) rebuild() error {
	v.set.reset()
	for i := range v.slots {
		s := &v.slots[i]
		if !s.live {
			continue
		}
		if err := v.place(int32(i)); err != nil {
			return err
		}
		if err := v.verify(s, s.size, "after a move"); err != nil {
			return err
		}
	}
	return nil
}

func verifyPass(t *Trace, slotOf []int32, nslots int, a Target, opts Options, r *Result) (peakOp int, err error) {
	v := &verifier{a: a, set: newSpanSet(), slots: make([]slot, nslots)}
	if sp, ok := a.(Spacer); ok {
		v.space = sp.Space()
	}
	if al, ok := a.(Aligner); ok {
		v.align = al.Align()
	}
	fpr, _ := a.(Footprinter)
	_, spaced := a.(Spacer)
	r.FootprintKnown = fpr != nil || spaced
	mover, _ := a.(Mover)
	realloc, _ := a.(Reallocator)
	meta, _ := a.(MetadataSizer)
	var moves uint64
	if mover != nil {
		moves = mover.Moves()
	}
	footprint := func() uint64 {
		if fpr != nil {
			return fpr.Footprint()
		}
		if spaced {
			if l, ok := v.set.last(); ok {
				return l.End()
			}
		}
		return 0
	}
	// moved re-finds every block when the target moved some.
	moved := func() error {
		if mover == nil {
			return nil
		}
		m := mover.Moves()
		if m == moves {
			return nil
		}
		r.Moves += m - moves
		moves = m
		return v.rebuild()
	}
	var live uint64
	blocks, metaAt := 0, 0
	step := max(1, len(t.Ops)/opts.Points)
	defer func() {
		if r.PeakFootprint > 0 {
			r.Utilization = float64(r.PeakLive) / float64(r.PeakFootprint)
		}
	}()
	// tail is the first op of the trailing run of frees.
	tail := len(t.Ops)
	for tail > 0 && t.Ops[tail-1].Kind == Free {
		tail--
	}
	var beforeTail *Map
	for i, op := range t.Ops {
		v.op = i
		if opts.Maps && i == tail && i > 0 {
			beforeTail = &Map{Op: i, Space: v.space, Live: live, Blocks: v.set.appendAll(nil)}
		}
		si := slotOf[i]
		s := &v.slots[si]
		size := max(op.Size, 1)
		kind := op.Kind
		if kind == Realloc && !s.live {
			kind = Alloc
		}
		switch kind {
		case Alloc:
			if s.live {
				return peakOp, v.fault(BadSpan, "alloc of id %d, which is live (invalid trace)", op.ID)
			}
			r.Ops++
			r.Allocs++
			b, err := a.Alloc(size)
			if err != nil {
				r.Failed++
				if r.FirstFailure == nil {
					r.FirstFailure = fmt.Errorf("op %d: alloc %d: %w", i, size, err)
				}
				break
			}
			*s = slot{b: b, size: size, seed: uint64(i), live: true}
			if mb, err := v.mem(s); err != nil {
				return peakOp, err
			} else if mb != nil {
				fillPattern(mb, s.seed, 0)
			}
			if mover != nil && mover.Moves() != moves {
				if err := moved(); err != nil {
					return peakOp, err
				}
			} else if err := v.place(si); err != nil {
				return peakOp, err
			}
			live += size
			blocks++
		case Free:
			if !s.live {
				break // its alloc failed
			}
			r.Ops++
			r.Frees++
			if err := v.verify(s, s.size, "before free"); err != nil {
				return peakOp, err
			}
			if err := a.Free(s.b); err != nil {
				return peakOp, v.fault(FreeFailed, "free of live block [%#x, +%d): %v", s.span.Off, s.size, err)
			}
			v.set.remove(s.span.Off)
			s.live = false
			live -= s.size
			blocks--
			if err := moved(); err != nil {
				return peakOp, err
			}
		case Realloc:
			r.Ops++
			r.Reallocs++
			if err := v.verify(s, s.size, "before realloc"); err != nil {
				return peakOp, err
			}
			old := *s
			var nb Block
			var err error
			var freeErr error
			if realloc != nil {
				nb, err = realloc.Realloc(s.b, size)
			} else {
				nb, err, freeErr = emulateRealloc(a, s.b, s.size, size)
			}
			if freeErr != nil {
				return peakOp, v.fault(FreeFailed, "realloc as alloc, copy, free: free of live block [%#x, +%d): %v", s.span.Off, s.size, freeErr)
			}
			if err != nil {
				r.Failed++
				if r.FirstFailure == nil {
					r.FirstFailure = fmt.Errorf("op %d: realloc %d to %d: %w", i, s.size, size, err)
				}
				if err := moved(); err != nil {
					return peakOp, err
				}
				if err := v.verify(s, s.size, "after a failed realloc"); err != nil {
					return peakOp, err
				}
				break
			}
			v.set.remove(old.span.Off)
			s.b, s.size = nb, size
			keep := min(old.size, size)
			if err := v.verify(s, keep, "after realloc"); err != nil {
				return peakOp, err
			}
			if mb, err := v.mem(s); err != nil {
				return peakOp, err
			} else if mb != nil {
				fillPattern(mb, s.seed, int(keep))
			}
			if mover != nil && mover.Moves() != moves {
				if err := moved(); err != nil {
					return peakOp, err
				}
			} else if err := v.place(si); err != nil {
				return peakOp, err
			}
			live += size - old.size
		}
		fp := footprint()
		if live > r.PeakLive {
			r.PeakLive = live
			peakOp = i
		}
		r.PeakFootprint = max(r.PeakFootprint, fp)
		if blocks > r.PeakBlocks {
			r.PeakBlocks = blocks
			// Sampled as the peak grows by 1/16 or more: asking a target
			// for its metadata size may cost a walk.
			if meta != nil && blocks >= metaAt+metaAt/16+1 {
				metaAt = blocks
				r.MetadataPerBlock = float64(meta.MetadataBytes()) / float64(blocks)
			}
		}
		if i%step == 0 || i == len(t.Ops)-1 {
			r.Timeline = append(r.Timeline, Point{Op: i + 1, Live: live, Footprint: fp})
		}
	}
	if pf, ok := a.(PeakFootprinter); ok {
		r.PeakFootprint = max(r.PeakFootprint, pf.PeakFootprint())
	}
	v.op = len(t.Ops)
	if c, ok := a.(Checker); ok {
		if err := c.Check(); err != nil {
			return peakOp, v.fault(CheckFailed, "%v", err)
		}
	}
	if opts.Maps {
		r.EndMap = &Map{Op: len(t.Ops), Space: v.space, Live: live, Blocks: v.set.appendAll(nil)}
		if live == 0 && beforeTail != nil {
			r.EndMap = beforeTail
		}
	}
	return peakOp, nil
}

// emulateRealloc is realloc for a target without one: alloc, copy, free.
// allocErr is the alloc's failure (b unchanged); freeErr the free's (a
// fault: the new block is returned all the same).
func emulateRealloc(a Target, b Block, oldSize, size uint64) (nb Block, allocErr, freeErr error) {
	nb, err := a.Alloc(size)
	if err != nil {
		return b, err, nil
	}
	if src := a.Bytes(b); src != nil {
		if dst := a.Bytes(nb); dst != nil {
			copy(dst[:min(uint64(len(dst)), size)], src[:min(uint64(len(src)), oldSize, size)])
		}
	}
	return nb, nil, a.Free(b)
}

// timedPass runs ops on a fresh target without verification, timing
// batches of ops; when snap ≥ 0 it takes a heap map right after op snap.
func timedPass(ops []Op, slotOf []int32, nslots int, a Target, batch, snap int, samples *[]float64) (time.Duration, *Map, error) {
	slots := make([]slot, nslots)
	realloc, _ := a.(Reallocator)
	var space uint64
	if sp, ok := a.(Spacer); ok {
		space = sp.Space()
	}
	var total time.Duration
	var m *Map
	var live uint64
	var ferr error
	for i := 0; i < len(ops); {
		end := min(i+batch, len(ops))
		if snap >= i && snap < end {
			end = snap + 1
		}
		start := time.Now()
		for j := i; j < end; j++ {
			op := ops[j]
			s := &slots[slotOf[j]]
			size := max(op.Size, 1)
			switch {
			case op.Kind == Alloc || (op.Kind == Realloc && !s.live):
				b, err := a.Alloc(size)
				if err == nil {
					*s = slot{b: b, size: size, live: true}
					live += size
				}
			case op.Kind == Free:
				if s.live {
					if err := a.Free(s.b); err != nil && ferr == nil {
						ferr = fmt.Errorf("op %d: free: %w", j, err)
					}
					s.live = false
					live -= s.size
				}
			default:
				var nb Block
				var err error
				if realloc != nil {
					nb, err = realloc.Realloc(s.b, size)
				} else {
					var ferr2 error
					nb, err, ferr2 = emulateRealloc(a, s.b, s.size, size)
					if ferr2 != nil && ferr == nil {
						ferr = fmt.Errorf("op %d: free in realloc: %w", j, ferr2)
					}
				}
				if err == nil {
					live += size - s.size
					s.b, s.size = nb, size
				}
			}
		}
		el := time.Since(start)
		total += el
		*samples = append(*samples, float64(el.Nanoseconds())/float64(end-i))
		if ferr != nil {
			return total, m, ferr
		}
		if end-1 == snap {
			m = &Map{Op: end, Space: space, Live: live}
			for k := range slots {
				if slots[k].live {
					m.Blocks = append(m.Blocks, a.Span(slots[k].b))
				}
			}
			slices.SortFunc(m.Blocks, func(x, y Span) int {
				switch {
				case x.Off < y.Off:
					return -1
				case x.Off > y.Off:
					return 1
				}
				return 0
			})
		}
		i = end
	}
	return total, m, nil
}

// Quantiles returns the median, 99th and 99.9th percentiles (nearest rank)
// and the maximum of samples; zeros when there are none.
func Quantiles(samples []float64) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	q := func(p float64) float64 {
		k := int(math.Ceil(p*float64(len(s)))) - 1
		return s[min(max(k, 0), len(s)-1)]
	}
	return Latency{P50: q(0.5), P99: q(0.99), P999: q(0.999), Max: s[len(s)-1]}
}
