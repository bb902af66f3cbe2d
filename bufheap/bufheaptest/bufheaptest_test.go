// Tests of the leak helper against a recording testing.TB.

package bufheaptest

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/memkit/memkit/bufheap"
)

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestNoLeaksNamesSites(t *testing.T) {
	h, err := bufheap.New(make([]byte, 4096), bufheap.Config{Profile: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	var keep []byte
	if err := h.Persistent(&keep, 10); err != nil {
		t.Fatal(err)
	}
	a, _ := h.Alloc(10)
	_, _, line, _ := runtime.Caller(0)
	leaked, _ := h.Alloc(30) // the leak
	h.Free(a)
	r := &recorder{TB: t}
	if n := NoLeaks(r, h); n != 1 || len(r.errs) != 1 {
		t.Fatalf("NoLeaks: %d leaks, messages %q; want 1", n, r.errs)
	}
	site := fmt.Sprintf("bufheaptest_test.go:%d", line+1)
	if !strings.Contains(r.errs[0], site) {
		t.Fatalf("message %q does not name the allocation site %s", r.errs[0], site)
	}
	h.Free(leaked)
	r = &recorder{TB: t}
	if n := NoLeaks(r, h); n != 0 || len(r.errs) != 0 {
		t.Fatalf("clean heap: %d leaks, %q", n, r.errs)
	}
}

func TestNoLeaksWithoutProfiling(t *testing.T) {
	h, err := bufheap.New(make([]byte, 4096), bufheap.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h.Alloc(10)
	r := &recorder{TB: t}
	if n := NoLeaks(r, h); n != 1 || !strings.Contains(r.errs[0], "unknown site") {
		t.Fatalf("NoLeaks: %d, %q", n, r.errs)
	}
}

func TestCleanup(t *testing.T) {
	h, err := bufheap.New(make([]byte, 4096), bufheap.Config{Profile: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("inner", func(t *testing.T) {
		Cleanup(t, h)
		b, _ := h.Alloc(10)
		h.Free(b)
	})
	if err := h.Check(); err != nil {
		t.Fatal(err)
	}
}
