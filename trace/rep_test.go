// Tests of the .rep reader and writer.

package trace

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestReadRepMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"empty", "", 1, "header ends after 0"},
		{"short header", "100\n2\n", 3, "header ends after 2"},
		{"header not a number", "100\nx\n2\n1\n", 2, "header value 2"},
		{"negative header", "-5\n2\n2\n1\n", 1, "header value 1"},
		{"header too large", "1\n9999999999\n2\n1\n", 4, "too large"},
		{"unknown op", "0\n1\n1\n1\nx 0 4\n", 5, "unknown op"},
		{"alloc missing size", "0\n1\n1\n1\na 0\n", 5, "want a ID SIZE"},
		{"alloc extra field", "0\n1\n1\n1\na 0 4 5\n", 5, "want a ID SIZE"},
		{"free extra field", "0\n1\n2\n1\na 0 4\nf 0 4\n", 6, "want f ID"},
		{"realloc missing size", "0\n1\n1\n1\nr 0\n", 5, "want r ID SIZE"},
		{"negative id", "0\n1\n1\n1\na -1 4\n", 5, "id \"-1\""},
		{"huge id", "0\n1\n1\n1\na 4294967296 4\n", 5, "id \"4294967296\""},
		{"bad size", "0\n1\n1\n1\na 0 4k\n", 5, "size \"4k\""},
		{"negative size", "0\n1\n1\n1\na 0 -4\n", 5, "size \"-4\""},
		{"double alloc", "0\n1\n2\n1\na 0 4\na 0 8\n", 6, "already live"},
		{"free of unknown", "0\n1\n1\n1\nf 3\n", 5, "not live"},
		{"double free", "0\n1\n3\n1\na 0 4\nf 0\nf 0\n", 7, "not live"},
		{"fewer ops than header", "0\n1\n3\n1\na 0 4\nf 0\n", 6, "header says 3 ops, found 2"},
		{"more ops than header", "0\n1\n1\n1\na 0 4\nf 0\n", 6, "header says 1 ops, found 2"},
		{"line too long", "0\n1\n1\n1\na 0 " + strings.Repeat("1", maxLine+10) + "\n", 5, "longer than"},
		{"nul byte", "0\n1\n1\n1\na\x00 0 4\n", 5, "unknown op"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadRep(strings.NewReader(tc.in), "t.rep")
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SyntaxError", err)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("%v does not wrap ErrSyntax", err)
			}
			if se.Line != tc.line || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("got line %d %q, want line %d containing %q", se.Line, se.Msg, tc.line, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "t.rep:") {
				t.Fatalf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestReadRepAccepts(t *testing.T) {
	in := "\r\n4096\r\n10\r\n6\r\n0\r\n\r\na 7 100\r\n  a 3 5  \r\nr 7 300\r\nr 9 16\r\nf 3\r\nf 7" // CRLF, blanks, no final newline
	tr, err := ReadRep(strings.NewReader(in), "crlf")
	if err != nil {
		t.Fatal(err)
	}
	want := []Op{{Alloc, 7, 100}, {Alloc, 3, 5}, {Realloc, 7, 300}, {Realloc, 9, 16}, {Free, 3, 0}, {Free, 7, 0}}
	if len(tr.Ops) != len(want) {
		t.Fatalf("got %d ops, want %d", len(tr.Ops), len(want))
	}
	for i := range want {
		if tr.Ops[i] != want[i] {
			t.Fatalf("op %d: got %+v, want %+v", i, tr.Ops[i], want[i])
		}
	}
	if tr.HeapSize != 4096 || tr.NumIDs != 10 || tr.Weight != 1 {
		t.Fatalf("header: got heap %d ids %d weight %d, want 4096 10 1 (weight 0 read as 1)", tr.HeapSize, tr.NumIDs, tr.Weight)
	}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	// Headers whose first values are 0 or 1, and a count of 0 ops (unchecked).
	for _, hdr := range []string{"0\n0\n0\n0\n", "1\n1\n2\n1\n", "0\n1\n0\n1\n"} {
		if _, err := ReadRep(strings.NewReader(hdr+"a 5 1\nf 5\n"), "h"); err != nil {
			t.Fatalf("header %q: %v", hdr, err)
		}
	}
}

func TestRepRoundTrip(t *testing.T) {
	tr := &Trace{Name: "x", HeapSize: 1000, Weight: 2, Ops: []Op{
		{Alloc, 0, 10}, {Alloc, 42, 1 << 40}, {Realloc, 0, 20}, {Free, 42, 0}, {Realloc, 5, 7}, {Free, 0, 0}, {Free, 5, 0},
	}}
	var buf bytes.Buffer
	if err := WriteRep(&buf, tr); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRep(&buf, "x")
	if err != nil {
		t.Fatal(err)
	}
	if back.HeapSize != 1000 || back.Weight != 2 || back.NumIDs != 43 {
		t.Fatalf("header: got %d %d %d, want 1000 2 43", back.HeapSize, back.Weight, back.NumIDs)
	}
	if len(back.Ops) != len(tr.Ops) {
		t.Fatalf("got %d ops, want %d", len(back.Ops), len(tr.Ops))
	}
	for i := range tr.Ops {
		if back.Ops[i] != tr.Ops[i] {
			t.Fatalf("op %d: got %+v, want %+v", i, back.Ops[i], tr.Ops[i])
		}
	}
	if err := WriteRep(&buf, &Trace{Ops: []Op{{Kind: 9}}}); err == nil {
		t.Fatal("WriteRep accepted an unknown kind")
	}
}

func TestSummarizeAndFreeAll(t *testing.T) {
	tr := &Trace{Ops: []Op{{Alloc, 1, 100}, {Alloc, 2, 50}, {Realloc, 1, 300}, {Free, 2, 0}, {Alloc, 3, 10}}}
	s := tr.Summarize()
	if s.PeakLive != 350 || s.PeakBlocks != 2 || s.MaxSize != 300 || s.Allocs != 3 || s.Reallocs != 1 || s.Frees != 1 || s.IDs != 3 {
		t.Fatalf("got %+v", s)
	}
	tr.FreeAll()
	if n := len(tr.Ops); n != 7 || tr.Ops[5] != (Op{Free, 1, 0}) || tr.Ops[6] != (Op{Free, 3, 0}) {
		t.Fatalf("FreeAll: got %+v", tr.Ops[5:])
	}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []*Trace{
		{Ops: []Op{{Free, 1, 0}}},
		{Ops: []Op{{Alloc, 1, 1}, {Alloc, 1, 1}}},
		{Ops: []Op{{Alloc, -1, 1}}},
		{Ops: []Op{{Kind: 7}}},
	} {
		if err := bad.Validate(); err == nil {
			t.Fatalf("Validate accepted %+v", bad.Ops)
		}
	}
}

func FuzzReadRep(f *testing.F) {
	f.Add([]byte("0\n1\n2\n1\na 0 4\nf 0\n"))
	f.Add([]byte("100\r\n3\r\n4\r\n1\r\na 1 5\r\nr 1 9\r\nr 2 3\r\nf 1\r\n"))
	f.Add([]byte("1\n1\n1\n1\nf 0\n"))
	f.Add([]byte("0\n0\n0\n0\n\n\na 99999 18446744073709551615\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadRep(bytes.NewReader(data), "fuzz")
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v is not a *SyntaxError with a line", err)
			}
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("reader accepted an invalid trace: %v", err)
		}
		var buf bytes.Buffer
		if err := WriteRep(&buf, tr); err != nil {
			t.Fatal(err)
		}
		back, err := ReadRep(&buf, "again")
		if err != nil {
			t.Fatalf("rereading what WriteRep wrote: %v", err)
		}
		if len(back.Ops) != len(tr.Ops) {
			t.Fatalf("round trip: got %d ops, want %d", len(back.Ops), len(tr.Ops))
		}
		for i := range tr.Ops {
			if back.Ops[i] != tr.Ops[i] {
				t.Fatalf("round trip op %d: got %+v, want %+v", i, back.Ops[i], tr.Ops[i])
			}
		}
	})
}
