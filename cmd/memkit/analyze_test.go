// Tests of "memkit analyze": output and exit status.

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cleanLog = "boot\r\n==MP init;0x1000;1024\r\n==MP alloc;16;0x1010;a.c:1\r\n==MP free;0x1010;a.c:2\r\n"

const leakyLog = `collected 2 items
tests/test_a.py::test_one
seproxyhal: printf: ==MP init;0x1000;1024
seproxyhal: printf: ==MP alloc;16;0x1010;a.c:1
seproxyhal: printf: ==MP bogus;1
tests/test_a.py::test_two
seproxyhal: printf: ==MP init;0x1000;1024
`

func writeLog(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb strings.Builder
	code = run(append([]string{"analyze"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAnalyzeClean(t *testing.T) {
	p := writeLog(t, "clean.log", cleanLog)
	code, out, errs := runCmd(p)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q; want 0, empty", code, errs)
	}
	for _, s := range []string{"segment 1, lines 2-4: heap 0x1000, 1024 bytes", "peak: 16 bytes (1.56% of heap) at line 3", "clean: 0 errors, 0 warnings"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if code, out, _ := runCmd("-q", p); code != 0 || out != "" {
		t.Fatalf("-q on a clean log: exit %d, output %q; want 0, nothing", code, out)
	}
}

func TestAnalyzeLeaky(t *testing.T) {
	p := writeLog(t, "leaky.log", leakyLog)
	code, out, errs := runCmd("-q", p)
	want := `line 5: warning: unknown-op: unknown operation "bogus" ignored [tests/test_a.py::test_one]
line 6: error: leak: 16 bytes at 0x1010 allocated at a.c:1 (line 4) still live when the next test began [tests/test_a.py::test_one]
`
	if code != 1 || out != want || errs != "" {
		t.Fatalf("-q: exit %d, stderr %q, output\n%s\nwant exit 1 and\n%s", code, errs, out, want)
	}
	code, out, _ = runCmd("-color", p)
	if code != 1 || !strings.Contains(out, "\x1b[1;31merror\x1b[0m") || !strings.Contains(out, "NOT CLEAN") {
		t.Fatalf("-color: exit %d, output\n%s\nwant exit 1, red errors and NOT CLEAN", code, out)
	}
	code, out, _ = runCmd("-json", p)
	var r struct {
		Clean    bool
		Errors   int
		Warnings int
		Tests    []struct{ Name string }
		Findings []struct{ Kind, Addr string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("-json output does not parse: %v\n%s", err, out)
	}
	if code != 1 || r.Clean || r.Errors != 1 || r.Warnings != 1 || len(r.Tests) != 2 || r.Findings[1].Kind != "leak" || r.Findings[1].Addr != "0x1010" {
		t.Fatalf("-json: exit %d, report %+v; want 1, one leak at 0x1010, one warning, two tests", code, r)
	}
}

func TestAnalyzeStdin(t *testing.T) {
	old := analyzeStdin
	defer func() { analyzeStdin = old }()
	for _, args := range [][]string{{"-q"}, {"-q", "-"}} {
		analyzeStdin = strings.NewReader(leakyLog)
		code, out, errs := runCmd(args...)
		if code != 1 || !strings.Contains(out, "error: leak") || errs != "" {
			t.Fatalf("%q: exit %d, stderr %q, output %q; want 1 and a leak", args, code, errs, out)
		}
	}
	analyzeStdin = strings.NewReader(cleanLog)
	if code, _, _ := runCmd(); code != 0 {
		t.Fatalf("clean stdin: exit %d, want 0", code)
	}
}

func TestAnalyzeUsageErrors(t *testing.T) {
	p := writeLog(t, "clean.log", cleanLog)
	noEvents := writeLog(t, "text.log", "hello\nworld\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"bad flag", []string{"-bogus", p}, 2, "flag provided but not defined: -bogus"},
		{"two files", []string{p, p}, 2, "want at most one FILE, got 2 arguments"},
		{"missing file", []string{filepath.Join(t.TempDir(), "nope.log")}, 2, "nope.log: no such file or directory"},
		{"directory", []string{t.TempDir()}, 2, "is a directory"},
		{"no profiling lines", []string{"-q", noEvents}, 2, "no profiling lines (==MP) found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCmd(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.stderr)
			}
		})
	}
	code, out, errs := runCmd("-h")
	if code != 0 || !strings.Contains(out, "usage: memkit analyze") || errs != "" {
		t.Fatalf("-h: exit %d, stdout %q, stderr %q; want 0 and usage on stdout", code, out, errs)
	}
}
