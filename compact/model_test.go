// The reference model: op streams over every API, each result predicted from the observed layout.

package compact

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// mblock is the model's record of one live block.
type mblock struct {
	hd   Handle
	size int
	seed uint64
	pins int
	p    *[]byte // tracked variable, or nil
}

// span is a block's place as observed in the table.
type span struct {
	hd       Handle
	off, cap int
	pinned   bool
}

// model drives a Heap and checks every result against predictions made
// from the layout before the op: which allocations and reallocs must
// succeed, that a failed call changes nothing, that contents survive
// every move, that blocks keep their address order, and the counters.
type model struct {
	t      testing.TB
	h      *Heap
	cfg    Config
	align  int
	live   []mblock
	dead   []Handle // freed handles, for stale-handle probes
	seed   uint64
	next   func() uint64
	step   int
	others *Heap // a second heap, for foreign handles
}

func (m *model) failf(format string, args ...any) {
	m.t.Helper()
	m.t.Fatalf("step %d (%v): %s", m.step, m.cfg.Policy, fmt.Sprintf(format, args...))
}

func (m *model) layout() []span {
	var out []span
	for s := m.h.tab[0].next; s != 0; s = m.h.tab[s].next {
		e := &m.h.tab[s]
		out = append(out, span{makeHandle(s, e.gen), e.off, e.cap, e.pins > 0})
	}
	return out
}

// gaps returns the current gaps of a layout, and the gaps a full slide
// would leave (one per run of unpinned blocks between pinned ones).
func (m *model) gaps(l []span) (now, after []int) {
	end, segUsed, segStart := 0, 0, 0
	for _, s := range l {
		now = append(now, s.off-end)
		end = s.off + s.cap
		if s.pinned {
			after = append(after, s.off-segStart-segUsed)
			segStart, segUsed = end, 0
		} else {
			segUsed += s.cap
		}
	}
	now = append(now, m.h.total-end)
	after = append(after, m.h.total-segStart-segUsed)
	return now, after
}

func (m *model) round(n int) int { return (n + m.align - 1) &^ (m.align - 1) }

// canAlloc predicts whether Alloc(n) must succeed.
func (m *model) canAlloc(n int) bool {
	now, after := m.gaps(m.layout())
	need := m.round(n)
	if slices.Max(now) >= need {
		return true
	}
	return m.cfg.Policy != Manual && slices.Max(after) >= need
}

// canRealloc predicts whether Realloc(b, n) must succeed, and the error
// it must fail with otherwise.
func (m *model) canRealloc(b mblock, n int) (bool, error) {
	l := m.layout()
	i := slices.IndexFunc(l, func(s span) bool { return s.hd == b.hd })
	newCap := m.round(n)
	cur := l[i]
	if newCap <= cur.cap {
		return true, nil
	}
	extra := newCap - cur.cap
	now, _ := m.gaps(l)
	if now[i+1] >= extra {
		return true, nil
	}
	if b.pins > 0 {
		return false, memkit.ErrPinned
	}
	if slices.Max(now) >= newCap {
		return true, nil
	}
	if m.cfg.Policy != Manual {
		lo, hi := i, i // the segment of unpinned blocks around i
		for lo > 0 && !l[lo-1].pinned {
			lo--
		}
		for hi < len(l)-1 && !l[hi+1].pinned {
			hi++
		}
		start, stop := 0, m.h.total
		if lo > 0 {
			start = l[lo-1].off + l[lo-1].cap
		}
		if hi < len(l)-1 {
			stop = l[hi+1].off
		}
		used := 0
		for _, s := range l[lo : hi+1] {
			used += s.cap
		}
		if stop-start-used >= extra {
			return true, nil
		}
	}
	return false, memkit.ErrOutOfMemory
}

