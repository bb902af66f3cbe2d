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
	c := nowFenced()
	d := monoNow()
	if !(a <= b && b <= c && c <= d) {
		t.Fatalf("monoNow %d, now %d, nowFenced %d, monoNow %d: got a non-monotonic sequence, want each ≤ the next", a, b, c, d)
	}
}

// TestNowTSC checks that with useTSC on now and nowFenced read a counter
// that does not go back.
func TestNowTSC(t *testing.T) {
	if !useTSC {
		t.Skip("the CPU has no invariant TSC")
	}
	a := now()
	for range 1000 {
		b := nowFenced()
		c := now()
		if b < a || c < b {
			t.Fatalf("got TSC %d, %d (fenced), %d, want a non-decreasing counter", a, b, c)
		}
		a = c
	}
	if r := tickRate(); r <= 0 {
		t.Fatalf("got a tick rate of %v ticks/ns, want > 0", r)
	}
}
