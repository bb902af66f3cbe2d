//go:build unix

// CPU time of the process, for the cpu-ns/op benchmark metric.

package bufheap

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime returns the user+system CPU time the process has used, or false.
func cpuTime() (time.Duration, bool) {
	var r unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &r); err != nil {
		return 0, false
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano()), true
}
