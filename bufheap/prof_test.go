// Profiling: the lines logged per operation, sites, WriteProfile, and the Locked form.

package bufheap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	pprof "github.com/google/pprof/profile"

	"github.com/memkit/memkit"
)

func here() string {
	_, file, line, _ := runtime.Caller(1)
	return fmt.Sprintf("%s:%d", file, line+1) // the line after the call
}

func TestProfileLines(t *testing.T) {
	var log bytes.Buffer
	h, err := New(newGuarded(4096, 0).buf(), Config{Profile: &log})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	add := func(format string, args ...any) { want = append(want, fmt.Sprintf(format, args...)) }
	add("==MP init;0x0;4096")

	at := here()
	a, _ := h.Alloc(10)
	offA, _ := h.Offset(a)
	add("==MP alloc;10;0x%x;%s", offA, at)

	at = here()
	a, _ = h.Realloc(a, 12) // in place: still a free and an alloc
	add("==MP free;0x%x;%s", offA, at)
	add("==MP alloc;12;0x%x;%s", offA, at)

	at = here()
	b, _ := h.Alloc(20)
	offB, _ := h.Offset(b)
	add("==MP alloc;20;0x%x;%s", offB, at)

	at = here()
	a2, _ := h.Realloc(a, 200) // moves
	off2, _ := h.Offset(a2)
	add("==MP free;0x%x;%s", offA, at)
	add("==MP alloc;200;0x%x;%s", off2, at)

	var p []byte
	at = here()
	h.Persistent(&p, 16)
	offP, _ := h.Offset(p)
	add("==MP persist;16;0x%x;%s", offP, at)

	at = here()
	h.FreeAndNil(&p)
	add("==MP free;0x%x;%s", offP, at)

	at = here()
	h.Free(b)
	add("==MP free;0x%x;%s", offB, at)

	h.Reset()
	add("==MP init;0x0;4096")

	got := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWriteProfile(t *testing.T) {
	h := mustNew(t, 1<<16, Config{})
	if err := h.WriteProfile(io.Discard); !errors.Is(err, memkit.ErrInvalidConfig) {
		t.Fatalf("WriteProfile without profiling: got %v, want ErrInvalidConfig", err)
	}
	h, err := New(newGuarded(1<<16, 0).buf(), Config{Profile: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		h.Alloc(100)
	}
	h.Alloc(1000)
	var out bytes.Buffer
	if err := h.WriteProfile(&out); err != nil {
		t.Fatal(err)
	}
	p, err := pprof.Parse(&out)
	if err != nil {
		t.Fatal(err)
	}
	var objects, space int64
	files := map[string]bool{}
	for _, s := range p.Sample {
		objects += s.Value[0]
		space += s.Value[1]
		for _, l := range s.Location {
			for _, ln := range l.Line {
				files[filepath.Base(ln.Function.Filename)] = true
			}
		}
	}
	if objects != 4 || space != int64(h.Stats().AllocatedSize) || len(p.Sample) != 2 {
		t.Fatalf("profile: %d samples, %d objects, %d bytes; want 2 samples, 4 objects, %d bytes", len(p.Sample), objects, space, h.Stats().AllocatedSize)
	}
	if !files["prof_test.go"] {
		t.Fatalf("profile names files %v, want prof_test.go", files)
	}
}

// Open with profiling logs the blocks already live, at the Open call.
func TestOpenLogsLiveBlocks(t *testing.T) {
	img, _ := goldenHeap(t, 16)
	g := newGuarded(len(img), 0)
	copy(g.buf(), img)
	var log bytes.Buffer
	at := here()
	h, err := Open(g.buf(), Config{Profile: &log})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if got, want := len(lines), 1+h.Stats().AllocatedChunks; got != want {
		t.Fatalf("%d lines, want %d:\n%s", got, want, log.String())
	}
	if !strings.HasPrefix(lines[1], "==MP persist;") || !strings.HasSuffix(lines[2], ";"+at) {
		t.Fatalf("lines %q, want a persist line first and sites at %s", lines[1:3], at)
	}
}

func TestLockedConcurrent(t *testing.T) {
	var log bytes.Buffer
	h, err := New(newGuarded(1<<20, 0).buf(), Config{Profile: &log})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLocked(h)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var keep [][]byte
			for i := 0; i < 300; i++ {
				b, err := l.Alloc(1 + (i*37+w)%500)
				if err != nil {
					t.Error(err)
					return
				}
				for j := range b {
					b[j] = byte(w)
				}
				keep = append(keep, b)
				if i%3 == 0 {
					k := keep[0]
					for _, x := range k {
						if x != byte(w) {
							t.Errorf("worker %d: block changed by another", w)
							return
						}
					}
					if err := l.Free(k); err != nil {
						t.Error(err)
					}
					keep = keep[1:]
				}
			}
			for _, k := range keep {
				l.Free(k)
			}
		}()
	}
	wg.Wait()
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if s := l.Stats(); s.AllocatedChunks != 0 {
		t.Fatalf("%d blocks left", s.AllocatedChunks)
	}
	if !strings.Contains(log.String(), "prof_test.go:") {
		t.Fatal("Locked logs no sites of its callers")
	}
}

// A refused free of a slice inside the buffer is logged, so the analyzer
// sees the double free with its site; a foreign slice is not.
func TestProfileLogsRefusedFree(t *testing.T) {
	var log bytes.Buffer
	h, err := New(newGuarded(4096, 0).buf(), Config{Profile: &log})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h.Alloc(10)
	off, _ := h.Offset(a)
	h.Free(a)
	log.Reset()
	at := here()
	if err := h.Free(a); !errors.Is(err, memkit.ErrDoubleFree) {
		t.Fatalf("second free: %v", err)
	}
	h.Free(make([]byte, 10))
	if got, want := log.String(), fmt.Sprintf("==MP free;0x%x;%s\n", off, at); got != want {
		t.Fatalf("log %q, want %q", got, want)
	}
	mustCheck(t, h)
}
