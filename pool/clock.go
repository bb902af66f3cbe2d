// The clock Stats reads around each operation: the runtime's monotonic nanotime.

package pool

import "time"

// epoch is a monotonic time.Time; time.Since of a monotonic time reads
// only the runtime's monotonic clock (no wall clock), the cheapest
// portable monotonic read Go offers without linkname (about 29 ns on the
// reference KVM machine, whose clocksource is kvm-clock; about 20 ns on
// bare metal with a TSC clocksource).
var epoch = time.Now()

// now returns monotonic nanoseconds since epoch.
func now() int64 { return int64(time.Since(epoch)) }

// ticksToDuration converts a difference of now values to a Duration.
func ticksToDuration(t uint64) time.Duration { return time.Duration(t) }
