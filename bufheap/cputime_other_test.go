//go:build !unix

// CPU time is not measured where getrusage does not exist.

package bufheap

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
