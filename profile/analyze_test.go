// Tests of Analyze on hand-written logs, one rule each, and on edge cases.

package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// findingKeys renders findings as "LINE:severity:kind" for exact comparison.
func findingKeys(r *Report) []string {
	keys := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		keys[i] = fmt.Sprintf("%d:%v:%s", f.Line, f.Severity, f.Kind)
	}
	return keys
}

func analyzeFile(t *testing.T, name string) *Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Analyze(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatalf("Analyze(%s): %v", name, err)
	}
	checkReport(t, r)
	return r
}

func TestAnalyzeLogs(t *testing.T) {
	tests := []struct {
		file     string
		clean    bool
		findings []string
		segments int
		peak     Peak
		check    func(t *testing.T, r *Report)
	}{
		{
			file: "clean_crlf.log", clean: true, segments: 1,
			peak: Peak{InUse: 300, Percent: 7.32, Segment: 1, Line: 4},
			check: func(t *testing.T, r *Report) {
				s := r.Segments[0]
				if s.Allocs != 3 || s.Frees != 3 || s.BytesAllocated != 350 || s.InUse != 0 || s.HeapAddr != 0x20001000 || s.HeapSize != 4096 {
					t.Errorf("segment: got %+v, want 3 allocs, 3 frees, 350 bytes, 0 in use, heap 0x20001000/4096", s)
				}
				if r.Lines != 9 || r.Events != 7 {
					t.Errorf("lines, events: got %d, %d, want 9, 7", r.Lines, r.Events)
				}
			},
		},
		{
			file: "double_free.log", findings: []string{"4:error:double-free"}, segments: 1,
			peak: Peak{InUse: 16, Percent: 1.56, Segment: 1, Line: 2},
			check: func(t *testing.T, r *Report) {
				f := r.Findings[0]
				if f.Addr != 0x1010 || f.Size != 16 || f.PrevLine != 3 || f.PrevSite != (Site{"a.c", 2}) ||
					f.AllocLine != 2 || f.AllocSite != (Site{"a.c", 1}) || f.Site != (Site{"a.c", 3}) {
					t.Errorf("double free: got %+v", f)
				}
			},
		},
		{
			file: "invalid_free.log", findings: []string{"3:error:invalid-free"}, segments: 1,
			peak: Peak{InUse: 16, Percent: 1.56, Segment: 1, Line: 2},
			check: func(t *testing.T, r *Report) {
				if f := r.Findings[0]; f.Addr != 0x1020 || f.Site != (Site{"a.c", 2}) {
					t.Errorf("invalid free: got %+v, want 0x1020 at a.c:2", f)
				}
				if r.Frees != 2 {
					t.Errorf("frees: got %d, want 2 (free of 0x0 is a no-op)", r.Frees)
				}
			},
		},
		{
			file: "leak_at_end.log", findings: []string{"5:error:leak"}, segments: 1,
			peak: Peak{InUse: 48, Percent: 4.69, Segment: 1, Line: 3},
			check: func(t *testing.T, r *Report) {
				if f := r.Findings[0]; f.Addr != 0x1010 || f.Size != 16 || f.AllocLine != 2 || f.AllocSite != (Site{"a.c", 1}) {
					t.Errorf("leak: got %+v, want 16 bytes at 0x1010 from a.c:1 (line 2)", f)
				}
				if r.Segments[0].InUse != 16 || r.Segments[0].EndLine != 5 {
					t.Errorf("segment: in use %d, end line %d, want 16, 5", r.Segments[0].InUse, r.Segments[0].EndLine)
				}
			},
		},
		{
			file: "reinit_same_test.log", clean: true, findings: []string{"4:warning:reinit-leak"}, segments: 2,
			peak: Peak{InUse: 24, Percent: 2.34, Segment: 1, Line: 3},
			check: func(t *testing.T, r *Report) {
				want := []LiveBlock{{Addr: 0x1040, Size: 8, Site: Site{"a.c", 2}, Line: 3}}
				if !slices.Equal(r.Segments[0].Persistent, want) {
					t.Errorf("persistent: got %+v, want %+v", r.Segments[0].Persistent, want)
				}
				if r.Findings[0].Addr != 0x1010 {
					t.Errorf("reclaimed block: got %v, want 0x1010", r.Findings[0].Addr)
				}
			},
		},
		{
			file: "tests_leak.log", findings: []string{"11:error:leak"}, segments: 2,
			peak: Peak{InUse: 124, Percent: 1.51, Segment: 1, Line: 8, Test: "tests/test_app.py::test_sign[nanosp]"},
			check: func(t *testing.T, r *Report) {
				got := make([]string, len(r.Tests))
				for i, tt := range r.Tests {
					got[i] = fmt.Sprintf("%s %s %d/%d", tt.Name, tt.Status, tt.Errors, tt.Warnings)
				}
				want := []string{
					"tests/test_app.py::test_version PASSED 0/0",
					"tests/test_app.py::test_sign[nanosp] PASSED 1/0",
					"tests/test_app.py::test_sign[stax] FAILED 0/0",
				}
				if !slices.Equal(got, want) {
					t.Errorf("tests: got %q, want %q", got, want)
				}
				if r.Collected != 3 {
					t.Errorf("collected: got %d, want 3", r.Collected)
				}
				if f := r.Findings[0]; f.Test != "tests/test_app.py::test_sign[nanosp]" || f.Addr != 0x20001040 || f.AllocLine != 7 {
					t.Errorf("leak: got %+v, want 0x20001040 from line 7 in test_sign[nanosp]", f)
				}
				if s := r.Segments[1]; s.Test != "tests/test_app.py::test_sign[stax]" || s.Line != 12 {
					t.Errorf("segment 2: got test %q line %d, want test_sign[stax] line 12", s.Test, s.Line)
				}
			},
		},
		{
			file: "persistent.log", clean: true, segments: 2,
			peak: Peak{InUse: 96, Percent: 4.69, Segment: 2, Line: 9, Test: "tests/test_a.py::test_two"},
			check: func(t *testing.T, r *Report) {
				if n0, n1 := len(r.Segments[0].Persistent), len(r.Segments[1].Persistent); n0 != 1 || n1 != 2 {
					t.Errorf("persistent blocks: got %d and %d, want 1 and 2", n0, n1)
				}
				if r.Persists != 3 || r.Allocs != 1 {
					t.Errorf("persists, allocs: got %d, %d, want 3, 1", r.Persists, r.Allocs)
				}
			},
		},
		{
			file: "before_init.log", clean: true, segments: 2,
			findings: []string{"1:warning:before-init", "1:warning:invalid-free", "3:warning:reinit-leak"},
			peak:     Peak{InUse: 8, Segment: 1, Line: 2},
			check: func(t *testing.T, r *Report) {
				if s := r.Segments[0]; s.Init || s.HeapSize != 0 || s.PeakPercent != 0 {
					t.Errorf("segment 1: got %+v, want no init, unknown heap size", s)
				}
			},
		},
		{
			file: "odd_lines.log", segments: 1,
			findings: []string{"4:warning:unknown-op", "5:warning:malformed", "6:warning:malformed",
				"7:warning:malformed", "8:warning:malformed", "9:warning:malformed", "10:warning:malformed",
				"11:warning:malformed", "12:error:double-free"},
			peak: Peak{InUse: 16, Percent: 0.39, Segment: 1, Line: 2},
			check: func(t *testing.T, r *Report) {
				if r.Events != 4 {
					t.Errorf("events: got %d, want 4", r.Events)
				}
				if f := r.Findings[8]; f.PrevLine != 3 || f.Addr != 0x2000abe0 || f.Site != (Site{"x.c", 6}) {
					t.Errorf("double free: got %+v, want 0x2000abe0 at x.c:6 freed first on line 3", f)
				}
			},
		},
		{
			file: "overlap.log", findings: []string{"3:error:overlap"}, segments: 1,
			peak: Peak{InUse: 32, Percent: 3.13, Segment: 1, Line: 3},
			check: func(t *testing.T, r *Report) {
				if f := r.Findings[0]; f.AllocLine != 2 || f.Size != 32 {
					t.Errorf("overlap: got %+v, want new size 32, old block from line 2", f)
				}
				if r.Segments[0].InUse != 0 {
					t.Errorf("in use at end: got %d, want 0", r.Segments[0].InUse)
				}
			},
		},
		{
			file: "heap_limits.log", clean: true, segments: 1,
			findings: []string{"2:warning:outside-heap", "4:warning:outside-heap", "4:warning:over-heap", "5:warning:alloc-failed"},
			peak:     Peak{InUse: 136, Percent: 136, Segment: 1, Line: 4},
			check: func(t *testing.T, r *Report) {
				if s := r.Segments[0]; s.FailedAllocs != 1 || s.Allocs != 3 {
					t.Errorf("allocs: got %d ok, %d failed, want 3, 1", s.Allocs, s.FailedAllocs)
				}
			},
		},
		{
			file: "no_events.log", clean: true, findings: []string{"2:warning:no-events"},
		},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".log"), func(t *testing.T) {
			r := analyzeFile(t, tc.file)
			if r.Clean != tc.clean {
				t.Errorf("clean: got %v, want %v", r.Clean, tc.clean)
			}
			if got := findingKeys(r); !slices.Equal(got, tc.findings) && !(len(got) == 0 && len(tc.findings) == 0) {
				t.Errorf("findings: got %q, want %q", got, tc.findings)
				for _, f := range r.Findings {
					t.Logf("  %d: %s", f.Line, f.Message)
				}
			}
			if len(r.Segments) != tc.segments {
				t.Errorf("segments: got %d, want %d", len(r.Segments), tc.segments)
			}
			if r.Peak != tc.peak {
				t.Errorf("peak: got %+v, want %+v", r.Peak, tc.peak)
			}
			if tc.check != nil && !t.Failed() {
				tc.check(t, r)
			}
		})
	}
}

