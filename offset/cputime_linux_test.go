//go:build linux

// CPU time of the process, for benchmarks on a shared machine.

package offset

import (
	"syscall"
	"time"
)

// cpuTime returns the user+system CPU time of the process so far, or ok
// false when it is not available.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
