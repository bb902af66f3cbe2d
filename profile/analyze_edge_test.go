// Tests of Analyze on edge cases: huge numbers, caps, long lines, read
// errors, output forms, and a Writer round trip; plus the fuzz target.

package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func analyzeString(t testing.TB, log string, o Options) *Report {
	t.Helper()
	r, err := Analyze(strings.NewReader(log), o)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	checkReport(t, r)
	return r
}

func TestAnalyzeHugeNumbers(t *testing.T) {
	log := "==MP init;0xffffffffffffff00;18446744073709551615\n" +
		"==MP alloc;18446744073709551615;0xffffffffffffff10;a.c:1\n" +
		"==MP alloc;18446744073709551615;0xffffffffffffff20;a.c:2\n" +
		"==MP free;0xffffffffffffff10;a.c:3\n" +
		"==MP free;0xffffffffffffff20;a.c:4\n"
	r := analyzeString(t, log, Options{})
	s := r.Segments[0]
	if s.BytesAllocated != math.MaxUint64 || s.PeakInUse != math.MaxUint64 || s.InUse != 0 {
		t.Fatalf("saturation: got allocated %d, peak %d, in use %d; want max, max, 0", s.BytesAllocated, s.PeakInUse, s.InUse)
	}
	if got := findingKeys(r); !slices.Equal(got, []string{"2:warning:outside-heap", "3:warning:outside-heap"}) {
		t.Fatalf("findings: got %q", got)
	}
}

func TestAnalyzeMaxFindings(t *testing.T) {
	log := "==MP init;0x0;64\n" + strings.Repeat("==MP free;0x8;a.c:1\n", 5)
	r := analyzeString(t, log, Options{MaxFindings: 2})
	if len(r.Findings) != 2 || r.FindingsDropped != 3 || r.Errors != 5 || r.Clean {
		t.Fatalf("cap 2: got %d kept, %d dropped, %d errors; want 2, 3, 5", len(r.Findings), r.FindingsDropped, r.Errors)
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf, TextOptions{Quiet: true}); err != nil || !strings.Contains(buf.String(), "3 more findings") {
		t.Fatalf("quiet text: got %q, %v; want the dropped count", buf.String(), err)
	}
	r = analyzeString(t, log, Options{MaxFindings: -1})
	if len(r.Findings) != 5 || r.FindingsDropped != 0 {
		t.Fatalf("no cap: got %d kept, %d dropped; want 5, 0", len(r.Findings), r.FindingsDropped)
	}
}

func TestAnalyzeIgnoreTests(t *testing.T) {
	r := analyzeFile(t, "tests_leak.log")
	data := mustRead(t, "tests_leak.log")
	r2, err := Analyze(bytes.NewReader(data), Options{IgnoreTests: true})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, r2)
	if len(r.Tests) != 3 || len(r2.Tests) != 0 || r2.Collected != 0 {
		t.Fatalf("tests: got %d with markers, %d (collected %d) without; want 3, 0 (0)", len(r.Tests), len(r2.Tests), r2.Collected)
	}
	if got := findingKeys(r2); !slices.Equal(got, []string{"12:warning:reinit-leak"}) {
		t.Fatalf("findings without tests: got %q, want a reinit-leak warning on line 12", got)
	}
}

func TestAnalyzeLongLines(t *testing.T) {
	long := strings.Repeat("x", MaxLineLength+10)
	log := "==MP init;0x0;64\n" +
		long + "\n" + // no marker: ignored silently
		"==MP alloc;8;0x8;a.c:1" + long + "\n" + // marker: reported
		"==MP free;0x8;a.c:2\n"
	r := analyzeString(t, log, Options{})
	if got := findingKeys(r); !slices.Equal(got, []string{"3:warning:long-line", "4:error:invalid-free"}) {
		t.Fatalf("findings: got %q", got)
	}
	if r.Lines != 4 {
		t.Fatalf("lines: got %d, want 4", r.Lines)
	}
}

func TestAnalyzeReadError(t *testing.T) {
	boom := errors.New("boom")
	r, err := Analyze(iotest.ErrReader(boom), Options{})
	if !errors.Is(err, boom) || r != nil {
		t.Fatalf("got %v, %v; want nil report and an error wrapping boom", r, err)
	}
	// A reader that fails after some data fails the same way.
	r, err = Analyze(iotest.TimeoutReader(strings.NewReader(strings.Repeat("==MP init;0x0;64\n", 10000))), Options{})
	if !errors.Is(err, iotest.ErrTimeout) || r != nil {
		t.Fatalf("got %v, %v; want nil report and ErrTimeout", r, err)
	}
}

