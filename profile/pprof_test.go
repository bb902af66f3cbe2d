// Tests of the pprof export, read back with the pprof parser.

package profile

import (
	"bytes"
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	pprof "github.com/google/pprof/profile"

	"github.com/memkit/memkit"
)

func TestWritePprofSites(t *testing.T) {
	a := Site{"app/a.c", 10}
	b := Site{"app/b.c", 20}
	blocks := []Block{
		{Addr: 0x10, Size: 16, Site: a},
		{Addr: 0x20, Size: 100, Site: b},
		{Addr: 0x90, Size: 32, Site: a},
	}
	var buf bytes.Buffer
	if err := WritePprof(&buf, blocks); err != nil {
		t.Fatal(err)
	}
	p, err := pprof.Parse(&buf)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(p.SampleType) != 2 || p.SampleType[0].Type != "inuse_objects" || p.SampleType[0].Unit != "count" ||
		p.SampleType[1].Type != "inuse_space" || p.SampleType[1].Unit != "bytes" {
		t.Fatalf("sample types: got %v, want inuse_objects/count inuse_space/bytes", p.SampleType)
	}
	if len(p.Sample) != 2 {
		t.Fatalf("samples: got %d, want 2", len(p.Sample))
	}
	want := []struct {
		site          Site
		objects, size int64
	}{{a, 2, 48}, {b, 1, 100}}
	for i, w := range want {
		s := p.Sample[i]
		if s.Value[0] != w.objects || s.Value[1] != w.size {
			t.Errorf("sample %d values: got %v, want [%d %d]", i, s.Value, w.objects, w.size)
		}
		if len(s.Location) != 1 || len(s.Location[0].Line) != 1 {
			t.Fatalf("sample %d: got %d locations, want 1 with 1 line", i, len(s.Location))
		}
		ln := s.Location[0].Line[0]
		if ln.Function.Filename != w.site.File || ln.Line != int64(w.site.Line) || ln.Function.Name != w.site.String() {
			t.Errorf("sample %d line: got %s %s:%d, want %s %s", i, ln.Function.Name, ln.Function.Filename, ln.Line, w.site, w.site)
		}
	}
}

//go:noinline
func stackHere() []uintptr {
	pcs := make([]uintptr, 32)
	return pcs[:runtime.Callers(1, pcs)]
}

func TestWritePprofStacks(t *testing.T) {
	st := stackHere()
	blocks := []Block{{Addr: 1, Size: 7, Stack: st}, {Addr: 2, Size: 5, Stack: st}, {Addr: 3, Size: 1, Site: Site{"x.c", 1}}}
	var buf bytes.Buffer
	if err := WritePprof(&buf, blocks); err != nil {
		t.Fatal(err)
	}
	p, err := pprof.Parse(&buf)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(p.Sample) != 2 {
		t.Fatalf("samples: got %d, want 2", len(p.Sample))
	}
	s := p.Sample[0]
	if s.Value[0] != 2 || s.Value[1] != 12 {
		t.Fatalf("values: got %v, want [2 12]", s.Value)
	}
	if len(s.Location) != len(st) {
		t.Fatalf("locations: got %d, want %d", len(s.Location), len(st))
	}
	top := s.Location[0]
	if top.Address != uint64(st[0]) || len(top.Line) == 0 {
		t.Fatalf("top location: got address 0x%x with %d lines, want 0x%x", top.Address, len(top.Line), st[0])
	}
	fn := top.Line[0].Function
	if filepath.Base(fn.Filename) != "pprof_test.go" || fn.Name != "github.com/memkit/memkit/profile.stackHere" {
		t.Fatalf("top function: got %s in %s, want profile.stackHere in pprof_test.go", fn.Name, fn.Filename)
	}
	second := s.Location[1].Line[0].Function.Name
	if second != "github.com/memkit/memkit/profile.TestWritePprofStacks" {
		t.Fatalf("caller: got %s, want TestWritePprofStacks", second)
	}
}

func TestWritePprofEmptyAndInvalid(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePprof(&buf, nil); err != nil {
		t.Fatal(err)
	}
	p, err := pprof.Parse(&buf)
	if err != nil || len(p.Sample) != 0 {
		t.Fatalf("empty profile: got %v samples, err %v; want 0, nil", p, err)
	}
	buf.Reset()
	err = WritePprof(&buf, []Block{{Addr: 0x40, Size: -1}})
	if !errors.Is(err, memkit.ErrInvalidSize) {
		t.Fatalf("negative size: got %v, want ErrInvalidSize", err)
	}
	if buf.Len() != 0 {
		t.Fatalf("negative size: wrote %d bytes, want 0", buf.Len())
	}
}
