// Tests of the HTML report.

package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/memkit/memkit/trace"
)

func sampleResult(space uint64, spans []trace.Span) trace.Result {
	r := trace.Result{
		Ops: 100, PeakLive: 1000, PeakFootprint: 2000, FootprintKnown: true, Utilization: 0.5,
		MetadataPerBlock: 8, Timed: true, Elapsed: []time.Duration{time.Microsecond},
		NsPerOp: 42, Samples: []float64{30, 40, 50, 60, 2000}, Latency: trace.Latency{P50: 50, P99: 2000, P999: 2000, Max: 2000},
	}
	for i := 0; i <= 100; i += 10 {
		r.Timeline = append(r.Timeline, trace.Point{Op: i, Live: uint64(10 * i), Footprint: 2000})
	}
	r.PeakMap = &trace.Map{Op: 50, Space: space, Live: 1000, Blocks: spans}
	r.EndMap = &trace.Map{Op: 100, Space: space, Live: 0}
	return r
}

func TestWrite(t *testing.T) {
	d := Data{Title: "t", Command: "memkit bench <x>", Workloads: []Workload{{
		Name: "w<1>", About: "about", Ops: 100,
		Entries: []Entry{
			{Alloc: "space", Result: sampleResult(4096, []trace.Span{{Off: 0, Len: 512}, {Off: 1024, Len: 512}})},
			{Alloc: "addr", Baseline: true, Result: sampleResult(0, []trace.Span{{Off: 1 << 40, Len: 512}, {Off: 1<<40 + 1<<30, Len: 512}})},
			{Alloc: "broken", Error: "op 3: overlap: x"},
			{Alloc: "toobig", Skipped: "buffer too large"},
		},
	}}}
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`data-chart="latency"`, `data-chart="footprint"`, `data-chart="utilization"`, `data-moment="peak"`, `data-moment="end"`,
		"w&lt;1&gt;", "memkit bench &lt;x&gt;", "FAULT: op 3: overlap: x", "addr (baseline)", "50.0%",
		"in 2 address clusters", "of a 4.0 KiB space", "not run: buffer too large",
	} {
		if !strings.Contains(page, want) {
			t.Fatalf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "w<1>") {
		t.Fatal("page has a script or an unescaped name")
	}
	if n := strings.Count(page, "<svg"); n != 3+4 {
		t.Fatalf("got %d svg elements, want 7 (3 charts, 2 pairs of maps)", n)
	}
}

func TestWriteEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Data{Title: "empty", Workloads: []Workload{{Name: "none", Entries: []Entry{{Alloc: "a"}}}}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "data-chart") {
		t.Fatal("charts drawn without data")
	}
}

func TestLayout(t *testing.T) {
	// Address clusters far apart are squeezed: the drawing is about the
	// live bytes, not the 1 GiB between the clusters.
	m := &trace.Map{Blocks: []trace.Span{{Off: 100, Len: 100}, {Off: 300, Len: 50}, {Off: 1 << 30, Len: 100}}}
	lay := newLayout([]*trace.Map{m})
	if len(lay.segs) != 2 || lay.total > 1<<20 {
		t.Fatalf("got %d segments, total %d; want 2 and a small total", len(lay.segs), lay.total)
	}
	if lay.pos(100) != 0 || lay.pos(300) != 200 || lay.pos(1<<30) != lay.segs[1].at {
		t.Fatalf("positions %d %d %d", lay.pos(100), lay.pos(300), lay.pos(1<<30))
	}
	// A managed space is drawn from 0 to the highest byte used.
	s := &trace.Map{Space: 1 << 20, Blocks: []trace.Span{{Off: 4096, Len: 4096}}}
	if lay := newLayout([]*trace.Map{s}); lay.total != 8192 || lay.pos(4096) != 4096 {
		t.Fatalf("space layout: total %d", lay.total)
	}
	for _, f := range []float64{0, 0.01, 0.5, 1} {
		if q := quant(f); (f == 0) != (q == 0) || q > 8 {
			t.Fatalf("quant(%v) = %d", f, q)
		}
	}
	if shade(0) != "#e4e8ee" || shade(1) != "#1f4e9c" {
		t.Fatalf("shade ends: %s %s", shade(0), shade(1))
	}
}
