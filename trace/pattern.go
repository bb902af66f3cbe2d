// Block contents: the pattern each live block holds, derived from its seed.

package trace

import "encoding/binary"

// patternWord is word i of the pattern for seed. Every byte has its low
// bit set, so zeroed memory never passes for a block's contents.
func patternWord(seed uint64, i int) uint64 {
	x := (seed+1)*0x9e3779b97f4a7c15 ^ uint64(i)*0xbf58476d1ce4e5b9
	x ^= x >> 31
	x *= 0x94d049bb133111eb
	x ^= x >> 29
	return x | 0x0101010101010101
}

// fillPattern writes the pattern for seed into b[from:], as if the whole of
// b had been written from its start.
func fillPattern(b []byte, seed uint64, from int) {
	i := from / 8
	if r := from % 8; r != 0 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], patternWord(seed, i))
		n := copy(b[from:], w[r:])
		from += n
		i++
	}
	for ; from+8 <= len(b); from += 8 {
		binary.LittleEndian.PutUint64(b[from:], patternWord(seed, i))
		i++
	}
	if from < len(b) {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], patternWord(seed, i))
		copy(b[from:], w[:])
	}
}

// checkPattern returns the index of the first byte of b that differs from
// the pattern for seed, and the byte expected there, or -1.
func checkPattern(b []byte, seed uint64) (int, byte) {
	i, k := 0, 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != patternWord(seed, k) {
			break
		}
		k++
	}
	var w [8]byte
	for ; i < len(b); i++ {
		if i%8 == 0 {
			k = i / 8
			binary.LittleEndian.PutUint64(w[:], patternWord(seed, k))
		}
		if b[i] != w[i%8] {
			return i, w[i%8]
		}
	}
	return -1, 0
}
