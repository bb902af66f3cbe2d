// Fuzz targets: conformance streams, model-checked op streams, snapshots.

package offset

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

// fuzzMix is the conformance mix with resets and alignments.
var fuzzMix = alloctest.Mix{Alloc: 8, Free: 5, DoubleFree: 1, InteriorFree: 1, Reset: 1, MaxSize: 2048, MaxAlign: 512}

// fuzzConfig derives a small configuration from two bytes of input.
func fuzzConfig(policy Policy, b0, b1 byte) Config {
	return Config{
		Size:     uint64(4096 + int(b0)*64),
		Align:    1 << (b1 % 8),
		MaxNodes: []int{0, 2, 5, 16, 64}[int(b1>>3)%5],
		Policy:   policy,
	}
}

func fuzzConformance(f *testing.F, policy Policy) {
	f.Add([]byte{0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte("\x10\x0c alloc free alloc free interior double reset"))
	f.Add([]byte{255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 1, 1, 1, 1, 7, 7, 7})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		cfg := fuzzConfig(policy, data[0], data[1])
		a, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ops := alloctest.Decode(data[2:], fuzzMix, 300)
		alloctest.Exec(t, &target{a: a, t: t}, ops, alloctest.Config{Space: a.Stats().Size, Align: a.Config().Align})
		wantEmpty(t, a)
	})
}

// wantEmpty checks the end state of a fuzz run: everything freed, one free
// block, Check passes.
func wantEmpty(t *testing.T, a *Allocator) {
	t.Helper()
	checkOK(t, a)
	if bs := walkAll(a); len(bs) != 1 || !bs[0].Free {
		t.Fatalf("after freeing everything: %v", bs)
	}
}

func FuzzConformanceGoodFit(f *testing.F)  { fuzzConformance(f, GoodFit) }
func FuzzConformanceFirstFit(f *testing.F) { fuzzConformance(f, FirstFit) }

