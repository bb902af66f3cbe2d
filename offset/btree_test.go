// Tests of FirstFit's B+-tree at its edges: splits, merges, deep trees, budgets.

package offset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/memkit/memkit"
)

// treeShape returns the tree's height and the leaves and inner nodes in
// use.
func treeShape(a *Allocator) (height, leaves, inners int) {
	t := &a.ff
	leaves = int(t.usedLeaves) - 1 - countUnused(t.leaves, t.freeLeaves, t.usedLeaves)
	inners = int(t.usedInners) - 1 - countUnused(t.inners, t.freeInners, t.usedInners)
	return t.height, leaves, inners
}

// TestTreeAgainstModel grows FirstFit trees several levels deep with small
// blocks, churns them and drains them to one block, comparing every op
// with the model (lowest fit, whole state, statistics) and running Check,
// which verifies every tree invariant. A fixed budget runs at its limit for
// most of the stream, so whole-block handouts and absorbed padding happen
// in deep trees too.
func TestTreeAgainstModel(t *testing.T) {
	ops := 5000 // about 2000 blocks at the peak: height 3 (2 under the budget of 700)
	if testing.Short() {
		ops = 1500
	}
	for _, maxNodes := range []int{0, 700} {
		for _, align := range []uint64{1, 16} {
			seed := uint64(maxNodes) + align
			t.Run(fmt.Sprintf("maxnodes=%d/align=%d", maxNodes, align), func(t *testing.T) {
				t.Logf("seed %d", seed)
				r := rand.New(rand.NewPCG(seed, 7))
				cfg := Config{Size: 1 << 20, Align: align, MaxNodes: maxNodes, Policy: FirstFit}
				a := mustNew(t, cfg)
				m := newModel(cfg)
				var live []Offset
				maxHeight := 0
				for step := 0; step < ops; step++ {
					// Three phases: mostly allocs, even churn, mostly frees.
					allocPct := 80
					if step > ops/2 {
						allocPct = 50
					}
					if step > 7*ops/10 {
						allocPct = 20
					}
					var what string
					if r.IntN(100) < allocPct {
						size := 1 + r.Uint64N(300)
						align := uint64(0)
						if r.IntN(8) == 0 {
							align = 1 << r.UintN(9)
						}
						off, w, s, eff, err := allocCall(a, m, size, align)
						what = w
						if err != nil {
							if eff == m.align && m.lowest(s) >= 0 {
								t.Fatalf("step %d: %s: %v, but a block fits", step, what, err)
							}
							continue
						}
						want := m.lowest(s + eff - m.align)
						if want < 0 {
							want = m.lowest(s)
						}
						if want < 0 || m.blocks[want].Off > off || uint64(off-m.blocks[want].Off) >= m.blocks[want].Size {
							t.Fatalf("step %d: %s = %#x, want inside the lowest fit", step, what, off)
						}
						if got := m.place(want, uint64(off-m.blocks[want].Off), s); got != off {
							t.Fatalf("step %d: %s: model placed at %#x, allocator at %#x", step, what, got, off)
						}
						live = append(live, off)
					} else if len(live) > 0 {
						live, what = freeBoth(t, a, m, live, r.IntN(len(live)), step)
					}
					maxHeight = max(maxHeight, a.ff.height)
					m.compare(t, a, step, what)
				}
				for _, off := range live {
					if err := a.Free(off); err != nil {
						t.Fatalf("final free(%#x): %v", off, err)
					}
				}
				checkOK(t, a)
				if h, l, i := treeShape(a); h != 0 || l != 1 || i != 0 {
					t.Fatalf("after freeing everything: height %d, %d leaves, %d inner nodes; want 0, 1, 0", h, l, i)
				}
				if maxHeight < 2 {
					t.Fatalf("tree reached height %d, want at least 2 (the test must split inner nodes)", maxHeight)
				}
				t.Logf("largest height %d", maxHeight)
			})
		}
	}
}

// TestTreeSplitsAndMerges allocates blocks one by one and checks the tree's
// shape at the edges: the root leaf splits when it would hold leafCap+1
// blocks, the root inner node splits when it would have innerCap+1
// children, and freeing everything merges it all back into one leaf.
func TestTreeSplitsAndMerges(t *testing.T) {
	a := mustNew(t, Config{Size: 1 << 20, Align: 16, Policy: FirstFit})
	var offs []Offset
	rootSplit := 0
	for i := 0; rootSplit == 0; i++ {
		off, err := a.Alloc(16)
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, off)
		checkOK(t, a)
		blocks := len(offs) + 1 // the free tail
		h, leaves, _ := treeShape(a)
		switch {
		case blocks <= leafCap && h != 0:
			t.Fatalf("%d blocks: height %d, want 0 (one leaf)", blocks, h)
		case blocks == leafCap+1 && (h != 1 || leaves != 2):
			t.Fatalf("%d blocks: height %d and %d leaves, want a split root leaf: 1 and 2", blocks, h, leaves)
		case h == 2:
			rootSplit = blocks
			if leaves != innerCap+1 {
				t.Fatalf("root split at %d leaves, want %d", leaves, innerCap+1)
			}
		}
	}
	t.Logf("root inner node split at %d blocks", rootSplit)
	// Free in a random order, so that leaves empty from the front, the
	// back and the middle, borrowing and merging on the way down.
	r := rand.New(rand.NewPCG(5, 5))
	r.Shuffle(len(offs), func(i, j int) { offs[i], offs[j] = offs[j], offs[i] })
	for k, off := range offs {
		if err := a.Free(off); err != nil {
			t.Fatalf("free %d (%#x): %v", k, off, err)
		}
		checkOK(t, a)
	}
	if h, l, i := treeShape(a); h != 0 || l != 1 || i != 0 {
		t.Fatalf("after freeing everything: height %d, %d leaves, %d inner nodes; want 0, 1, 0", h, l, i)
	}
	if off, err := a.Alloc(1 << 20); err != nil || off != 0 {
		t.Fatalf("Alloc(Size) = %#x, %v; want 0, nil", off, err)
	}
	checkOK(t, a)
}

