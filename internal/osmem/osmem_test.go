// Tests of page mapping, decommit and bad arguments.

package osmem

import (
	"errors"
	"testing"
)

func TestMapUnmap(t *testing.T) {
	for _, n := range []int{1, PageSize - 1, PageSize, PageSize + 1, 1 << 20} {
		b, err := Map(n)
		if err != nil {
			t.Fatalf("Map(%d): %v", n, err)
		}
		want, _ := RoundUp(n)
		if len(b) != want || cap(b) != want {
			t.Fatalf("Map(%d): len %d cap %d, want %d", n, len(b), cap(b), want)
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("Map(%d): byte %d = %d, want 0", n, i, b[i])
			}
			b[i] = byte(i)
		}
		if err := Decommit(b); err != nil {
			t.Fatalf("Decommit: %v", err)
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("after Decommit: byte %d = %d, want 0", i, b[i])
			}
		}
		if err := Unmap(b); err != nil {
			t.Fatalf("Unmap: %v", err)
		}
	}
}

func TestBadArguments(t *testing.T) {
	for _, n := range []int{0, -1, int(^uint(0) >> 1)} {
		if _, err := Map(n); err == nil {
			t.Errorf("Map(%d): nil error, want one", n)
		}
	}
	b, err := Map(PageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer Unmap(b)
	if err := Decommit(b[:PageSize-1]); err == nil {
		t.Errorf("Decommit of a partial page: nil error, want one")
	}
	if err := Unmap(nil); err != nil {
		t.Errorf("Unmap(nil) = %v, want nil", err)
	}
}

// TestRemap grows and shrinks a mapping where the OS can remap: the kept
// bytes survive, added pages read as zero, and the result unmaps cleanly.
// Elsewhere Remap must say it is unsupported and leave b mapped.
func TestRemap(t *testing.T) {
	b, err := Map(3 * PageSize)
	if err != nil {
		t.Fatalf("Map: %v", err)
	}
	for i := range b {
		b[i] = byte(i * 7)
	}
	nb, err := Remap(b, 40*PageSize+1)
	if errors.Is(err, errors.ErrUnsupported) {
		if b[len(b)-1] != byte((len(b)-1)*7) {
			t.Fatal("unsupported Remap disturbed the old mapping")
		}
		if err := Unmap(b); err != nil {
			t.Fatalf("Unmap: %v", err)
		}
		t.Skipf("Remap unsupported here: %v", err)
	}
	if err != nil {
		t.Fatalf("Remap grow: %v", err)
	}
	if want := 41 * PageSize; len(nb) != want || cap(nb) != want {
		t.Fatalf("Remap grow: len %d cap %d, want %d", len(nb), cap(nb), want)
	}
	for i := range nb {
		want := byte(0)
		if i < 3*PageSize {
			want = byte(i * 7)
		}
		if nb[i] != want {
			t.Fatalf("after grow: byte %d = %d, want %d", i, nb[i], want)
		}
	}
	sb, err := Remap(nb, PageSize)
	if err != nil {
		t.Fatalf("Remap shrink: %v", err)
	}
	if len(sb) != PageSize || sb[PageSize-1] != byte((PageSize-1)*7) {
		t.Fatalf("after shrink: len %d, last byte %d", len(sb), sb[PageSize-1])
	}
	if _, err := Remap(sb, 0); err == nil {
		t.Fatal("Remap to 0 bytes: nil error, want one")
	}
	if err := Unmap(sb); err != nil {
		t.Fatalf("Unmap: %v", err)
	}
}