func (m *model) verifyAll() {
	m.t.Helper()
	var req int
	for _, b := range m.live {
		got, err := m.h.Bytes(b.hd)
		if err != nil {
			m.failf("Bytes(%v) of a live block: %v", b.hd, err)
		}
		if len(got) != b.size {
			m.failf("block %v: got %d bytes, want %d", b.hd, len(got), b.size)
		}
		if err := alloctest.Verify(got, b.seed); err != nil {
			m.failf("block %v contents: %v", b.hd, err)
		}
		if b.p != nil && (len(*b.p) != b.size || &(*b.p)[0] != &got[0]) {
			m.failf("tracked variable of %v not rewritten: len %d, want %d", b.hd, len(*b.p), b.size)
		}
		req += b.size
	}
	if err := m.h.Check(); err != nil {
		m.failf("Check: %v", err)
	}
	st := m.h.Stats()
	if st.Allocs != len(m.live) || st.Requested != req {
		m.failf("stats: %d blocks, %d bytes; model %d, %d", st.Allocs, st.Requested, len(m.live), req)
	}
	if m.cfg.Policy == Eager && st.Pinned == 0 && st.FreeHoles > 1 {
		m.failf("eager heap without pins has %d gaps, want at most 1", st.FreeHoles)
	}
}

// sameOrder checks that the blocks of before that are still live (but
// skip) keep their relative address order in after.
func sameOrder(before, after []span, skip Handle) error {
	pos := map[Handle]int{}
	for i, s := range after {
		pos[s.hd] = i
	}
	last := -1
	for _, s := range before {
		i, ok := pos[s.hd]
		if !ok || s.hd == skip {
			continue
		}
		if i < last {
			return fmt.Errorf("block %v moved before a block that preceded it", s.hd)
		}
		last = i
	}
	return nil
}

func (m *model) pick() int { return int(m.next() % uint64(len(m.live))) }

func (m *model) size() int {
	// log-uniform sizes up to 1/8 of the space, often small
	maxSize := max(1, m.h.total/8)
	bits := 1 + int(m.next()%uint64(63-countLeading(uint64(maxSize))))
	return 1 + int(m.next()%uint64(min(maxSize, 1<<bits)))
}

func countLeading(x uint64) int {
	n := 0
	for x&(1<<63) == 0 && n < 64 {
		x <<= 1
		n++
	}
	return n
}

func (m *model) fill(b *mblock) {
	m.seed++
	b.seed = m.seed
	got, _ := m.h.Bytes(b.hd)
	if !m.cfg.KeepFreed {
		for i, c := range got {
			if c != 0 {
				m.failf("new bytes of %v not zero at %d", b.hd, i)
			}
		}
	}
	alloctest.Fill(got, b.seed)
}

func (m *model) remove(i int) {
	m.dead = append(m.dead, m.live[i].hd)
	if len(m.dead) > 64 {
		m.dead = m.dead[1:]
	}
	m.live = slices.Delete(m.live, i, i+1)
}

// wantUnchanged checks that a failed call left layout and contents alone.
func (m *model) wantUnchanged(what string, before []span, err, want error) {
	m.t.Helper()
	if !errors.Is(err, want) {
		m.failf("%s: got error %v, want %v", what, err, want)
	}
	if after := m.layout(); !slices.Equal(before, after) {
		m.failf("%s failed (%v) but the layout changed", what, err)
	}
}

