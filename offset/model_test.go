// A trivially correct model and the differential test against it.

package offset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/memkit/memkit"
)

// model is a trivially correct offset allocator: a slice of blocks in
// address order, searched linearly. Its FirstFit is the definition of
// "lowest address that fits"; for GoodFit it only checks that the chosen
// block was a free block that fits, then applies the same split.
type model struct {
	blocks   []Block
	size     uint64
	align    uint64
	maxNodes int
}

func newModel(cfg Config) *model {
	al := cfg.Align
	if al == 0 {
		al = DefaultAlign
	}
	size := cfg.Size &^ (al - 1)
	return &model{blocks: []Block{{Off: 0, Size: size, Free: true}}, size: size, align: al, maxNodes: cfg.MaxNodes}
}

func (m *model) spare() bool { return m.maxNodes == 0 || len(m.blocks) < m.maxNodes }

func (m *model) round(s uint64) uint64 { return (s + m.align - 1) &^ (m.align - 1) }

// lowest returns the index of the lowest free block of at least s bytes.
func (m *model) lowest(s uint64) int {
	for i, b := range m.blocks {
		if b.Free && b.Size >= s {
			return i
		}
	}
	return -1
}

// place allocates s bytes at pad bytes into free block i, as take does.
func (m *model) place(i int, pad, s uint64) Offset {
	if pad > 0 {
		if m.spare() {
			b := m.blocks[i]
			m.blocks[i].Size = pad
			m.blocks = slices.Insert(m.blocks, i+1, Block{Off: b.Off + Offset(pad), Size: b.Size - pad, Free: true})
			i++
		} else {
			m.blocks[i-1].Size += pad
			m.blocks[i].Off += Offset(pad)
			m.blocks[i].Size -= pad
		}
	}
	b := &m.blocks[i]
	b.Free = false
	if b.Size > s && m.spare() {
		rest := Block{Off: b.Off + Offset(s), Size: b.Size - s, Free: true}
		b.Size = s
		m.blocks = slices.Insert(m.blocks, i+1, rest)
	}
	return m.blocks[i].Off
}

func (m *model) find(off Offset) int {
	for i, b := range m.blocks {
		if b.Off == off {
			return i
		}
	}
	return -1
}

// free frees off; it returns the sentinel the allocator must wrap, or nil.
func (m *model) free(off Offset) error {
	i := m.find(off)
	if i < 0 {
		return memkit.ErrInvalidFree
	}
	if m.blocks[i].Free {
		return memkit.ErrDoubleFree
	}
	m.blocks[i].Free = true
	if i+1 < len(m.blocks) && m.blocks[i+1].Free {
		m.blocks[i].Size += m.blocks[i+1].Size
		m.blocks = slices.Delete(m.blocks, i+1, i+2)
	}
	if i > 0 && m.blocks[i-1].Free {
		m.blocks[i-1].Size += m.blocks[i].Size
		m.blocks = slices.Delete(m.blocks, i, i+1)
	}
	return nil
}

func (m *model) grow(n uint64) {
	n &^= m.align - 1
	if n <= m.size {
		return
	}
	last := &m.blocks[len(m.blocks)-1]
	if last.Free {
		last.Size += n - m.size
	} else {
		m.blocks = append(m.blocks, Block{Off: Offset(m.size), Size: n - m.size, Free: true})
	}
	m.size = n
}

func walkAll(a *Allocator) []Block {
	var out []Block
	a.Walk(func(b Block) bool { out = append(out, b); return true })
	return out
}

// compare fails t unless a's blocks and statistics equal the model's.
func (m *model) compare(t *testing.T, a *Allocator, step int, what string) {
	t.Helper()
	checkOK(t, a)
	got := walkAll(a)
	if !slices.Equal(got, m.blocks) {
		t.Fatalf("step %d (%s): blocks\n got %v\nwant %v", step, what, got, m.blocks)
	}
	var live int
	var alloc, largest uint64
	for _, b := range m.blocks {
		if b.Free {
			largest = max(largest, b.Size)
		} else {
			live++
			alloc += b.Size
		}
	}
	s := a.Stats()
	if s.Live != live || s.Allocated != alloc || s.LargestFree != largest || s.Size != m.size || s.Nodes != len(m.blocks) {
		t.Fatalf("step %d (%s): stats %+v; model: live %d, allocated %d, largest free %d, size %d, nodes %d",
			step, what, s, live, alloc, largest, m.size, len(m.blocks))
	}
}

