// Whether the race detector is on: it slows byte loops ~10x, so big tests shrink.

//go:build race

package compact

const raceEnabled = true
