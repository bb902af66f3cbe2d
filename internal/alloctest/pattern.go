// Content patterns: per-block bytes that reveal any disturbance.

package alloctest

import "fmt"

// PatternByte is byte i of the pattern with the given seed. Neighbouring
// blocks get different seeds, so a byte copied from the wrong block, the
// wrong offset or a zeroed page differs from what is expected.
func PatternByte(seed uint64, i int) byte {
	x := seed*0x9e3779b97f4a7c15 + uint64(i)*0xbf58476d1ce4e5b9
	x ^= x >> 29
	return byte(x) | 1 // never 0, so zeroed memory never passes
}

// Fill writes the pattern for seed into b.
func Fill(b []byte, seed uint64) {
	for i := range b {
		b[i] = PatternByte(seed, i)
	}
}

// Verify reports the first byte of b that is not the pattern for seed.
func Verify(b []byte, seed uint64) error {
	for i := range b {
		if want := PatternByte(seed, i); b[i] != want {
			return fmt.Errorf("byte %d of %d: got %#02x, want %#02x", i, len(b), b[i], want)
		}
	}
	return nil
}
