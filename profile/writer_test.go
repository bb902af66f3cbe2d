// Tests of Writer and Caller.

package profile

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriterLines(t *testing.T) {
	var sb strings.Builder
	w := NewWriter(&sb)
	w.Init(0x7F00, 4096)
	w.Alloc(24, 0x7f10, Site{"app/main.c", 42})
	w.Persist(8, 0xABC, Site{"a;b\nc\r.c", 7})
	w.Free(0x7f10, Site{})
	if err := w.Err(); err != nil {
		t.Fatalf("Err: got %v, want nil", err)
	}
	want := "==MP init;0x7f00;4096\n" +
		"==MP alloc;24;0x7f10;app/main.c:42\n" +
		"==MP persist;8;0xabc;a_b_c_.c:7\n" +
		"==MP free;0x7f10;?:0\n"
	if got := sb.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

type failWriter struct{ n, calls int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.calls++
	if f.calls > f.n {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriterStickyError(t *testing.T) {
	fw := &failWriter{n: 1}
	w := NewWriter(fw)
	w.Init(0, 256)
	if w.Err() != nil {
		t.Fatalf("Err after first write: got %v, want nil", w.Err())
	}
	w.Alloc(1, 2, Site{"f", 1})
	w.Free(2, Site{"f", 2})
	w.Persist(1, 3, Site{"f", 3})
	if w.Err() == nil || w.Err().Error() != "disk full" {
		t.Fatalf("Err: got %v, want disk full", w.Err())
	}
	if fw.calls != 2 {
		t.Fatalf("writes after the error: got %d calls, want 2", fw.calls)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestWriterAllocsNothing(t *testing.T) {
	w := NewWriter(discard{})
	at := Site{"some/longish/path/file.go", 1234}
	w.Alloc(1<<40, ^uint64(0), at) // grow the buffer to the longest line
	n := testing.AllocsPerRun(100, func() {
		w.Init(0x1000, 1<<20)
		w.Alloc(64, 0x1010, at)
		w.Persist(64, 0x1060, at)
		w.Free(0x1010, at)
	})
	if n != 0 {
		t.Fatalf("allocations per run: got %v, want 0", n)
	}
}

func TestCaller(t *testing.T) {
	s := Caller(0)
	if filepath.Base(s.File) != "writer_test.go" || s.Line == 0 {
		t.Fatalf("Caller(0): got %v, want writer_test.go:<line>", s)
	}
	inner := func() Site { return Caller(1) }
	s2, here := inner(), Caller(0) // same line: Caller(1) inside inner must name it
	if s2 != here {
		t.Fatalf("Caller(1): got %v, want %v", s2, here)
	}
	if s := Caller(1 << 20); s != (Site{}) {
		t.Fatalf("Caller(huge): got %v, want zero Site", s)
	}
	if got := (Site{}).String(); got != "?:0" {
		t.Fatalf("zero Site: got %q, want ?:0", got)
	}
}