func (m *model) op() {
	m.t.Helper()
	before := m.layout()
	var skip Handle
	switch k := m.next() % 20; {
	case k < 5 || len(m.live) == 0: // Alloc or AllocInto
		n := m.size()
		want := m.canAlloc(n)
		full := m.cfg.MaxAllocations > 0 && len(m.live) == m.cfg.MaxAllocations
		b := mblock{size: n}
		var err error
		if k%2 == 0 {
			b.hd, err = m.h.Alloc(n)
		} else {
			b.p = new([]byte)
			if err = m.h.AllocInto(b.p, n); err == nil {
				b.hd, _ = m.h.HandleOf(b.p)
			}
		}
		switch {
		case full:
			m.wantUnchanged("alloc into a full table", before, err, memkit.ErrNoMetadata)
			return
		case err == nil && !want && m.cfg.Policy != Manual:
			m.failf("alloc(%d) succeeded where the model predicted failure", n)
		case err != nil && want:
			m.failf("alloc(%d): %v; free gaps predicted success (%s)", n, err, m.h)
		case err != nil:
			m.wantUnchanged(fmt.Sprintf("alloc(%d)", n), before, err, memkit.ErrOutOfMemory)
			return
		}
		m.fill(&b)
		m.live = append(m.live, b)
	case k < 9: // Free or FreeFrom
		i := m.pick()
		b := m.live[i]
		var err error
		if b.p != nil && k%2 == 0 {
			err = m.h.FreeFrom(b.p)
		} else {
			err = m.h.Free(b.hd)
		}
		if b.pins > 0 {
			m.wantUnchanged("free of a pinned block", before, err, memkit.ErrPinned)
			return
		}
		if err != nil {
			m.failf("free %v: %v", b.hd, err)
		}
		if b.p != nil && *b.p != nil {
			m.failf("free left the tracked variable non-nil")
		}
		m.remove(i)
	case k < 12: // Realloc or ReallocInto
		i := m.pick()
		b := &m.live[i]
		n := m.size()
		want, wantErr := m.canRealloc(*b, n)
		var err error
		if b.p != nil && k%2 == 0 {
			err = m.h.ReallocInto(b.p, n)
		} else {
			err = m.h.Realloc(b.hd, n)
		}
		if (err == nil) != want {
			m.failf("realloc(%v, %d -> %d): got %v, model predicted success=%t", b.hd, b.size, n, err, want)
		}
		if err != nil {
			m.wantUnchanged("realloc", before, err, wantErr)
			return
		}
		got, _ := m.h.Bytes(b.hd)
		if err := alloctest.Verify(got[:min(n, b.size)], b.seed); err != nil {
			m.failf("realloc(%v, %d -> %d) lost contents: %v", b.hd, b.size, n, err)
		}
		if !m.cfg.KeepFreed {
			for j := b.size; j < n; j++ {
				if got[j] != 0 {
					m.failf("grown bytes of %v not zero at %d", b.hd, j)
				}
			}
		}
		b.size = n
		m.seed++
		b.seed = m.seed
		alloctest.Fill(got, b.seed)
		skip = b.hd
	case k < 14: // Pin / Unpin
		i := m.pick()
		b := &m.live[i]
		if b.pins > 0 && m.next()%2 == 0 {
			if err := m.h.Unpin(b.hd); err != nil {
				m.failf("unpin: %v", err)
			}
			b.pins--
		} else if b.pins < 3 {
			if err := m.h.Pin(b.hd); err != nil {
				m.failf("pin: %v", err)
			}
			b.pins++
		}
	case k == 14: // Transfer
		i := m.pick()
		b := &m.live[i]
		if b.p == nil {
			return
		}
		to := new([]byte)
		if err := m.h.Transfer(b.p, to); err != nil {
			m.failf("transfer: %v", err)
		}
		if *b.p != nil || m.h.Tracks(b.p) || !m.h.Tracks(to) {
			m.failf("transfer: old variable still set or tracked")
		}
		b.p = to
	case k == 15: // Defragment with a budget
		bud := Budget{MaxBytes: int(m.next() % uint64(m.h.total/4+1)), MaxMoves: int(m.next() % 4)}
		r, err := m.h.Defragment(bud)
		if err != nil {
			m.failf("defragment(%+v): %v", bud, err)
		}
		if r.Moves > 1 && (bud.MaxMoves > 0 && r.Moves > bud.MaxMoves || bud.MaxBytes > 0 && r.BytesMoved > bud.MaxBytes) {
			m.failf("defragment(%+v) exceeded its budget: %+v", bud, r)
		}
		if r.Done {
			now, after := m.gaps(m.layout())
			if !slices.Equal(now[len(now)-1:], after[len(after)-1:]) {
				m.failf("defragment reported Done but the end gap %d is not the one a full slide gives, %d", now[len(now)-1], after[len(after)-1])
			}
		}
	case k == 16: // the user nils, re-slices or copies a tracked variable
		i := m.pick()
		b := &m.live[i]
		if b.p == nil {
			return
		}
		switch m.next() % 3 {
		case 0:
			*b.p = nil
		case 1:
			*b.p = (*b.p)[len(*b.p)/2:]
		case 2:
			cp := *b.p
			if err := m.h.FreeFrom(&cp); !errors.Is(err, memkit.ErrInvalidFree) {
				m.failf("free through a copy of a tracked slice: got %v, want ErrInvalidFree", err)
			}
		}
		// The heap must not care: force a move and let verifyAll see the
		// variable rewritten.
		if b.pins == 0 {
			if err := m.h.Realloc(b.hd, b.size); err != nil {
				m.failf("same-size realloc: %v", err)
			}
		}
		got, _ := m.h.Bytes(b.hd)
		*b.p = got
	case k < 19: // invalid calls: each must fail and change nothing
		m.invalid(before)
	default:
		if m.next()%8 == 0 {
			m.h.Reset()
			for _, b := range m.live {
				if b.p != nil && *b.p != nil {
					m.failf("Reset left a tracked variable set")
				}
				m.dead = append(m.dead, b.hd)
			}
			m.live = m.live[:0]
		}
	}
	if err := sameOrder(before, m.layout(), skip); err != nil {
		m.failf("%v", err)
	}
}

