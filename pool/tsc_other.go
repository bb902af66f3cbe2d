// The portable operation clock: no time-stamp counter, monotonic nanoseconds.

//go:build !amd64 || purego

package pool

const useTSC = false

func rdtsc() uint64 { return 0 }
