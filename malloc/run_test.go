// Tests of the run record: its size, the slot arithmetic and the bitmap.

package malloc

import (
	"math/bits"
	"reflect"
	"testing"
)

// TestRunRecordSize checks that a run record is one 64-byte cache line.
func TestRunRecordSize(t *testing.T) {
	if got := reflect.TypeFor[run]().Size(); got != 64 {
		t.Fatalf("run record: got %d bytes, want 64", got)
	}
}

// TestArenaSize checks that the arena struct fills a 256-byte size class
// on 64-bit platforms (see arenaPad).
func TestArenaSize(t *testing.T) {
	if bits.UintSize != 64 {
		t.Skip("the padding targets 64-bit platforms")
	}
	if got := reflect.TypeFor[arena]().Size(); got != 256 {
		t.Fatalf("arena struct: got %d bytes, want 256", got)
	}
	h := newHeap(t, Config{})
	for range 10 {
		mustMalloc(t, h, 100<<10) // a medium block: an arena each
	}
	for _, a := range h.shards[0].arenas {
		if off := addrOfPtr(a) % 64; off != 0 {
			t.Fatalf("arena struct %d bytes past a 64-byte boundary, want 0", off)
		}
	}
	mustCheck(t, h)
}

// TestSlotOf checks classMagic's division against real division for every
// offset of a run of every class, and that only slot starts are accepted.
func TestSlotOf(t *testing.T) {
	step := uint32(1)
	if testing.Short() {
		step = 7
	}
	for c := range numClasses {
		if classSlots[c] > maxSlots || classSlots[c] < 1 {
			t.Fatalf("class %d: got %d slots, want 1 to %d", c, classSlots[c], maxSlots)
		}
		r := run{start: 3 * pageSize, size: classSize[c], pages: classPages[c], nslots: uint16(classSlots[c]), class: int8(c)}
		for x := uint32(0); x < r.pages*pageSize; x += step {
			i, ok := r.slotOf(r.start + x)
			want := x%r.size == 0 && x/r.size < uint32(r.nslots)
			if ok != want || (ok && i != x/r.size) {
				t.Fatalf("class %d (size %d): offset %d: got slot %d, %v; want %d, %v", c, r.size, x, i, ok, x/r.size, want)
			}
		}
		if _, ok := r.slotOf(r.start - 16); ok {
			t.Fatalf("class %d: an offset before the run was taken for a slot", c)
		}
	}
}

// TestRunBitmap fills and drains a run of every class through take and
// checks the slots come lowest first and the bits past nslots stay set.
func TestRunBitmap(t *testing.T) {
	for _, c := range []int{0, 1, 5, 20, numClasses - 1} {
		r := run{nslots: uint16(classSlots[c]), class: int8(c)}
		r.initSlots()
		for want := uint32(0); want < uint32(r.nslots); want++ {
			if got := r.take(); got != want {
				t.Fatalf("class %d: take got slot %d, want %d", c, got, want)
			}
		}
		for i := uint32(0); i < maxSlots; i++ {
			if !r.isLive(i) {
				t.Fatalf("class %d: bit %d clear in a full run", c, i)
			}
		}
		r.live[0] &^= 1 << 3
		if got := r.take(); got != 3 {
			t.Fatalf("class %d: take after freeing slot 3 got %d, want 3", c, got)
		}
	}
}

// TestRunStore checks that record indexes are distinct, that index 0 is
// never handed out, that released records are reused and that records
// keep their contents and their 64-byte alignment as the store grows.
func TestRunStore(t *testing.T) {
	var s runStore
	seen := map[uint32]bool{}
	for k := range 1000 {
		i := s.alloc()
		if i == 0 || seen[i] {
			t.Fatalf("alloc %d: got index %d (0 or a duplicate)", k, i)
		}
		seen[i] = true
		s.at(i).start = i
	}
	for i := range seen {
		if got := s.at(i).start; got != i {
			t.Fatalf("record %d: got start %d after growth, want %d", i, got, i)
		}
	}
	if off := addrOfPtr(s.at(1)) % 64; off != 0 {
		t.Fatalf("records %d bytes past a 64-byte boundary, want 0", off)
	}
	s.release(500)
	if got := s.alloc(); got != 500 {
		t.Fatalf("alloc after release(500): got %d, want 500", got)
	}
}