func TestAnalyzeEmpty(t *testing.T) {
	r := analyzeString(t, "", Options{})
	if !r.Clean || r.Lines != 0 || len(r.Segments) != 0 || !slices.Equal(findingKeys(r), []string{"0:warning:no-events"}) {
		t.Fatalf("empty input: got %+v", r)
	}
}

func TestAnalyzeTestMarkers(t *testing.T) {
	tests := []struct {
		name, log string
		want      []string // test names and statuses
	}{
		{"verbose", "tests/a.py::t1 PASSED [ 50%]\ntests/a.py::t2 FAILED [100%]\n", []string{"tests/a.py::t1 PASSED", "tests/a.py::t2 FAILED"}},
		{"live output", "tests/a.py::t1 ==MP init;0x0;8\nPASSED\n", []string{"tests/a.py::t1 PASSED"}},
		{"summary", "tests/a.py::t1\ntests/a.py::t2\nFAILED tests/a.py::t1 - boom\n", []string{"tests/a.py::t1 FAILED", "tests/a.py::t2 "}},
		{"needs .py before collected", "src/x::y\nstd::vector<int> v;\n", nil},
		{"any path after collected", "collected 1 item\nsuite/x::y\nstd::vector<int> v;\n", []string{"suite/x::y "}},
		{"not a node id", "tests/a.py:: nothing\ntests/a.py:::x\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := analyzeString(t, tc.log, Options{})
			var got []string
			for _, tt := range r.Tests {
				got = append(got, tt.Name+" "+tt.Status)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReportText(t *testing.T) {
	r := analyzeFile(t, "double_free.log")
	var buf bytes.Buffer
	if err := r.WriteText(&buf, TextOptions{Quiet: true}); err != nil {
		t.Fatal(err)
	}
	want := "line 4: error: double-free: double free of 0x1010 at a.c:3: already freed at a.c:2 (line 3); allocated at a.c:1 (line 2)\n"
	if buf.String() != want {
		t.Fatalf("quiet: got %q, want %q", buf.String(), want)
	}
	buf.Reset()
	if err := r.WriteText(&buf, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ansiRed + "error" + ansiReset, ansiRed + "NOT CLEAN" + ansiReset, "peak: 16 bytes (1.56% of heap) at line 2 (segment 1)"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("colour text lacks %q:\n%s", s, buf.String())
		}
	}
	buf.Reset()
	clean := analyzeFile(t, "clean_crlf.log")
	if err := clean.WriteText(&buf, TextOptions{Quiet: true}); err != nil || buf.Len() != 0 {
		t.Fatalf("quiet clean: got %q, %v; want nothing", buf.String(), err)
	}
	if err := clean.WriteText(&buf, TextOptions{}); err != nil || !strings.HasSuffix(buf.String(), "clean: 0 errors, 0 warnings\n") {
		t.Fatalf("clean text: got %q, %v", buf.String(), err)
	}
	if err := clean.WriteText(failingWriter{}, TextOptions{}); err == nil {
		t.Fatalf("WriteText to a failing writer: got nil error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space") }

func TestReportJSONFields(t *testing.T) {
	r := analyzeFile(t, "tests_leak.log")
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		var ks []string
		for k := range v.(map[string]any) {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	checks := []struct {
		what string
		v    any
		want []string
	}{
		{"report", m, []string{"allocs", "bytes_allocated", "clean", "collected", "errors", "events", "findings", "findings_dropped", "frees", "lines", "peak", "persists", "segments", "tests", "warnings"}},
		{"peak", m["peak"], []string{"in_use", "line", "percent", "segment", "test"}},
		{"finding", m["findings"].([]any)[0], []string{"addr", "alloc_line", "alloc_site", "kind", "line", "message", "segment", "severity", "size", "test"}},
		{"segment", m["segments"].([]any)[0], []string{"allocs", "bytes_allocated", "end_line", "errors", "failed_allocs", "frees", "heap_addr", "heap_size", "in_use", "index", "init", "line", "peak_in_use", "peak_line", "peak_percent", "persistent", "persists", "test", "warnings"}},
		{"test", m["tests"].([]any)[1], []string{"allocs", "bytes_allocated", "errors", "frees", "line", "name", "peak_in_use", "persists", "status", "warnings"}},
	}
	for _, c := range checks {
		if got := keys(c.v); !slices.Equal(got, c.want) {
			t.Errorf("%s keys: got %q, want %q", c.what, got, c.want)
		}
	}
	f := m["findings"].([]any)[0].(map[string]any)
	if f["addr"] != "0x20001040" || f["severity"] != "error" || f["kind"] != "leak" {
		t.Errorf("finding: got addr %v severity %v kind %v, want 0x20001040 error leak", f["addr"], f["severity"], f["kind"])
	}
	if site := f["alloc_site"].(map[string]any); site["file"] != "src/sign.c" || site["line"] != 88.0 {
		t.Errorf("alloc_site: got %v, want src/sign.c:88", site)
	}
}

// TestWriterRoundTrip writes a random but well-formed workload with Writer
// and checks that Analyze reconstructs it exactly.
func TestWriterRoundTrip(t *testing.T) {
	seed := uint64(0x5eed)
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	var buf bytes.Buffer
	w := NewWriter(&buf)
	const heap = 0x4000_0000
	w.Init(heap, 1<<20)
	live := map[uint64]uint64{}
	var addrs []uint64
	var inUse, peak, total uint64
	var allocs, frees int
	next := uint64(heap)
	for i := 0; i < 5000; i++ {
		if len(addrs) > 0 && rng.IntN(2) == 0 {
			j := rng.IntN(len(addrs))
			a := addrs[j]
			addrs[j] = addrs[len(addrs)-1]
			addrs = addrs[:len(addrs)-1]
			w.Free(a, Site{"free.c", i})
			inUse -= live[a]
			delete(live, a)
			frees++
			continue
		}
		size := uint64(1 + rng.IntN(256))
		w.Alloc(size, next, Site{"alloc.c", i})
		live[next] = size
		addrs = append(addrs, next)
		next += size
		inUse += size
		total += size
		peak = max(peak, inUse)
		allocs++
	}
	w.Persist(16, next, Site{"keep.c", 1})
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	r := analyzeString(t, buf.String(), Options{MaxFindings: -1})
	if r.Allocs != allocs || r.Frees != frees || r.Persists != 1 || r.BytesAllocated != total+16 {
		t.Fatalf("totals: got %d allocs %d frees %d persists %d bytes; want %d %d 1 %d", r.Allocs, r.Frees, r.Persists, r.BytesAllocated, allocs, frees, total+16)
	}
	if r.Peak.InUse != max(peak, inUse+16) {
		t.Fatalf("peak: got %d, want %d", r.Peak.InUse, max(peak, inUse+16))
	}
	if r.Errors != len(live) || r.Warnings != 0 {
		t.Fatalf("findings: got %d errors %d warnings, want %d leaks", r.Errors, r.Warnings, len(live))
	}
	for _, f := range r.Findings {
		if f.Kind != KindLeak || live[uint64(f.Addr)] != f.Size || f.AllocSite.File != "alloc.c" {
			t.Fatalf("finding %+v is not one of the live blocks", f)
		}
	}
	if p := r.Segments[0].Persistent; len(p) != 1 || p[0].Addr != Addr(next) || p[0].Site != (Site{"keep.c", 1}) {
		t.Fatalf("persistent: got %+v", p)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := readTestdata(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzAnalyze feeds arbitrary bytes to Analyze: it must not panic, must
// return a report, and the report must keep its invariants.
func FuzzAnalyze(f *testing.F) {
	for _, name := range testdataLogs(f) {
		data, err := readTestdata(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false, 0)
	}
	f.Add([]byte("==MP free;0x1;a:1\n==MP init;0x0;0\n==MP alloc;1;0x0;:\n"), false, 1)
	f.Add([]byte("collected 1 item\nx::y\n==MP alloc;1;0x1;a:1\nx::z PASSED\n"), true, -1)
	f.Fuzz(func(t *testing.T, data []byte, ignoreTests bool, max int) {
		r, err := Analyze(bytes.NewReader(data), Options{MaxFindings: max % 64, IgnoreTests: ignoreTests})
		if err != nil {
			t.Fatalf("Analyze on a bytes.Reader failed: %v", err)
		}
		checkReport(t, r)
		if n := bytes.Count(data, []byte("\n")); r.Lines != n && r.Lines != n+1 {
			t.Fatalf("lines: got %d for %d newlines", r.Lines, n)
		}
		if r.Events > bytes.Count(data, []byte(marker)) {
			t.Fatalf("events %d exceed markers %d", r.Events, bytes.Count(data, []byte(marker)))
		}
	})
}
