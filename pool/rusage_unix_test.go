// Process counters for the latency benchmark: page faults and context switches (Unix).

//go:build unix

package pool

import "syscall"

// procCounters returns the process's minor and major page faults and its
// voluntary and involuntary context switches so far.
func procCounters() (minflt, majflt, nvcsw, nivcsw int64) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0, 0, 0
	}
	return int64(ru.Minflt), int64(ru.Majflt), int64(ru.Nvcsw), int64(ru.Nivcsw)
}

// cpuTime returns the process's user plus system CPU time, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
