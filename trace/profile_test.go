// Tests of the profiling-log reader.

package trace

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

const sampleLog = `collected 2 items
test_alloc.py::test_one
seproxyhal: printf: ==MP init;0x20001000;8192
seproxyhal: printf: ==MP alloc;100;0x20001010;app.c:10
==MP alloc;32;0x20001080;app.c:11
==MP persist;0x20001080;app.c:12
==MP free;0x20001010;app.c:13
==MP free;0x2000dead;app.c:14
PASSED
test_alloc.py::test_two
==MP init;0x20001000;8192
==MP alloc;64;0x20001010;app.c:20
==MP alloc;16;0x20001010;app.c:21
`

func TestReadProfile(t *testing.T) {
	tr, err := ReadProfile(strings.NewReader(strings.ReplaceAll(sampleLog, "\n", "\r\n")), "log")
	if err != nil {
		t.Fatal(err)
	}
	want := []Op{
		{Alloc, 0, 100}, {Alloc, 1, 32}, {Free, 0, 0}, // first test; the free of 0x2000dead is dropped
		{Free, 1, 0},                 // init frees what is still live
		{Alloc, 2, 64}, {Free, 2, 0}, // alloc at a live address: its free was lost
		{Alloc, 3, 16},
	}
	if len(tr.Ops) != len(want) {
		t.Fatalf("got %d ops %+v, want %d", len(tr.Ops), tr.Ops, len(want))
	}
	for i := range want {
		if tr.Ops[i] != want[i] {
			t.Fatalf("op %d: got %+v, want %+v", i, tr.Ops[i], want[i])
		}
	}
	if tr.Dropped != 2 || tr.HeapSize != 8192 || tr.NumIDs != 4 {
		t.Fatalf("got dropped %d heap %d ids %d, want 2 8192 4", tr.Dropped, tr.HeapSize, tr.NumIDs)
	}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestReadProfileMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"unknown event", "x\n==MP grow;0x10;5\n", 2, "unknown profiling event"},
		{"alloc short", "==MP alloc;10\n", 1, "want alloc;SIZE"},
		{"alloc bad size", "==MP alloc;ten;0x10;a.c:1\n", 1, "size \"ten\""},
		{"alloc bad addr", "==MP alloc;10;0xzz;a.c:1\n", 1, "address \"0xzz\""},
		{"free short", "==MP free\n", 1, "want free;0xADDR"},
		{"free bad addr", "==MP free;nothex;a.c:1\n", 1, "address \"nothex\""},
		{"init short", "==MP init;0x10\n", 1, "want init;0xADDR;SIZE"},
		{"init bad size", "==MP init;0x10;-1\n", 1, "size \"-1\""},
		{"init bad addr", "==MP init;0xg;10\n", 1, "address \"0xg\""},
		{"empty event", "==MP\n", 1, "unknown profiling event"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadProfile(strings.NewReader(tc.in), "p.log")
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SyntaxError", err)
			}
			if se.Line != tc.line || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("got line %d %q, want line %d containing %q", se.Line, se.Msg, tc.line, tc.msg)
			}
		})
	}
}

func FuzzReadProfile(f *testing.F) {
	f.Add([]byte(sampleLog))
	f.Add([]byte("==MP alloc;1;0x1;a:1\n==MP alloc;1;0x1;a:1\n==MP free;0x1;a:1\n"))
	f.Add([]byte("p: ==MP init;0x0;0\n==MP persist\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ReadProfile(bytes.NewReader(data), "fuzz")
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v is not a *SyntaxError with a line", err)
			}
			return
		}
		if err := tr.Validate(); err != nil {
			t.Fatalf("reader produced an invalid trace: %v", err)
		}
	})
}
