// Size flags: values such as 4096, 64K, 1M, 2G.

package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseSize reads a byte count with an optional K, M, G or T suffix (powers
// of 1024, an optional trailing B or iB, any case).
func parseSize(s string) (uint64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	shift := 0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		case 'T':
			shift = 40
		}
		if shift > 0 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil || t == "" {
		return 0, fmt.Errorf("size %q: want a number with an optional K, M, G or T suffix", s)
	}
	if shift > 0 && v > (^uint64(0))>>shift {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return v << shift, nil
}

// sizeFlag is a flag.Value for sizes.
type sizeFlag struct{ v *uint64 }

func (f sizeFlag) String() string {
	if f.v == nil {
		return "0"
	}
	return strconv.FormatUint(*f.v, 10)
}

func (f sizeFlag) Set(s string) error {
	v, err := parseSize(s)
	if err != nil {
		return err
	}
	*f.v = v
	return nil
}
