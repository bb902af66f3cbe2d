// Tests of the test kit: a correct toy allocator passes, each planted flaw is caught.

package alloctest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/memkit/memkit"
)

// toy is a trivially correct first-fit allocator over a byte slice, with
// blocks kept in a sorted slice. Its flaws are switched on one at a time to
// prove the runner catches each.
type toy struct {
	mem    []byte
	blocks []toyBlock // sorted by off
	flaw   string
	nops   int
}

type toyBlock struct{ off, size uint64 }

const toyAlign = 16

func (a *toy) find(off uint64) int {
	i, ok := slices.BinarySearchFunc(a.blocks, off, func(b toyBlock, o uint64) int { return int(int64(b.off) - int64(o)) })
	if !ok {
		return -1
	}
	return i
}

func (a *toy) Alloc(size uint64) (Ref, error) {
	a.nops++
	if size == 0 || size > uint64(len(a.mem)) {
		return 0, memkit.ErrInvalidSize
	}
	rs := (size + toyAlign - 1) &^ (toyAlign - 1)
	var at uint64
	for i, b := range a.blocks {
		if b.off-at >= rs || (a.flaw == "overlap" && a.nops%7 == 0) {
			a.blocks = slices.Insert(a.blocks, i, toyBlock{at, rs})
			return Ref(at), nil
		}
		at = b.off + b.size
	}
	if uint64(len(a.mem))-at < rs {
		return 0, memkit.ErrOutOfMemory
	}
	a.blocks = append(a.blocks, toyBlock{at, rs})
	return Ref(at), nil
}

func (a *toy) Free(r Ref) error {
	i := a.find(uint64(r))
	if i < 0 {
		if a.flaw == "accept-double-free" {
			return nil
		}
		return fmt.Errorf("toy: free %#x: %w", r, memkit.ErrInvalidFree)
	}
	if a.flaw == "scribble" {
		a.mem[a.blocks[i].off+a.blocks[i].size-1] ^= 0xff // past this block's own pattern only if the next block starts here
		if i+1 < len(a.blocks) {
			a.mem[a.blocks[i+1].off] ^= 0xff
		}
	}
	a.blocks = slices.Delete(a.blocks, i, i+1)
	return nil
}

func (a *toy) FreeInterior(r Ref, delta uint64) error { return a.Free(r + Ref(delta)) }

func (a *toy) Realloc(r Ref, size uint64) (Ref, error) {
	i := a.find(uint64(r))
	if i < 0 {
		return 0, memkit.ErrInvalidFree
	}
	old := a.blocks[i]
	n, err := a.Alloc(size)
	if err != nil {
		return 0, err
	}
	copy(a.mem[n:uint64(n)+min(size, old.size)], a.mem[old.off:old.off+old.size])
	return n, a.Free(r)
}

func (a *toy) Span(r Ref) Span {
	b := a.blocks[a.find(uint64(r))]
	return Span{Off: b.off, Len: b.size, Data: a.mem[b.off : b.off+b.size]}
}

func (a *toy) Check() error { return nil }

func (a *toy) Live() (int, uint64) {
	var s uint64
	for _, b := range a.blocks {
		s += b.size
	}
	if a.flaw == "stats" && len(a.blocks) > 3 {
		return len(a.blocks) + 1, s
	}
	return len(a.blocks), s
}

func (a *toy) Reset() { a.blocks = a.blocks[:0] }

func TestRunAcceptsCorrectAllocator(t *testing.T) {
	mix := DefaultMix
	mix.Reset = 1
	Run(t, func(t *testing.T) Target { return &toy{mem: make([]byte, 1<<16)} },
		Config{Space: 1 << 16, Align: toyAlign, Mix: mix, Ops: 1500, Seeds: 6})
}

// recorder is a testing.TB that turns Fatalf into a recoverable panic, so a
// test can assert that Exec fails.
type recorder struct {
	testing.TB
	msg string
}

type fatal struct{}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(fatal{})
}

