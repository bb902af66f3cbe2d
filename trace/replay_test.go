// Tests of Replay, including allocators broken on purpose.

package trace

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// bumpTarget is a correct toy allocator over a buffer: every block is new
// space, nothing is reused. Its broken variants misbehave at the nth alloc
// (counting from 1): overlapAt hands out a block overlapping the previous
// one, corruptAt flips a byte of the oldest live block, moveEvery moves all
// live blocks (copying them; badMove leaves each block's first byte behind).
type bumpTarget struct {
	buf       []byte
	next      uint64
	blocks    map[Block]Span // live: offset -> span
	allocs    int
	overlapAt int
	corruptAt int
	moveEvery int
	badMove   bool
	moves     uint64
	byID      map[Block]uint64 // handle -> offset (for the moving variant)
	nextID    Block
}

func newBump(size int) *bumpTarget {
	return &bumpTarget{buf: make([]byte, size), blocks: map[Block]Span{}, byID: map[Block]uint64{}, nextID: 1}
}

func (b *bumpTarget) Alloc(size uint64) (Block, error) {
	b.allocs++
	n := (size + 15) &^ 15
	if b.next+n > uint64(len(b.buf)) {
		return 0, errors.New("bump: out of memory")
	}
	off := b.next
	b.next += n
	if b.allocs == b.overlapAt && off >= 16 {
		off -= 8
	}
	if b.allocs == b.corruptAt {
		oldest := ^uint64(0)
		for _, s := range b.blocks {
			oldest = min(oldest, s.Off)
		}
		if oldest != ^uint64(0) {
			b.buf[oldest] ^= 0xff
		}
	}
	id := b.nextID
	b.nextID++
	b.byID[id] = off
	b.blocks[id] = Span{Off: off, Len: n}
	if b.moveEvery > 0 && b.allocs%b.moveEvery == 0 {
		b.moveAll()
	}
	return id, nil
}

// moveAll copies every live block to fresh space above the bump pointer.
func (b *bumpTarget) moveAll() {
	for id, s := range b.blocks {
		if b.next+s.Len > uint64(len(b.buf)) {
			return
		}
		from := uint64(0)
		if b.badMove {
			from = 1 // the first byte is left behind
		}
		copy(b.buf[b.next+from:b.next+s.Len], b.buf[s.Off+from:s.Off+s.Len])
		b.blocks[id] = Span{Off: b.next, Len: s.Len}
		b.byID[id] = b.next
		b.next += s.Len
		b.moves++
	}
}

func (b *bumpTarget) Free(id Block) error {
	if _, ok := b.blocks[id]; !ok {
		return fmt.Errorf("bump: free of unknown block %d", id)
	}
	delete(b.blocks, id)
	return nil
}

func (b *bumpTarget) Bytes(id Block) []byte {
	s := b.blocks[id]
	return b.buf[s.Off : s.Off+s.Len : s.Off+s.Len]
}

func (b *bumpTarget) Span(id Block) Span { return b.blocks[id] }

func (b *bumpTarget) Space() uint64 { return uint64(len(b.buf)) }

func (b *bumpTarget) Align() uint64 { return 8 }

func (b *bumpTarget) Moves() uint64 { return b.moves }

// testTrace is a seeded random trace of n ops with sizes 1..maxSize.
func testTrace(seed uint64, n int, maxSize uint64) *Trace {
	r := rand.New(rand.NewPCG(seed, 99))
	t := &Trace{Name: fmt.Sprintf("seed=%d", seed)}
	var live []int
	next := 0
	for i := 0; i < n; i++ {
		switch k := r.IntN(10); {
		case k < 5 || len(live) == 0:
			t.Ops = append(t.Ops, Op{Alloc, next, 1 + r.Uint64N(maxSize)})
			live = append(live, next)
			next++
		case k < 8:
			j := r.IntN(len(live))
			t.Ops = append(t.Ops, Op{Kind: Free, ID: live[j]})
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
		default:
			t.Ops = append(t.Ops, Op{Realloc, live[r.IntN(len(live))], 1 + r.Uint64N(maxSize)})
		}
	}
	t.FreeAll()
	return t
}

