// Tests of the amd64 operation clock, both of its branches.

//go:build amd64 && !purego

package pool

import "testing"

// TestNowFallback runs now's assembly with useTSC off, the branch that
// tail-jumps to monoNow, and checks that it returns monotonic nanoseconds.
func TestNowFallback(t *testing.T) {
	saved := useTSC
	defer func() { useTSC = saved }()
	useTSC = false
	a := monoNow()
	b := now()
	c := now()
	d := monoNow()
	if !(a <= b && b <= c && c <= d) {
		t.Fatalf("monoNow %d, now %d, now %d, monoNow %d: got a non-monotonic sequence, want each ≤ the next", a, b, c, d)
	}
}

// TestNowTSC checks that with useTSC on now reads a counter that advances.
func TestNowTSC(t *testing.T) {
	if !useTSC {
		t.Skip("the CPU has no invariant TSC")
	}
	a := now()
	for range 1000 {
		if b := now(); b < a {
			t.Fatalf("got TSC %d after %d, want a non-decreasing counter", b, a)
		}
	}
	if r := tickRate(); r <= 0 {
		t.Fatalf("got a tick rate of %v ticks/ns, want > 0", r)
	}
}
