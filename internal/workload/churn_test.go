// Tests of the churn stream.

package workload

import "testing"

func TestChurnDeterministicAndInRange(t *testing.T) {
	a := NewChurn(1, 100, 1, 4096, 1000)
	b := NewChurn(1, 100, 1, 4096, 1000)
	if a.Mask != 1023 || len(a.Victims) != 1024 || len(a.Initial) != 100 {
		t.Fatalf("got mask %d, %d victims, %d initial; want 1023, 1024, 100", a.Mask, len(a.Victims), len(a.Initial))
	}
	for i := range a.Victims {
		if a.Victims[i] != b.Victims[i] || a.Sizes[i] != b.Sizes[i] {
			t.Fatalf("step %d differs between two churns of the same seed", i)
		}
		if int(a.Victims[i]) >= a.Live || a.Sizes[i] < 1 || a.Sizes[i] > 4096 {
			t.Fatalf("step %d: victim %d size %d out of range", i, a.Victims[i], a.Sizes[i])
		}
	}
	if a.Name != "live=100/size=1-4096" {
		t.Fatalf("Name = %q", a.Name)
	}
	if f := Fixed(2, 10, 64, 4); f.Sizes[0] != 64 || f.Initial[3] != 64 || f.Name != "live=10/size=64" {
		t.Fatalf("Fixed: %+v", f)
	}
}
