// The clock Stats reads around each operation, and its conversion to time.

package pool

import (
	"sync"
	"time"
)

// epoch is a monotonic time.Time. time.Since of a monotonic time reads only
// the runtime's monotonic clock (no wall clock): the cheapest portable
// monotonic read Go offers without linkname.
var epoch = time.Now()

// monoNow returns monotonic nanoseconds since epoch.
func monoNow() int64 { return int64(time.Since(epoch)) }

// The operation clock, now, is defined per architecture (tsc_amd64.go,
// tsc_other.go): the CPU's invariant time-stamp counter where available
// (amd64, not purego, CPU advertising an invariant TSC), monotonic
// nanoseconds otherwise. Its unit is the tick.

// rate is ticks per nanosecond, measured once against the monotonic clock
// (see tickRate).
var (
	rateOnce sync.Once
	rate     float64
	tsc0     = startTicks()
	mono0    = monoNow()
)

func startTicks() int64 {
	if useTSC {
		return now()
	}
	return 0
}

// tickRate returns ticks per nanosecond: 1 without a TSC; with one, the
// ratio of TSC ticks to monotonic nanoseconds elapsed since the package
// was initialized, waiting (once per process, at most 20 ms) until that
// span is long enough for a ratio good to 1e-4.
func tickRate() float64 {
	if !useTSC {
		return 1
	}
	rateOnce.Do(func() {
		const span = 20 * time.Millisecond
		if d := time.Duration(monoNow() - mono0); d < span {
			time.Sleep(span - d)
		}
		t, m := now(), monoNow()
		rate = float64(t-tsc0) / float64(m-mono0)
	})
	return rate
}

// ticksToDuration converts a number of ticks to a Duration.
func ticksToDuration(t uint64) time.Duration {
	if !useTSC {
		return time.Duration(t)
	}
	return time.Duration(float64(t) / tickRate())
}
