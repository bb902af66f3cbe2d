// Tests of memkit replay, run in-process on small traces.

package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/memkit/memkit/internal/targets"
	"github.com/memkit/memkit/trace"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const smallRep = "4096\n3\n8\n1\na 0 100\na 1 200\nr 0 300\nf 1\na 2 50\nr 2 5000\nf 0\nf 2\n"

func TestReplayFiles(t *testing.T) {
	rep := writeTemp(t, "small.rep", strings.ReplaceAll(smallRep, "\n", "\r\n"))
	log := writeTemp(t, "app.log", "boot\nseproxyhal: printf: ==MP init;0x1000;4096\n==MP alloc;64;0x1010;a.c:1\n==MP free;0x1010;a.c:2\n==MP free;0x9999;a.c:3\n")
	code, out, errs := memkit(t, "replay", "-alloc", "bufheap,compact,malloc,go", rep, log)
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	for _, want := range []string{"small.rep  bufheap", "small.rep  compact", "app.log    go*"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAULT") {
		t.Fatalf("unexpected fault:\n%s", out)
	}
}

func TestReplayBuiltin(t *testing.T) {
	code, out, errs := memkit(t, "replay", "-alloc", "offset-goodfit", "-json")
	if code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errs)
	}
	for _, name := range []string{"binary.rep", "churn.rep", "coalescing.rep", "random.rep", "realloc.rep"} {
		if !strings.Contains(out, `"workload": "`+name+`"`) {
			t.Fatalf("built-in trace %s not replayed:\n%s", name, out)
		}
	}
}

func TestReplayBadInput(t *testing.T) {
	bad := writeTemp(t, "bad.rep", "0\n1\n2\n1\na 0 10\nf 7\n")
	code, out, errs := memkit(t, "replay", "-alloc", "go", bad)
	if code != 2 || !strings.Contains(errs, "bad.rep:6:") || out != "" {
		t.Fatalf("exit %d, stderr %q; want 2 and the line number", code, errs)
	}
	code, _, errs = memkit(t, "replay", "-alloc", "go", filepath.Join(t.TempDir(), "missing.rep"))
	if code != 2 || !strings.Contains(errs, "missing.rep") {
		t.Fatalf("missing file: exit %d, stderr %q", code, errs)
	}
	code, _, errs = memkit(t, "replay", "-alloc", "nosuch")
	if code != 2 || !strings.Contains(errs, "unknown allocator") {
		t.Fatalf("unknown allocator: exit %d, stderr %q", code, errs)
	}
}

// brokenTarget hands every block the same memory: the replay must catch
// the overlap and exit 1.
type brokenTarget struct {
	buf  []byte
	next trace.Block
}

func (b *brokenTarget) Alloc(size uint64) (trace.Block, error) {
	if size > uint64(len(b.buf)) {
		return 0, errors.New("too big")
	}
	b.next++
	return b.next, nil
}
func (b *brokenTarget) Free(trace.Block) error   { return nil }
func (b *brokenTarget) Bytes(trace.Block) []byte { return b.buf }
func (b *brokenTarget) Span(trace.Block) trace.Span {
	return trace.Span{Off: 0, Len: uint64(len(b.buf))}
}
func (b *brokenTarget) Space() uint64 { return uint64(len(b.buf)) }

var registerBroken sync.Once

func TestReplayExitsOneOnFault(t *testing.T) {
	registerBroken.Do(func() {
		targets.Register(targets.Spec{Name: "test-broken", About: "hands out one block to everyone",
			New: func(targets.Plan) (trace.Target, error) { return &brokenTarget{buf: make([]byte, 1<<16)}, nil }})
	})
	rep := writeTemp(t, "small.rep", smallRep)
	code, out, errs := memkit(t, "replay", "-alloc", "test-broken,go", rep)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(out, "FAULT test-broken on small.rep: op 1: overlap") || !strings.Contains(errs, "verification failed") {
		t.Fatalf("fault not reported:\n%s\nstderr: %s", out, errs)
	}
	if strings.Contains(out, "FAULT go") {
		t.Fatalf("the go baseline faulted:\n%s", out)
	}
}

func TestReplaySkipsWhatCannotBeSetUp(t *testing.T) {
	// A 1 PiB request: the buffer allocators cannot be given a buffer for
	// it, so they are skipped (not a failed check); the others refuse the
	// allocation and count it.
	rep := writeTemp(t, "huge.rep", "0\n2\n4\n1\na 0 1125899906842624\na 1 10\nf 0\nf 1\n")
	code, out, errs := memkit(t, "replay", "-alloc", "bufheap,go", rep)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr %s\n%s", code, errs, out)
	}
	if !strings.Contains(out, "skipped bufheap on huge.rep: ") || !regexp.MustCompile(`huge.rep\s+go\*\s+3\s.*\s1\n`).MatchString(out) {
		t.Fatalf("want bufheap skipped and go with 1 failed allocation:\n%s", out)
	}
}
