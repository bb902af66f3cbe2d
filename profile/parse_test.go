// Table tests of the line-level parsers.

package profile

import "testing"

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0x1f0", 0x1f0, true}, {"0X1F0", 0x1f0, true}, {"1f0", 0x1f0, true}, {"0xAbCd", 0xabcd, true},
		{"0xffffffffffffffff", 1<<64 - 1, true}, {"0x1ffffffffffffffff", 0, false},
		{"0x", 0, false}, {"", 0, false}, {"0xg", 0, false}, {"-1", 0, false}, {"0x 1", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseAddr(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseAddr(%q): got %#x, %v, want %#x, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"4096", 4096, true}, {"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false}, {"+1", 0, false}, {"-1", 0, false}, {"0x10", 0, false}, {"", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseSize(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseSize(%q): got %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseSite(t *testing.T) {
	id := func(s string) string { return s }
	tests := []struct {
		in   string
		want Site
	}{
		{"src/main.c:42", Site{"src/main.c", 42}},
		{"C:/src/main.c:42", Site{"C:/src/main.c", 42}},
		{"main.c:42 PASSED", Site{"main.c", 42}},
		{"main.c", Site{"main.c", 0}},
		{"main.c:", Site{"main.c:", 0}},
		{":7", Site{"", 7}},
		{"main.c:99999999999", Site{"main.c:99999999999", 0}},
		{"main.c:+4", Site{"main.c:+4", 0}},
		{"", Site{}},
	}
	for _, tc := range tests {
		if got := parseSite(tc.in, id); got != tc.want {
			t.Errorf("parseSite(%q): got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseEventFields(t *testing.T) {
	id := func(s string) string { return s }
	tests := []struct {
		in   string
		want parseStatus
		why  string
	}{
		{" init;0x0;1", parsedOK, ""},
		{" INIT;0x0;1", parsedOK, ""},
		{" init;0x0", parsedMalformed, "init wants 2 fields, got 1"},
		{" init;0x0;1;2;3;4;5", parsedMalformed, "init wants 2 fields, got more"},
		{" alloc;1;0x1;a.c:1;extra", parsedMalformed, "alloc wants 3 fields, got 4"},
		{" mmap;1", parsedUnknown, `unknown operation "mmap"`},
		{"free;0x1;a.c:1", parsedMalformed, "no blank after ==MP"},
	}
	for _, tc := range tests {
		_, st, why := parseEvent(tc.in, id)
		if st != tc.want || why != tc.why {
			t.Errorf("parseEvent(%q): got %d %q, want %d %q", tc.in, st, why, tc.want, tc.why)
		}
	}
}