// TestAgainstModel drives both policies and the model with random streams
// (allocs of mixed sizes and alignments, frees valid and not, grows) and
// compares the whole state after every op. FirstFit must pick exactly the
// model's lowest fit.
func TestAgainstModel(t *testing.T) {
	ops := 3000
	if testing.Short() {
		ops = 800
	}
	for _, p := range policies {
		for _, maxNodes := range []int{0, 3, 8, 40} {
			for _, align := range []uint64{1, 16, 256} {
				seed := uint64(maxNodes)*1000 + align + uint64(p)*7
				t.Run(fmt.Sprintf("policy=%v/maxnodes=%d/align=%d", p, maxNodes, align), func(t *testing.T) {
					t.Logf("seed %d", seed)
					runModel(t, rand.New(rand.NewPCG(seed, 42)), Config{Size: 1 << 14, Align: align, MaxNodes: maxNodes, Policy: p}, ops)
				})
			}
		}
	}
}

// allocCall calls Alloc, or AllocAligned for an align above 0. With its
// result it returns the call's name for messages, the size rounded as the
// model rounds it and the alignment in effect.
func allocCall(a *Allocator, m *model, size, align uint64) (off Offset, what string, s, eff uint64, err error) {
	what = fmt.Sprintf("alloc(%d, align %d)", size, align)
	if align == 0 {
		off, err = a.Alloc(size)
	} else {
		off, err = a.AllocAligned(size, align)
	}
	return off, what, m.round(size), max(align, m.align), err
}

// freeBoth frees live[j] in a and in the model, fails t on an error,
// removes it from live and names the call for messages.
func freeBoth(t *testing.T, a *Allocator, m *model, live []Offset, j, step int) ([]Offset, string) {
	t.Helper()
	off := live[j]
	live[j] = live[len(live)-1]
	live = live[:len(live)-1]
	what := fmt.Sprintf("free(%#x)", off)
	if err := a.Free(off); err != nil {
		t.Fatalf("step %d: %s: %v", step, what, err)
	}
	if err := m.free(off); err != nil {
		t.Fatalf("step %d: %s: model says %v", step, what, err)
	}
	return live, what
}