// TestTreeBudget fills a FirstFit allocator with a fixed budget to its
// last block: the next request that would split gets a whole block, and
// once no free block is left the next fails with ErrNoMetadata. The budget
// holds exactly MaxNodes blocks, however they sit in the leaves, and churn
// at the limit allocates nothing.
func TestTreeBudget(t *testing.T) {
	for _, n := range []int{1, 2, leafCap, leafCap + 1, 100, 1000} {
		t.Run(fmt.Sprintf("maxnodes=%d", n), func(t *testing.T) {
			a := mustNew(t, Config{Size: 1 << 24, Align: 16, MaxNodes: n, Policy: FirstFit})
			var offs []Offset
			for a.Stats().Nodes < n {
				off, err := a.Alloc(16)
				if err != nil {
					t.Fatalf("alloc with %d of %d blocks: %v", a.Stats().Nodes, n, err)
				}
				offs = append(offs, off)
			}
			checkOK(t, a)
			// The last block is the free tail: it is handed out whole.
			off, err := a.Alloc(16)
			if err != nil {
				t.Fatalf("alloc at the budget: %v", err)
			}
			if st := a.Stats(); st.WholeBlocks != 1 || st.FreeBlocks != 0 || st.Nodes != n {
				t.Fatalf("after a whole-block handout: stats %+v, want WholeBlocks 1, FreeBlocks 0, Nodes %d", st, n)
			}
			offs = append(offs, off)
			if _, err := a.Alloc(16); !errors.Is(err, memkit.ErrNoMetadata) {
				t.Fatalf("alloc with nothing free: got %v, want ErrNoMetadata", err)
			}
			checkOK(t, a)
			// Churn at the limit: free every other block (no merges),
			// refill, with no Go allocation.
			r := rand.New(rand.NewPCG(uint64(n), 1))
			allocs := testing.AllocsPerRun(200, func() {
				k := r.IntN(len(offs))
				if err := a.Free(offs[k]); err != nil {
					t.Fatal(err)
				}
				o, err := a.Alloc(16)
				if err != nil {
					t.Fatal(err)
				}
				offs[k] = o
			})
			if allocs != 0 {
				t.Fatalf("churn at the budget: %v allocations per op, want 0", allocs)
			}
			checkOK(t, a)
			// A worst-case shape: free every other block so that no two
			// free blocks merge, then every block is still held.
			for k := 0; k < len(offs); k += 2 {
				if err := a.Free(offs[k]); err != nil {
					t.Fatal(err)
				}
			}
			checkOK(t, a)
			for k := 1; k < len(offs); k += 2 {
				if err := a.Free(offs[k]); err != nil {
					t.Fatal(err)
				}
			}
			checkOK(t, a)
			if h, l, i := treeShape(a); h != 0 || l != 1 || i != 0 {
				t.Fatalf("after freeing everything: height %d, %d leaves, %d inner nodes; want 0, 1, 0", h, l, i)
			}
		})
	}
}

// TestTreePoolBound checks the worst-case pool sizes New reserves for a
// budget: at most 32 bytes per block, and a height within maxHeight (the
// path arrays) for every budget up to MaxNodes.
func TestTreePoolBound(t *testing.T) {
	for _, n := range []int{1, 6, 7, 13, 14, 100, 1 << 12, 1 << 20, MaxNodes} {
		height := 0
		for c := maxLeaves(n); c > 1; c = max(1, c/innerMin) {
			height++
		}
		if height > maxHeight {
			t.Fatalf("%d blocks: height up to %d, want at most maxHeight %d", n, height, maxHeight)
		}
		bytes := (maxLeaves(n)+1)*leafBytes + (maxInners(n)+1)*innerBytes
		if per := float64(bytes) / float64(n); n >= 1<<12 && per > 32 {
			t.Fatalf("%d blocks: %.2f bytes per block, want at most 32", n, per)
		}
	}
	if got := int(reflect.TypeFor[leaf]().Size()); got != leafBytes {
		t.Fatalf("leaf is %d bytes, want leafBytes %d", got, leafBytes)
	}
	if got := int(reflect.TypeFor[inner]().Size()); got != innerBytes {
		t.Fatalf("inner is %d bytes, want innerBytes %d", got, innerBytes)
	}
}
