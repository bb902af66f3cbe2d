// Process counters for the latency benchmark: not available on this platform.

//go:build !unix

package pool

func procCounters() (minflt, majflt, nvcsw, nivcsw int64) { return 0, 0, 0, 0 }

func cpuTime() int64 { return 0 }
