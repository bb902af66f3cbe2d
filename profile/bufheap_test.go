// A long log written by a real bufheap run, analyzed and checked against a
// model of the heap's live blocks.

package profile_test

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/memkit/memkit/bufheap"
	"github.com/memkit/memkit/profile"
)

// modelBlock is what the test expects the analyzer to know about a block.
type modelBlock struct {
	size       uint64 // bytes logged: the requested size (len+1 for Strdup)
	persistent bool
}

// heapRun drives a bufheap.Heap with profiling on and keeps the model.
type heapRun struct {
	t           *testing.T
	h           *bufheap.Heap
	live        map[int]modelBlock // payload offset -> block
	blocks      [][]byte           // live slices, any order
	inUse       uint64
	peaks       []uint64 // per segment
	leaked      []int    // per reset: non-persistent blocks live at the reset
	doubleFrees int      // refused second frees, each logged and so an error
}

func (r *heapRun) offset(b []byte) int {
	off, err := r.h.Offset(b)
	if err != nil {
		r.t.Fatalf("Offset of a live block: %v", err)
	}
	return off
}

func (r *heapRun) add(b []byte, size uint64, persistent bool) {
	r.live[r.offset(b)] = modelBlock{size, persistent}
	r.blocks = append(r.blocks, b)
	r.inUse += size
	r.peaks[len(r.peaks)-1] = max(r.peaks[len(r.peaks)-1], r.inUse)
}

// take removes block i from the model and returns it.
func (r *heapRun) take(i int) []byte {
	b := r.blocks[i]
	r.blocks[i] = r.blocks[len(r.blocks)-1]
	r.blocks = r.blocks[:len(r.blocks)-1]
	off := r.offset(b)
	r.inUse -= r.live[off].size
	delete(r.live, off)
	return b
}

func (r *heapRun) nonPersistent() int {
	n := 0
	for _, b := range r.live {
		if !b.persistent {
			n++
		}
	}
	return n
}

