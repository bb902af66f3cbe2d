//go:build !linux

// CPU time of the process: not measured on this system.

package offset

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
