// Tests of the page table: heap ids, and heaps that get none.

package malloc

import (
	"testing"

	"github.com/memkit/memkit/internal/alloctest"
)

// exhaustHeapIDs makes every heap id look taken until the returned
// function runs, so that heaps made meanwhile get noTag.
func exhaustHeapIDs() func() {
	table.mu.Lock()
	ids, next := ptable.ids, ptable.nextID
	ptable.ids, ptable.nextID = nil, maxHeapIDs
	table.mu.Unlock()
	return func() {
		table.mu.Lock()
		// Ids freed meanwhile by heaps made before are kept.
		ptable.ids = append(ids, ptable.ids...)
		ptable.nextID = next
		table.mu.Unlock()
	}
}

// A heap made when every id is taken works the same, through the general
// Free path: the conformance suite, with Check after it, on both kinds.
func TestHeapWithoutPageTableID(t *testing.T) {
	restore := exhaustHeapIDs()
	defer restore()
	for _, cfg := range []Config{{}, {Concurrent: true}} {
		h, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if h.ptag != noTag {
			t.Fatalf("Concurrent=%v: ptag %#x with every id taken, want noTag", cfg.Concurrent, h.ptag)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		alloctest.Run(t, func(t *testing.T) alloctest.Target { return adapt(t, cfg) },
			alloctest.Config{Align: align, Mix: withReset(alloctest.DefaultMix), Ops: 1000, Seeds: 3, FullVerifyBytes: 256 << 10})
	}
}

// Close gives a heap's id back: the next heap reuses it, and its pages
// carry the new heap's id only.
func TestHeapIDReuse(t *testing.T) {
	h1, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := h1.Malloc(100)
	if err != nil {
		t.Fatal(err)
	}
	tag := h1.ptag
	if tag == noTag {
		t.Skip("every heap id is taken")
	}
	if e := pageEntry(addrOf(b)).Load(); e&entTagMask != tag {
		t.Fatalf("entry %#x of a live block, want heap tag %#x", e, tag)
	}
	if err := h1.Close(); err != nil {
		t.Fatal(err)
	}
	h2, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	if h2.ptag != tag {
		t.Errorf("new heap's tag %#x, want the closed heap's %#x back", h2.ptag, tag)
	}
	// h1's slice no longer names a live block of anyone: h2 refuses it.
	if err := h2.Free(b); err == nil {
		t.Errorf("Free of a closed heap's block on a new heap: nil error")
	}
	if err := h2.Check(); err != nil {
		t.Fatal(err)
	}
}