func runModel(t *testing.T, r *rand.Rand, cfg Config, ops int) {
	a := mustNew(t, cfg)
	m := newModel(cfg)
	var live []Offset
	for step := 0; step < ops; step++ {
		var what string
		switch k := r.IntN(20); {
		case k < 9: // alloc, sometimes aligned
			size := 1 + r.Uint64N(m.size/8)
			if r.IntN(4) == 0 {
				size = 1 + r.Uint64N(64)
			}
			align := uint64(0)
			if r.IntN(4) == 0 {
				align = 1 << r.UintN(10)
			}
			off, w, s, eff, err := allocCall(a, m, size, align)
			what = w
			if err != nil {
				if !errors.Is(err, memkit.ErrOutOfMemory) && !errors.Is(err, memkit.ErrNoMetadata) {
					t.Fatalf("step %d: %s: %v", step, what, err)
				}
				if errors.Is(err, memkit.ErrNoMetadata) && m.spare() {
					t.Fatalf("step %d: %s: ErrNoMetadata with nodes to spare", step, what)
				}
				if cfg.Policy == FirstFit && eff == m.align {
					if i := m.lowest(s); i >= 0 {
						t.Fatalf("step %d: %s: %v, but block %v fits", step, what, err, m.blocks[i])
					}
				}
				if eff == m.align && m.lowest(s) >= 0 && cfg.Policy == GoodFit {
					// GoodFit may miss a fit only deep in the request's own class.
					i := m.lowest(s)
					if classes.Down(m.blocks[i].Size/m.align) != classes.Down(s/m.align) {
						// some block of another class fits: look for one of a class at or above Up.
						up, _ := classes.Up(s / m.align)
						for _, b := range m.blocks {
							if b.Free && classes.Down(b.Size/m.align) >= up {
								t.Fatalf("step %d: %s: %v, but block %v of a higher class fits", step, what, err, b)
							}
						}
					}
				}
				break
			}
			// Where did the allocator put it? Find the free block that
			// contained off and check the choice.
			i := -1
			for j, b := range m.blocks {
				if b.Free && b.Off <= off && uint64(off-b.Off) < b.Size {
					i = j
				}
			}
			if i < 0 {
				t.Fatalf("step %d: %s = %#x: not inside a free block", step, what, off)
			}
			b := m.blocks[i]
			pad := uint64(off - b.Off)
			if uint64(off)%eff != 0 || b.Size-pad < s || pad >= eff {
				t.Fatalf("step %d: %s = %#x in free block %v: misaligned or too small", step, what, off, b)
			}
			if cfg.Policy == FirstFit {
				want := m.lowest(s + eff - m.align)
				if want < 0 {
					want = m.lowest(s)
				}
				if want != i {
					t.Fatalf("step %d: %s = %#x in block %v, want the lowest fit %v", step, what, off, b, m.blocks[want])
				}
			}
			if got := m.place(i, pad, s); got != off {
				t.Fatalf("step %d: %s: model placed at %#x, allocator at %#x", step, what, got, off)
			}
			live = append(live, off)
		case k < 16: // free a live block
			if len(live) == 0 {
				continue
			}
			live, what = freeBoth(t, a, m, live, r.IntN(len(live)), step)
		case k < 19: // an invalid or repeated free
			off := Offset(r.Uint64N(m.size + 64))
			if r.IntN(2) == 0 && len(m.blocks) > 0 {
				off = m.blocks[r.IntN(len(m.blocks))].Off + Offset(r.Uint64N(3))
			}
			what = fmt.Sprintf("bad free(%#x)", off)
			want := memkit.ErrInvalidFree
			if i := m.find(off); i >= 0 {
				if !m.blocks[i].Free {
					continue // a live block: not a bad free
				}
				want = memkit.ErrDoubleFree
			}
			err := a.Free(off)
			if !errors.Is(err, want) || (want == memkit.ErrInvalidFree && errors.Is(err, memkit.ErrDoubleFree)) {
				t.Fatalf("step %d: %s: got %v, want %v", step, what, err, want)
			}
		default: // grow a little
			n := m.size + r.Uint64N(512)
			what = fmt.Sprintf("grow(%d)", n)
			err := a.Grow(n)
			if err != nil {
				last := m.blocks[len(m.blocks)-1]
				if !errors.Is(err, memkit.ErrNoMetadata) || last.Free || m.spare() || n&^(m.align-1) == m.size {
					t.Fatalf("step %d: %s: %v", step, what, err)
				}
				break
			}
			if !m.spare() && !m.blocks[len(m.blocks)-1].Free && n&^(m.align-1) > m.size {
				t.Fatalf("step %d: %s succeeded without a node", step, what)
			}
			m.grow(n)
		}
		m.compare(t, a, step, what)
	}
	for _, off := range live {
		if err := a.Free(off); err != nil {
			t.Fatalf("final free(%#x): %v", off, err)
		}
	}
	checkOK(t, a)
	if got := walkAll(a); len(got) != 1 || !got[0].Free || got[0].Size != m.size {
		t.Fatalf("after freeing everything: blocks %v, want one free block of %d", got, m.size)
	}
	if off, err := a.Alloc(m.size); err != nil || off != 0 {
		t.Fatalf("Alloc(Size) after freeing everything: %#x, %v; want 0, nil", off, err)
	}
	checkOK(t, a)
}