func (m *model) invalid(before []span) {
	m.t.Helper()
	var what string
	var err, want error
	switch m.next() % 7 {
	case 0:
		if len(m.dead) == 0 {
			return
		}
		hd := m.dead[m.next()%uint64(len(m.dead))]
		what, err, want = "free of a stale handle", m.h.Free(hd), memkit.ErrInvalidFree
		if _, e := m.h.Bytes(hd); !errors.Is(e, memkit.ErrInvalidFree) {
			m.failf("Bytes of a stale handle: got %v, want ErrInvalidFree", e)
		}
	case 1:
		if len(m.dead) == 0 {
			return
		}
		hd := m.dead[len(m.dead)-1]
		// The last freed handle: its slot may have been reused since, so
		// only ErrInvalidFree is promised; when it was not, ErrDoubleFree.
		want = memkit.ErrInvalidFree
		if s := hd.slot(); !m.h.tab[s].live && m.h.tab[s].gen == nextGen(hd.gen()) {
			want = memkit.ErrDoubleFree
		}
		what, err = "double free", m.h.Free(hd)
	case 2:
		hd, e := m.others.Alloc(16)
		if e != nil {
			return
		}
		what, err, want = "free of a foreign handle", m.h.Free(hd), memkit.ErrInvalidFree
		m.others.Free(hd)
	case 3:
		what, err, want = "free of handle 0", m.h.Free(0), memkit.ErrInvalidFree
	case 4:
		v := make([]byte, 8)
		what, err, want = "free through an untracked variable", m.h.FreeFrom(&v), memkit.ErrInvalidFree
	case 5:
		what, err, want = "alloc(0)", nil, memkit.ErrInvalidSize
		_, err = m.h.Alloc(0)
		if _, e := m.h.Alloc(m.h.total + 1); !errors.Is(e, memkit.ErrInvalidSize) {
			m.failf("alloc past the space: got %v, want ErrInvalidSize", e)
		}
	case 6:
		if len(m.live) == 0 {
			return
		}
		b := m.live[m.pick()]
		if b.pins > 0 {
			return
		}
		what, err, want = "unpin of an unpinned block", m.h.Unpin(b.hd), memkit.ErrInvalidFree
	}
	m.wantUnchanged(what, before, err, want)
}

func runModel(t testing.TB, cfg Config, space int, next func() uint64, steps int) {
	t.Helper()
	h, err := New(make([]byte, space), cfg)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := New(make([]byte, 4096), Config{})
	m := &model{t: t, h: h, cfg: cfg, align: 1 << h.shift, next: next, others: o}
	for m.step = 0; m.step < steps; m.step++ {
		m.op()
		m.verifyAll()
	}
	for _, b := range m.live {
		for ; b.pins > 0; b.pins-- {
			if err := h.Unpin(b.hd); err != nil {
				m.failf("final unpin: %v", err)
			}
		}
		if err := h.Free(b.hd); err != nil {
			m.failf("final free: %v", err)
		}
	}
	m.live = nil
	m.verifyAll()
	if st := h.Stats(); st.Used != 0 || st.Allocs != 0 {
		t.Fatalf("after freeing everything: %+v", st)
	}
}

func TestModel(t *testing.T) {
	steps, seeds := 3000, 4
	if testing.Short() || raceEnabled {
		steps, seeds = 1000, 1
	}
	for _, pol := range policies {
		for _, c := range []struct {
			name string
			cfg  Config
		}{
			{"default", Config{Policy: pol}},
			{"max=24", Config{Policy: pol, MaxAllocations: 24}},
			{"align=1/keep-freed", Config{Policy: pol, Align: 1, KeepFreed: true}},
			{"align=256", Config{Policy: pol, Align: 256}},
		} {
			for seed := uint64(1); seed <= uint64(seeds); seed++ {
				t.Run(fmt.Sprintf("policy=%v/%s/seed=%d", pol, c.name, seed), func(t *testing.T) {
					t.Logf("seed %d", seed)
					r := rand.New(rand.NewPCG(seed, uint64(pol)))
					runModel(t, c.cfg, 16<<10, r.Uint64, steps)
				})
			}
		}
	}
}
