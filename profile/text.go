// Text output: the report for people, with quiet mode and ANSI colour.

package profile

import (
	"fmt"
	"io"
	"strconv"
)

// TextOptions tunes Report.WriteText. The zero value prints everything
// without colour.
type TextOptions struct {
	// Quiet prints only the findings, one per line, and nothing at all
	// for a log without any.
	Quiet bool
	// Color marks severities and the verdict with ANSI escape sequences.
	Color bool
}

const (
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiReset  = "\x1b[0m"
)

// textWriter keeps the first write error so the printing code stays flat.
type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func (t *textWriter) paint(s, code string) string {
	if !t.color {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) severity(s Severity) string {
	if s == Error {
		return t.paint("error", ansiRed)
	}
	return t.paint("warning", ansiYellow)
}

// WriteText prints the report for people: a summary, each segment with
// its figures, persistent blocks and findings, the tests, the global peak
// and the verdict. With Quiet it prints only the findings, as
// "line N: SEVERITY: KIND: MESSAGE [TEST]". It returns the first write
// error.
func (r *Report) WriteText(w io.Writer, o TextOptions) error {
	t := &textWriter{w: w, color: o.Color}
	if o.Quiet {
		for _, f := range r.Findings {
			t.finding(f, "", true)
		}
		t.dropped(r)
		return t.err
	}
	t.printf("profile: %d lines, %d events, %d segments, %d tests\n", r.Lines, r.Events, len(r.Segments), len(r.Tests))
	// Findings outside any segment (before the first event, or between a
	// boundary and the next event) come first.
	for _, f := range r.Findings {
		if f.Segment == 0 {
			t.finding(f, "", false)
		}
	}
	for i := range r.Segments {
		s := &r.Segments[i]
		t.segment(s)
		for _, f := range r.Findings {
			if f.Segment == s.Index {
				t.finding(f, "    ", false)
			}
		}
	}
	t.dropped(r)
	if len(r.Tests) > 0 {
		t.printf("tests:\n")
		for _, tt := range r.Tests {
			status := tt.Status
			if status == "" {
				status = "-"
			}
			t.printf("  %-7s %s (line %d): %d allocs, %d persists, %d frees, %d bytes allocated, peak %d bytes, %s, %s\n",
				status, tt.Name, tt.Line, tt.Allocs, tt.Persists, tt.Frees, tt.BytesAllocated, tt.PeakInUse,
				plural(tt.Errors, "error"), plural(tt.Warnings, "warning"))
		}
	}
	t.printf("total: %d allocs, %d persists, %d frees, %d bytes allocated\n", r.Allocs, r.Persists, r.Frees, r.BytesAllocated)
	if r.Peak.Segment > 0 {
		t.printf("peak: %d bytes%s at line %d (segment %d%s)\n", r.Peak.InUse, percent(r.Peak.Percent, r.Segments[r.Peak.Segment-1].HeapSize),
			r.Peak.Line, r.Peak.Segment, testSuffix(r.Peak.Test))
	} else {
		t.printf("peak: 0 bytes\n")
	}
	verdict := t.paint("clean", ansiGreen)
	if !r.Clean {
		verdict = t.paint("NOT CLEAN", ansiRed)
	}
	t.printf("%s: %s, %s\n", verdict, plural(r.Errors, "error"), plural(r.Warnings, "warning"))
	return t.err
}

func (t *textWriter) segment(s *Segment) {
	heap := "heap unknown (no init)"
	if s.HeapSize > 0 || s.Init {
		heap = fmt.Sprintf("heap %v, %d bytes", s.HeapAddr, s.HeapSize)
		if !s.Init {
			heap += " (inherited, no init)"
		}
	}
	t.printf("segment %d, lines %d-%d%s: %s\n", s.Index, s.Line, s.EndLine, testSuffix(s.Test), heap)
	t.printf("    %d allocs, %d persists, %d frees, %d failed, %d bytes allocated, peak %d bytes%s",
		s.Allocs, s.Persists, s.Frees, s.FailedAllocs, s.BytesAllocated, s.PeakInUse, percent(s.PeakPercent, s.HeapSize))
	if s.PeakLine > 0 {
		t.printf(" at line %d", s.PeakLine)
	}
	t.printf("\n")
	for _, b := range s.Persistent {
		t.printf("    persistent: %d bytes at %v from %v (line %d)\n", b.Size, b.Addr, b.Site, b.Line)
	}
}

func (t *textWriter) finding(f Finding, indent string, withTest bool) {
	t.printf("%sline %d: %s: %s: %s", indent, f.Line, t.severity(f.Severity), f.Kind, f.Message)
	if withTest && f.Test != "" {
		t.printf(" [%s]", f.Test)
	}
	t.printf("\n")
}

func (t *textWriter) dropped(r *Report) {
	if r.FindingsDropped > 0 {
		t.printf("... %d more findings not kept (Options.MaxFindings)\n", r.FindingsDropped)
	}
}

// plural returns "1 error", "2 errors".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func percent(p float64, heapSize uint64) string {
	if heapSize == 0 {
		return ""
	}
	return " (" + strconv.FormatFloat(p, 'f', -1, 64) + "% of heap)"
}

func testSuffix(name string) string {
	if name == "" {
		return ""
	}
	return ", test " + name
}
