// The amd64 operation clock: the invariant time-stamp counter, when the CPU has one.

//go:build amd64 && !purego

package pool

// now returns the current reading of the operation clock, in ticks: the
// time-stamp counter (RDTSC) when useTSC is set, monoNow otherwise. It is
// written in assembly so that a read costs one call and the instruction:
// a Go wrapper around an assembly RDTSC cannot be inlined (two calls), and
// Stats reads the clock four times per alloc+free pair. RDTSC is not
// serializing: the read may move a few instructions earlier or later,
// which is below the clock's own cost and does not bias worst cases.
func now() int64

// nowFenced is like now except that the read waits until every earlier
// instruction has completed (LFENCE; RDTSC). BenchmarkLatency stamps the
// start of its timed regions with it, so that loads of the benchmark's
// own data still in flight cannot run into the region they feed.
func nowFenced() int64

// cpuid returns EAX and EDX of CPUID leaf (sub-leaf 0).
func cpuid(leaf uint32) (eax, edx uint32)

// useTSC is set when CPUID reports an invariant TSC (leaf 0x80000007, EDX
// bit 8): it ticks at a constant rate in every P-state and C-state and is
// synchronized across cores, so differences taken on different cores
// (a goroutine migrating mid-operation) stay meaningful. It is a bool that
// the assembly of now tests (CMPB).
var useTSC = invariantTSC()

func invariantTSC() bool {
	if max, _ := cpuid(0x80000000); max < 0x80000007 {
		return false
	}
	_, edx := cpuid(0x80000007)
	return edx&(1<<8) != 0
}
