// Tests of memkit bench, run in-process on small workloads.

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// memkit runs the memkit command in-process.
func memkit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBenchTable(t *testing.T) {
	code, out, errs := memkit(t, "bench", "-quick", "-workloads", "fixed-64,binary", "-only", "go,offset-goodfit,pool,bufheap")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errs)
	}
	if errs != "" {
		t.Fatalf("stderr not empty (no terminal, so no progress bar): %q", errs)
	}
	lines := strings.Split(out, "\n")
	head := strings.Fields(lines[0])
	want := []string{"workload", "allocator", "ops", "ns/op", "p50", "p99", "p99.9", "max", "util", "meta/blk", "failed"}
	if strings.Join(head, " ") != strings.Join(want, " ") {
		t.Fatalf("header %q, want %q", head, want)
	}
	rows := 0
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != len(want) || (f[0] != "fixed-64" && f[0] != "binary") {
			continue
		}
		rows++
		if f[len(f)-1] != "0" {
			t.Errorf("row %q: failed = %s, want 0", l, f[len(f)-1])
		}
		if f[3] == "-" {
			t.Errorf("row %q has no ns/op", l)
		}
	}
	if rows != 8 {
		t.Fatalf("got %d result rows, want 8 (2 workloads × 4 allocators):\n%s", rows, out)
	}
	// Columns are aligned: every row is as long as the header or shorter
	// only by trailing blanks, and "ns/op" ends at the same column in each.
	end := strings.Index(lines[0], "ns/op") + len("ns/op")
	for _, l := range lines[1 : rows+2] {
		if l == "" {
			continue
		}
		if len(l) < end || l[end-1] == ' ' {
			t.Fatalf("row %q is not right-aligned under ns/op (column %d)", l, end)
		}
	}
	if !strings.Contains(out, "go*") {
		t.Fatalf("baseline not marked with *:\n%s", out)
	}
}

func TestBenchJSONAndBenchfmt(t *testing.T) {
	code, out, errs := memkit(t, "bench", "-quick", "-json", "-workloads", "coalescing", "-only", "offset,go")
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	var doc struct {
		Results []struct {
			Workload  string  `json:"workload"`
			Allocator string  `json:"allocator"`
			Ops       int     `json:"ops"`
			NsPerOp   float64 `json:"ns_per_op"`
			Util      float64 `json:"utilization"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if len(doc.Results) != 3 {
		t.Fatalf("got %d results, want 3 (offset-firstfit, offset-goodfit, go)", len(doc.Results))
	}
	for _, r := range doc.Results {
		if r.Workload != "coalescing" || r.Ops == 0 || r.NsPerOp <= 0 || r.Util <= 0 || r.Util > 1 {
			t.Fatalf("result %+v", r)
		}
	}

	code, out, errs = memkit(t, "bench", "-quick", "-benchfmt", "-count", "2", "-workloads", "fixed-64", "-only", "go")
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	re := regexp.MustCompile(`(?m)^BenchmarkBench/workload=fixed-64/impl=go\t\d+\t[0-9.]+ ns/op\t[0-9.]+ p50-ns\t[0-9.]+ p99-ns\t[0-9.]+ max-ns\t[0-9.]+ util-%$`)
	if n := len(re.FindAllString(out, -1)); n != 2 {
		t.Fatalf("got %d benchmark lines, want 2 (one per pass):\n%s", n, out)
	}
	if !strings.HasPrefix(out, "goos: ") {
		t.Fatalf("benchfmt output lacks the goos header:\n%s", out)
	}
}

func TestBenchHTML(t *testing.T) {
	file := filepath.Join(t.TempDir(), "r.html")
	code, _, errs := memkit(t, "bench", "-quick", "-html", file, "-workloads", "binary", "-only", "bufheap,go")
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{`data-chart="latency"`, `data-chart="footprint"`, `data-chart="utilization"`, `data-chart="heapmap"`, "<h2>binary</h2>"} {
		if !strings.Contains(page, want) {
			t.Fatalf("report lacks %s", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			if bad == "http://" && strings.Count(page, "http://") == strings.Count(page, "http://www.w3.org/") {
				continue // namespace names, not fetches
			}
			t.Fatalf("report contains %q: it must be self-contained", bad)
		}
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bench", "-only", "nosuch"}, `unknown allocator "nosuch"`},
		{[]string{"bench", "-workloads", "nosuch"}, `unknown workload "nosuch"`},
		{[]string{"bench", "-json", "-benchfmt"}, "exclude each other"},
		{[]string{"bench", "-space", "12Q"}, "size"},
		{[]string{"bench", "-bogus"}, "flag provided but not defined"},
		{[]string{"bench", "extra"}, "unexpected arguments"},
		{[]string{"bench", "-count", "-1"}, "-count"},
	} {
		code, out, errs := memkit(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.msg) || out != "" {
			t.Fatalf("%q: exit %d, stderr %q, stdout %q; want 2, stderr containing %q, no stdout", tc.args, code, errs, out, tc.msg)
		}
	}
	code, _, errs := memkit(t, "bench", "-h")
	if code != 0 || !strings.Contains(errs, "workloads:") || !strings.Contains(errs, "offset-goodfit") {
		t.Fatalf("-h: exit %d, stderr %q", code, errs)
	}
}