func execCatching(t *testing.T, target Target, ops []Op, cfg Config) (msg string) {
	rec := &recorder{TB: t}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(fatal); !ok {
				panic(v)
			}
			msg = rec.msg
		}
	}()
	Exec(rec, target, ops, cfg)
	return ""
}

func TestRunCatchesFlaws(t *testing.T) {
	for _, tc := range []struct{ flaw, want string }{
		{"overlap", "overlap"},
		{"scribble", "disturbed"},
		{"accept-double-free", "second free"},
		{"stats", "statistics"},
	} {
		t.Run("flaw="+tc.flaw, func(t *testing.T) {
			ops := Generate(3, 3000, DefaultMix)
			msg := execCatching(t, &toy{mem: make([]byte, 1<<16), flaw: tc.flaw}, ops, Config{Space: 1 << 16, Align: toyAlign})
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("flaw %q: runner said %q, want a message containing %q", tc.flaw, msg, tc.want)
			}
		})
	}
}

func TestDecodeIsTotalAndDeterministic(t *testing.T) {
	data := []byte("any bytes at all decode to a stream of valid ops \x00\xff\x10")
	a, b := Decode(data, DefaultMix, 100), Decode(data, DefaultMix, 100)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("Decode: %d ops, equal=%v; want a non-empty deterministic stream", len(a), slices.Equal(a, b))
	}
	for _, op := range a {
		if op.Kind >= numKinds {
			t.Fatalf("op %v: kind out of range", op)
		}
		if (op.Kind == OpAlloc || op.Kind == OpRealloc) && (op.Size < 1 || op.Size > DefaultMix.MaxSize) {
			t.Fatalf("op %v: size outside [1, %d]", op, DefaultMix.MaxSize)
		}
	}
	if got := Decode(nil, DefaultMix, 10); len(got) != 0 {
		t.Fatalf("Decode(nil): %d ops, want 0", len(got))
	}
}

func TestGenerateSizesSpanRange(t *testing.T) {
	mix := Mix{Alloc: 1, MinSize: 16, MaxSize: 1 << 20, MaxAlign: 256}
	ops := Generate(9, 5000, mix)
	var small, large, aligned int
	for _, op := range ops {
		if op.Size < 16 || op.Size > 1<<20 {
			t.Fatalf("size %d outside [16, 1M]", op.Size)
		}
		if op.Size < 256 {
			small++
		}
		if op.Size > 64<<10 {
			large++
		}
		if op.Align > 0 {
			aligned++
			if op.Align&(op.Align-1) != 0 || op.Align > 256 {
				t.Fatalf("align %d: not a power of two ≤ 256", op.Align)
			}
		}
	}
	if small < 500 || large < 500 || aligned < 500 {
		t.Fatalf("got %d small, %d large, %d aligned of 5000: want each ≥ 500", small, large, aligned)
	}
}

func TestCheckSpans(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spans []Span
		want  string
	}{
		{"ok", []Span{{Off: 32, Len: 16}, {Off: 0, Len: 32}}, ""},
		{"overlap", []Span{{Off: 0, Len: 33}, {Off: 32, Len: 16}}, "overlap"},
		{"past-end", []Span{{Off: 96, Len: 48}}, "past"},
		{"misaligned", []Span{{Off: 8, Len: 8}}, "aligned"},
		{"empty", []Span{{Off: 0, Len: 0}}, "length 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSpans(tc.spans, 128, 16)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPattern(t *testing.T) {
	b := make([]byte, 100)
	Fill(b, 7)
	if err := Verify(b, 7); err != nil {
		t.Fatal(err)
	}
	if err := Verify(b, 8); err == nil {
		t.Fatal("Verify with another seed passed")
	}
	b[50] ^= 1
	if err := Verify(b, 7); err == nil || !strings.Contains(err.Error(), "byte 50") {
		t.Fatalf("got %v, want a mismatch at byte 50", err)
	}
	if err := Verify(make([]byte, 10), 7); err == nil {
		t.Fatal("zeroed memory passed")
	}
}