func TestAnalyzeBufheapRun(t *testing.T) {
	ops := 20000
	if testing.Short() {
		ops = 2000
	}
	seed := uint64(20261123)
	t.Logf("seed %d, %d ops", seed, ops)
	rng := rand.New(rand.NewPCG(seed, 1))
	var log bytes.Buffer
	h, err := bufheap.New(make([]byte, 1<<20), bufheap.Config{Profile: &log})
	if err != nil {
		t.Fatal(err)
	}
	r := &heapRun{t: t, h: h, live: map[int]modelBlock{}, peaks: []uint64{0}}
	for i := 0; i < ops; i++ {
		n := 1 + rng.IntN(2000)
		if len(r.blocks) > 300 { // keep the heap far from full
			n = 0
		}
		switch k := rng.IntN(20); {
		case n > 0 && k < 4:
			if b, err := h.Alloc(n); err == nil {
				r.add(b, uint64(n), false)
			}
		case n > 0 && k < 6:
			if b, err := h.Calloc(n); err == nil {
				r.add(b, uint64(n), false)
			}
		case n > 0 && k < 7:
			s := strings.Repeat("s", n%40)
			if b, err := h.Strdup(s); err == nil {
				r.add(b, uint64(len(s)+1), false)
			}
		case n > 0 && k < 8:
			var b []byte
			if err := h.Persistent(&b, 1+n%64); err == nil {
				r.add(b, uint64(1+n%64), true)
			}
		case len(r.blocks) > 0 && k < 11:
			i := rng.IntN(len(r.blocks))
			old := r.blocks[i]
			persistent := r.live[r.offset(old)].persistent
			size := max(n, 1)
			r.take(i)
			b, err := h.Realloc(old, size)
			if err != nil {
				t.Fatalf("Realloc to %d: %v", size, err)
			}
			r.add(b, uint64(size), persistent)
		case len(r.blocks) > 0 && k < 12:
			i := rng.IntN(len(r.blocks))
			p := r.blocks[i]
			size := max(n, 1)
			r.take(i)
			if err := h.CallocInto(&p, size); err != nil {
				t.Fatalf("CallocInto %d: %v", size, err)
			}
			r.add(p, uint64(size), false) // an ordinary block, whatever the old one was
		case len(r.blocks) > 0 && k < 18:
			b := r.take(rng.IntN(len(r.blocks)))
			if err := h.FreeAndNil(&b); err != nil {
				t.Fatalf("FreeAndNil: %v", err)
			}
		case len(r.blocks) > 0 && k < 19:
			// A double free is refused by bufheap, and logged, so the
			// analyzer must report it with this file's site.
			b := r.take(rng.IntN(len(r.blocks)))
			if err := h.Free(b); err != nil {
				t.Fatalf("Free: %v", err)
			}
			if err := h.Free(b); err == nil {
				t.Fatalf("second Free of the same block: got nil error")
			}
			r.doubleFrees++
		case k == 19 && rng.IntN(50) == 0:
			r.leaked = append(r.leaked, r.nonPersistent())
			h.Reset()
			clear(r.live)
			r.blocks, r.inUse = r.blocks[:0], 0
			r.peaks = append(r.peaks, 0)
		}
	}
	if err := h.ProfileErr(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d log lines, %d resets, %d blocks live at the end", bytes.Count(log.Bytes(), []byte("\n")), len(r.leaked), len(r.live))

	rep, err := profile.Analyze(bytes.NewReader(log.Bytes()), profile.Options{MaxFindings: -1})
	if err != nil {
		t.Fatal(err)
	}
	if lines := bytes.Count(log.Bytes(), []byte("\n")); rep.Events != lines || rep.Lines != lines {
		t.Fatalf("events %d, lines %d; want every one of the %d lines to be an event", rep.Events, rep.Lines, lines)
	}
	if len(rep.Segments) != len(r.peaks) {
		t.Fatalf("segments: got %d, want %d", len(rep.Segments), len(r.peaks))
	}
	for i, s := range rep.Segments {
		if s.PeakInUse != r.peaks[i] || s.HeapSize != 1<<20 {
			t.Fatalf("segment %d: peak %d of heap %d, want %d of %d", s.Index, s.PeakInUse, s.HeapSize, r.peaks[i], 1<<20)
		}
	}
	wantWarnings := 0
	for _, n := range r.leaked {
		wantWarnings += n
	}
	wantLeaks := r.nonPersistent()
	if rep.Errors != wantLeaks+r.doubleFrees || rep.Warnings != wantWarnings {
		t.Fatalf("got %d errors, %d warnings; want %d leaks + %d double frees and %d reclaimed blocks",
			rep.Errors, rep.Warnings, wantLeaks, r.doubleFrees, wantWarnings)
	}
	doubles := 0
	for _, f := range rep.Findings {
		if f.Kind == profile.KindDoubleFree {
			doubles++
			if filepath.Base(f.Site.File) != "bufheap_test.go" || filepath.Base(f.PrevSite.File) != "bufheap_test.go" {
				t.Fatalf("double free %+v: sites are not in this file", f)
			}
			continue
		}
		if f.Kind != profile.KindLeak && f.Kind != profile.KindReinitLeak {
			t.Fatalf("unexpected finding: %+v", f)
		}
		if filepath.Base(f.AllocSite.File) != "bufheap_test.go" || f.AllocSite.Line == 0 {
			t.Fatalf("finding %+v: allocation site is not in this file", f)
		}
		if f.Kind == profile.KindLeak {
			if b, ok := r.live[int(f.Addr)]; !ok || b.persistent || b.size != f.Size {
				t.Fatalf("leak %+v is not a live non-persistent block of the model", f)
			}
		}
	}
	if doubles != r.doubleFrees {
		t.Fatalf("double-free findings: got %d, want %d", doubles, r.doubleFrees)
	}
	last := rep.Segments[len(rep.Segments)-1]
	if last.InUse != r.inUse || len(last.Persistent) != len(r.live)-wantLeaks {
		t.Fatalf("last segment: in use %d with %d persistent blocks, want %d and %d", last.InUse, len(last.Persistent), r.inUse, len(r.live)-wantLeaks)
	}
	for _, p := range last.Persistent {
		if b := r.live[int(p.Addr)]; !b.persistent || b.size != p.Size {
			t.Fatalf("persistent %+v is not a persistent block of the model", p)
		}
	}

	// Free everything left: no leak remains; the logged double frees stay
	// errors and reclaimed blocks stay warnings.
	for len(r.blocks) > 0 {
		b := r.take(0)
		if err := h.Free(b); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = profile.Analyze(bytes.NewReader(log.Bytes()), profile.Options{MaxFindings: -1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Clean != (r.doubleFrees == 0) || rep.Errors != r.doubleFrees || rep.Warnings != wantWarnings {
		t.Fatalf("after freeing everything: clean %v, %d errors, %d warnings; want %d errors (the double frees) and %d warnings",
			rep.Clean, rep.Errors, rep.Warnings, r.doubleFrees, wantWarnings)
	}
	if err := h.Check(); err != nil {
		t.Fatalf("Check: %v", err)
	}
}
