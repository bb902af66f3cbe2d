// Tests of size flag parsing.

package main

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"4096", 4096, true}, {"64K", 64 << 10, true}, {"1m", 1 << 20, true},
		{"2G", 2 << 30, true}, {"3GiB", 3 << 30, true}, {"1T", 1 << 40, true}, {"16KB", 16 << 10, true},
		{"", 0, false}, {"K", 0, false}, {"-1", 0, false}, {"1.5M", 0, false},
		{"99999999999999999999", 0, false}, {"16777216T", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSize(tc.in)
			if tc.ok && (err != nil || got != tc.want) {
				t.Fatalf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
			if !tc.ok && err == nil {
				t.Fatalf("parseSize(%q) = %d, nil; want an error", tc.in, got)
			}
		})
	}
}