// nthAlloc returns the index of the op that is the nth alloc (from 1).
func nthAlloc(t *Trace, n int) int {
	for i, op := range t.Ops {
		if op.Kind == Alloc || op.Kind == Realloc {
			// reallocs on this toy target are alloc+copy+free: they count too
			n--
			if n == 0 {
				return i
			}
		}
	}
	return -1
}

func TestReplayCorrectTarget(t *testing.T) {
	tr := testTrace(1, 3000, 300)
	t.Logf("trace %s, %d ops", tr.Name, len(tr.Ops))
	r, err := Replay(tr, newBump(8<<20), Options{
		New:  func() (Target, error) { return newBump(8 << 20), nil },
		Runs: 2, Maps: true, Points: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := tr.Summarize()
	if r.Ops != len(tr.Ops) || r.PeakLive != s.PeakLive || r.PeakBlocks != s.PeakBlocks || r.Failed != 0 {
		t.Fatalf("got ops %d peak %d blocks %d failed %d; want %d %d %d 0", r.Ops, r.PeakLive, r.PeakBlocks, r.Failed, len(tr.Ops), s.PeakLive, s.PeakBlocks)
	}
	if !r.Timed || len(r.Elapsed) != 2 || r.NsPerOp <= 0 || len(r.Samples) == 0 || r.Latency.Max < r.Latency.P50 {
		t.Fatalf("timing: timed %v elapsed %v ns/op %v samples %d latency %+v", r.Timed, r.Elapsed, r.NsPerOp, len(r.Samples), r.Latency)
	}
	// A bump allocator never reuses: its footprint is every byte ever handed out.
	if !r.FootprintKnown || r.PeakFootprint == 0 || r.Utilization <= 0 || r.Utilization > 1 {
		t.Fatalf("footprint %d known %v utilization %v", r.PeakFootprint, r.FootprintKnown, r.Utilization)
	}
	if len(r.Timeline) < 50 || len(r.Timeline) > 52 {
		t.Fatalf("got %d timeline points, want about 50", len(r.Timeline))
	}
	// The trace ends by freeing everything: the end map is taken before.
	tail := len(tr.Ops)
	for tr.Ops[tail-1].Kind == Free {
		tail--
	}
	if r.PeakMap == nil || r.EndMap == nil || r.PeakMap.Live != s.PeakLive || r.EndMap.Op != tail || len(r.EndMap.Blocks) != countLiveAt(tr, tail) {
		t.Fatalf("maps: peak %v, end %+v; want the end at op %d with %d blocks", r.PeakMap != nil, r.EndMap, tail, countLiveAt(tr, tail))
	}
	if got, want := len(r.PeakMap.Blocks), countLiveAt(tr, r.PeakMap.Op); got != want {
		t.Fatalf("peak map has %d blocks, want %d", got, want)
	}
}

// countLiveAt counts the blocks live after the first n ops of t.
func countLiveAt(t *Trace, n int) int {
	live := map[int]bool{}
	for _, op := range t.Ops[:n] {
		if op.Kind == Free {
			delete(live, op.ID)
		} else {
			live[op.ID] = true
		}
	}
	return len(live)
}

func TestReplayCatchesOverlap(t *testing.T) {
	tr := testTrace(2, 500, 100)
	for _, n := range []int{5, 37, 120} {
		b := newBump(1 << 20)
		b.overlapAt = n
		_, err := Replay(tr, b, Options{})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Problem != Overlap {
			t.Fatalf("overlap at alloc %d: got %v, want an Overlap fault", n, err)
		}
		if want := nthAlloc(tr, n); ve.Op != want {
			t.Fatalf("overlap at alloc %d: fault at op %d, want op %d (%v)", n, ve.Op, want, err)
		}
		if !errors.Is(err, ErrVerify) {
			t.Fatalf("%v does not wrap ErrVerify", err)
		}
	}
}

func TestReplayCatchesCorruption(t *testing.T) {
	tr := testTrace(3, 800, 64)
	b := newBump(1 << 20)
	b.corruptAt = 30
	_, err := Replay(tr, b, Options{})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != Corrupt {
		t.Fatalf("got %v, want a Corrupt fault", err)
	}
	// The flipped byte belongs to the oldest live block at that alloc; it
	// is found when that block is next freed or resized.
	if min := nthAlloc(tr, 30); ve.Op <= min {
		t.Fatalf("fault at op %d, want after op %d where the byte was flipped", ve.Op, min)
	}
	op := tr.Ops[ve.Op]
	if op.Kind == Alloc {
		t.Fatalf("fault reported at an alloc (%+v), want a free or realloc", op)
	}
	t.Logf("found: %v", err)
}

func TestReplayMovesAreVerified(t *testing.T) {
	tr := testTrace(4, 600, 64)
	good := newBump(16 << 20)
	good.moveEvery = 25
	r, err := Replay(tr, good, Options{})
	if err != nil {
		t.Fatalf("a correct moving target: %v", err)
	}
	if r.Moves == 0 {
		t.Fatal("got 0 moves, want some")
	}
	bad := newBump(16 << 20)
	bad.moveEvery, bad.badMove = 25, true
	_, err = Replay(tr, bad, Options{})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != Corrupt || ve.Op != nthAlloc(tr, 25) {
		t.Fatalf("got %v, want a Corrupt fault at op %d (the first move)", err, nthAlloc(tr, 25))
	}
}

// failingTarget refuses every alloc above limit bytes and frees wrongly
// when asked to.
type failingTarget struct {
	*bumpTarget
	limit    uint64
	freeFail bool
}

func (f *failingTarget) Alloc(size uint64) (Block, error) {
	if size > f.limit {
		return 0, errors.New("too big")
	}
	return f.bumpTarget.Alloc(size)
}

func (f *failingTarget) Free(b Block) error {
	if f.freeFail {
		return errors.New("refused")
	}
	return f.bumpTarget.Free(b)
}

func TestReplayFailuresAndFaults(t *testing.T) {
	tr := &Trace{Ops: []Op{{Alloc, 0, 10}, {Alloc, 1, 5000}, {Realloc, 0, 6000}, {Free, 1, 0}, {Realloc, 1, 20}, {Free, 0, 0}, {Free, 1, 0}}}
	r, err := Replay(tr, &failingTarget{bumpTarget: newBump(1 << 16), limit: 100}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// alloc 5000 and realloc to 6000 fail (and count as ops); free of 1 is
	// skipped; realloc of 1 (not live) allocates.
	if r.Failed != 2 || r.FirstFailure == nil || r.Ops != 6 {
		t.Fatalf("got failed %d (%v), ops %d; want 2, an error, 6", r.Failed, r.FirstFailure, r.Ops)
	}
	_, err = Replay(tr, &failingTarget{bumpTarget: newBump(1 << 16), limit: 1 << 20, freeFail: true}, Options{})
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Problem != FreeFailed || ve.Op != 2 {
		t.Fatalf("got %v, want FreeFailed at op 2 (realloc emulated as alloc, copy, free)", err)
	}
	short := &shortTarget{newBump(1 << 16)}
	_, err = Replay(tr, short, Options{})
	if !errors.As(err, &ve) || ve.Problem != BadSpan || ve.Op != 0 {
		t.Fatalf("got %v, want BadSpan at op 0", err)
	}
}

// shortTarget reports spans shorter than the request.
type shortTarget struct{ *bumpTarget }

func (s *shortTarget) Span(b Block) Span {
	sp := s.bumpTarget.Span(b)
	sp.Len = 1
	return sp
}

func TestQuantiles(t *testing.T) {
	s := make([]float64, 1000)
	for i := range s {
		s[i] = float64(1000 - i)
	}
	q := Quantiles(s)
	if q.P50 != 500 || q.P99 != 990 || q.P999 != 999 || q.Max != 1000 {
		t.Fatalf("got %+v, want 500 990 999 1000", q)
	}
	if (Quantiles(nil) != Latency{}) {
		t.Fatal("Quantiles(nil) is not zero")
	}
}

// TestSpanSet compares the treap with a brute-force model under random
// inserts and removes.
func TestSpanSet(t *testing.T) {
	seed := uint64(7)
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	s := newSpanSet()
	model := map[uint64]uint64{}
	for i := 0; i < 20000; i++ {
		if r.IntN(3) > 0 || len(model) == 0 {
			off, n := r.Uint64N(1<<16), 1+r.Uint64N(64)
			wantConflict := false
			for o, l := range model {
				if off < o+l && o < off+n {
					wantConflict = true
				}
			}
			got := s.insert(off, n, int32(i))
			if (got >= 0) != wantConflict {
				t.Fatalf("insert [%d,+%d): conflict %v, want %v", off, n, got >= 0, wantConflict)
			}
			if !wantConflict {
				model[off] = n
			}
		} else {
			for o := range model {
				if !s.remove(o) {
					t.Fatalf("remove %d: not found", o)
				}
				delete(model, o)
				break
			}
		}
		if s.len() != len(model) {
			t.Fatalf("len %d, want %d", s.len(), len(model))
		}
	}
	all := s.appendAll(nil)
	for i := 1; i < len(all); i++ {
		if all[i-1].End() > all[i].Off {
			t.Fatalf("spans out of order or overlapping: %+v %+v", all[i-1], all[i])
		}
	}
	if f, ok := s.first(); ok && f != all[0] {
		t.Fatalf("first %+v, want %+v", f, all[0])
	}
	if l, ok := s.last(); ok && l != all[len(all)-1] {
		t.Fatalf("last %+v, want %+v", l, all[len(all)-1])
	}
	if s.remove(1 << 40) {
		t.Fatal("removed a span that was never inserted")
	}
}

func TestPattern(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 100} {
		a := make([]byte, n)
		fillPattern(a, 42, 0)
		b := make([]byte, n)
		for from := 0; from <= n; from += 3 {
			fillPattern(b[:from], 42, 0)
			fillPattern(b, 42, from)
			if i, _ := checkPattern(b, 42); i >= 0 {
				t.Fatalf("n=%d from=%d: byte %d differs", n, from, i)
			}
		}
		for i := range a {
			if a[i] == 0 {
				t.Fatalf("pattern byte %d is 0", i)
			}
			a[i] ^= 0x10
			if got, _ := checkPattern(a, 42); got != i {
				t.Fatalf("n=%d: flipped byte %d, found %d", n, i, got)
			}
			a[i] ^= 0x10
		}
		if n > 0 {
			if i, _ := checkPattern(a, 43); i < 0 {
				t.Fatalf("n=%d: pattern of seed 42 passes for seed 43", n)
			}
		}
	}
}

// peakTarget reports a peak footprint above anything seen between ops.
type peakTarget struct{ *bumpTarget }

func (p peakTarget) Footprint() uint64     { return p.next }
func (p peakTarget) PeakFootprint() uint64 { return 1 << 30 }

func TestReplayTakesTheTargetsOwnPeak(t *testing.T) {
	r, err := Replay(testTrace(5, 100, 50), peakTarget{newBump(1 << 20)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.PeakFootprint != 1<<30 {
		t.Fatalf("got peak footprint %d, want the target's own 1 GiB", r.PeakFootprint)
	}
}
