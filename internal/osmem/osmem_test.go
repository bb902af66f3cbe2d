// Tests of page mapping, decommit and bad arguments.

package osmem

import "testing"

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