// fuzzOps drives an allocator and the model with raw op bytes: allocs,
// aligned allocs, frees of live and of arbitrary offsets, grows, resets and
// snapshot round trips; the state is compared after every op.
func fuzzOps(f *testing.F, policy Policy) {
	f.Add([]byte{0, 0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{9, 3, 0, 16, 0, 32, 1, 0, 5, 0, 6, 0, 0, 1, 1})
	f.Add([]byte{200, 17, 0, 255, 0, 255, 0, 255, 1, 1, 2, 9, 3, 200, 4, 0, 5, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		cfg := fuzzConfig(policy, data[0], data[1])
		a, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m := newModel(cfg)
		var live []Offset
		data = data[2:]
		for step := 0; len(data) >= 2 && step < 400; step++ {
			op, arg := data[0], uint64(data[1])
			data = data[2:]
			switch op % 7 {
			case 0, 1: // alloc
				size := 1 + arg*uint64(op>>3+1)
				off, err := a.Alloc(size)
				if err != nil && size > m.size {
					if !errors.Is(err, memkit.ErrInvalidSize) {
						t.Fatalf("step %d: Alloc(%d) beyond the space: got %v, want ErrInvalidSize", step, size, err)
					}
					break
				}
				if err != nil {
					if !errors.Is(err, memkit.ErrOutOfMemory) && !errors.Is(err, memkit.ErrNoMetadata) {
						t.Fatalf("step %d: Alloc(%d): %v", step, size, err)
					}
					if policy == FirstFit && m.lowest(m.round(size)) >= 0 {
						t.Fatalf("step %d: Alloc(%d) failed with a fit in %v", step, size, m.blocks)
					}
					break
				}
				i := m.find(off)
				if i < 0 || !m.blocks[i].Free || m.blocks[i].Size < m.round(size) {
					t.Fatalf("step %d: Alloc(%d) = %#x: not the start of a fitting free block in %v", step, size, off, m.blocks)
				}
				if policy == FirstFit && i != m.lowest(m.round(size)) {
					t.Fatalf("step %d: Alloc(%d) = %#x, not the lowest fit in %v", step, size, off, m.blocks)
				}
				m.place(i, 0, m.round(size))
				live = append(live, off)
			case 2: // aligned alloc
				align := uint64(1) << (arg % 12)
				size := 1 + uint64(op)
				off, err := a.AllocAligned(size, align)
				if err != nil && size > m.size {
					break
				}
				if err != nil {
					if !errors.Is(err, memkit.ErrOutOfMemory) && !errors.Is(err, memkit.ErrNoMetadata) {
						t.Fatalf("step %d: AllocAligned(%d, %d): %v", step, size, align, err)
					}
					break
				}
				eff := max(align, m.align)
				j := -1
				for k, b := range m.blocks {
					if b.Free && b.Off <= off && uint64(off-b.Off) < b.Size {
						j = k
					}
				}
				if j < 0 || uint64(off)%eff != 0 || m.blocks[j].Size-uint64(off-m.blocks[j].Off) < m.round(size) {
					t.Fatalf("step %d: AllocAligned(%d, %d) = %#x: bad placement in %v", step, size, align, off, m.blocks)
				}
				m.place(j, uint64(off-m.blocks[j].Off), m.round(size))
				live = append(live, off)
			case 3: // free a live block
				if len(live) == 0 {
					break
				}
				k := int(arg) % len(live)
				off := live[k]
				live = append(live[:k], live[k+1:]...)
				if err := a.Free(off); err != nil {
					t.Fatalf("step %d: Free(%#x): %v", step, off, err)
				}
				_ = m.free(off)
			case 4: // free anything
				off := Offset(arg * uint64(op))
				want := memkit.ErrInvalidFree
				if i := m.find(off); i >= 0 {
					if !m.blocks[i].Free {
						break
					}
					want = memkit.ErrDoubleFree
				}
				if err := a.Free(off); !errors.Is(err, want) {
					t.Fatalf("step %d: Free(%#x): got %v, want %v", step, off, err, want)
				}
			case 5: // grow
				n := m.size + arg*uint64(op)
				err := a.Grow(n)
				if err != nil {
					if !errors.Is(err, memkit.ErrNoMetadata) {
						t.Fatalf("step %d: Grow(%d): %v", step, n, err)
					}
					break
				}
				m.grow(n)
			case 6: // snapshot round trip, or reset
				if arg%8 == 0 {
					a.Reset()
					m = newModel(Config{Size: m.size, Align: m.align, MaxNodes: cfg.MaxNodes})
					live = live[:0]
					break
				}
				data, err := a.MarshalBinary()
				if err != nil {
					t.Fatalf("step %d: MarshalBinary: %v", step, err)
				}
				var b Allocator
				if err := b.UnmarshalBinary(data); err != nil {
					t.Fatalf("step %d: UnmarshalBinary of a fresh snapshot: %v", step, err)
				}
				a = &b
			}
			m.compare(t, a, step, "fuzz op")
		}
		for _, off := range live {
			if err := a.Free(off); err != nil {
				t.Fatalf("final Free(%#x): %v", off, err)
			}
		}
		wantEmpty(t, a)
	})
}

func FuzzOpsGoodFit(f *testing.F)  { fuzzOps(f, GoodFit) }
func FuzzOpsFirstFit(f *testing.F) { fuzzOps(f, FirstFit) }

// FuzzUnmarshal feeds arbitrary bytes to UnmarshalBinary: every input is
// either refused with ErrCorrupt, leaving the allocator as it was, or
// restores a state that passes Check and works.
func FuzzUnmarshal(f *testing.F) {
	for _, p := range policies {
		for _, maxNodes := range []int{0, 8} {
			a, _ := New(Config{Size: 1 << 12, Align: 16, MaxNodes: maxNodes, Policy: p})
			x, _ := a.Alloc(100)
			_, _ = a.Alloc(200)
			_, _ = a.Alloc(300)
			_ = a.Free(x)
			data, _ := a.MarshalBinary()
			f.Add(data)
		}
	}
	f.Add([]byte("MKOF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// MaxNodes sizes the node table; keep the fuzzer from asking for
		// gigabytes (a real snapshot's budget is the caller's choice).
		if len(data) >= snapHeader && binary.LittleEndian.Uint64(data[24:]) > 1<<12 {
			return
		}
		a := mustNew(t, Config{Size: 1 << 10})
		before := walkAll(a)
		if err := a.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, memkit.ErrCorrupt) {
				t.Fatalf("UnmarshalBinary: got %v, want ErrCorrupt", err)
			}
			if after := walkAll(a); len(after) != len(before) || after[0] != before[0] {
				t.Fatalf("refused snapshot changed the allocator: %v -> %v", before, after)
			}
			checkOK(t, a)
			return
		}
		checkOK(t, a)
		// The restored allocator works: free every live block, then one
		// free block remains.
		var live []Offset
		a.Walk(func(b Block) bool {
			if !b.Free {
				live = append(live, b.Off)
			}
			return true
		})
		for _, off := range live {
			if err := a.Free(off); err != nil {
				t.Fatalf("Free(%#x) of a restored block: %v", off, err)
			}
		}
		wantEmpty(t, a)
		if again, err := a.MarshalBinary(); err != nil || a.UnmarshalBinary(again) != nil {
			t.Fatalf("re-marshal round trip failed: %v", err)
		}
	})
}
