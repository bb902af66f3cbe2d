// Whether the race detector is on (here: off).

//go:build !race

package compact

const raceEnabled = false
