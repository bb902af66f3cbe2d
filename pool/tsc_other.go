// The portable operation clock: no time-stamp counter, monotonic nanoseconds.

//go:build !amd64 || purego

package pool

const useTSC = false

// now returns the current reading of the operation clock: monotonic
// nanoseconds since the package was initialized.
func now() int64 { return monoNow() }

// nowFenced is now: without a time-stamp counter there is no read to order.
func nowFenced() int64 { return monoNow() }