// checkReport verifies the invariants every report keeps, whatever the input.
func checkReport(t testing.TB, r *Report) {
	t.Helper()
	var errs, warns int
	for i, f := range r.Findings {
		if f.Severity == Error {
			errs++
		} else {
			warns++
		}
		if f.Line < 0 || f.Line > r.Lines {
			t.Fatalf("finding %d: line %d outside 0..%d", i, f.Line, r.Lines)
		}
		if f.Segment < 0 || f.Segment > len(r.Segments) {
			t.Fatalf("finding %d: segment %d outside 0..%d", i, f.Segment, len(r.Segments))
		}
		if i > 0 && f.Line < r.Findings[i-1].Line {
			t.Fatalf("finding %d: line %d before previous finding's line %d", i, f.Line, r.Findings[i-1].Line)
		}
		if f.Message == "" || f.Kind == "" {
			t.Fatalf("finding %d: empty kind or message: %+v", i, f)
		}
	}
	if r.FindingsDropped == 0 && (errs != r.Errors || warns != r.Warnings) {
		t.Fatalf("counts: got %d errors, %d warnings in findings, report says %d, %d", errs, warns, r.Errors, r.Warnings)
	}
	if len(r.Findings)+r.FindingsDropped != r.Errors+r.Warnings {
		t.Fatalf("findings kept %d + dropped %d != errors %d + warnings %d", len(r.Findings), r.FindingsDropped, r.Errors, r.Warnings)
	}
	if r.Clean != (r.Errors == 0) {
		t.Fatalf("clean %v with %d errors", r.Clean, r.Errors)
	}
	var allocs, segErrs, segWarns int
	var peak uint64
	prevEnd := 0
	for i, s := range r.Segments {
		if s.Index != i+1 {
			t.Fatalf("segment %d: index %d", i, s.Index)
		}
		if s.Line < prevEnd || s.EndLine < s.Line || s.EndLine > r.Lines {
			t.Fatalf("segment %d: lines %d-%d after %d, of %d", s.Index, s.Line, s.EndLine, prevEnd, r.Lines)
		}
		prevEnd = s.EndLine
		if s.InUse > s.PeakInUse || s.PeakInUse > s.BytesAllocated {
			t.Fatalf("segment %d: in use %d, peak %d, allocated %d", s.Index, s.InUse, s.PeakInUse, s.BytesAllocated)
		}
		allocs += s.Allocs
		segErrs += s.Errors
		segWarns += s.Warnings
		peak = max(peak, s.PeakInUse)
	}
	if allocs != r.Allocs || peak != r.Peak.InUse {
		t.Fatalf("totals: allocs %d, peak %d, report says %d, %d", allocs, peak, r.Allocs, r.Peak.InUse)
	}
	if segErrs > r.Errors || segWarns > r.Warnings {
		t.Fatalf("segments count %d errors, %d warnings, report %d, %d", segErrs, segWarns, r.Errors, r.Warnings)
	}
	for _, o := range []TextOptions{{}, {Quiet: true}, {Color: true}} {
		var buf bytes.Buffer
		if err := r.WriteText(&buf, o); err != nil {
			t.Fatalf("WriteText(%+v): %v", o, err)
		}
		if o.Quiet && buf.Len() == 0 && len(r.Findings) > 0 {
			t.Fatalf("quiet text empty with %d findings", len(r.Findings))
		}
	}
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("JSON does not read back: %v", err)
	}
	if back.Errors != r.Errors || back.Clean != r.Clean || len(back.Findings) != len(r.Findings) || back.Peak != r.Peak {
		t.Fatalf("JSON round trip: got %+v, want %+v", back, *r)
	}
}

func readTestdata(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

func testdataLogs(t testing.TB) []string {
	names, err := filepath.Glob(filepath.Join("testdata", "*.log"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata logs: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}
