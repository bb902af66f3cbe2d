// CS:APP malloc-lab traces: a small .rep reader, generated trace-like
// workloads, and utilization on them.

package malloc

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// repOp is one trace line: kind 'a', 'f' or 'r', a block id and a size.
type repOp struct {
	kind byte
	id   int
	size int
}

// readRep parses a .rep trace: four header integers, then "a ID SIZE",
// "f ID", "r ID SIZE" lines (CRLF accepted).
func readRep(r io.Reader) ([]repOp, int, error) {
	sc := bufio.NewScanner(r)
	var header []int
	var ops []repOp
	ids := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(header) < 4 {
			for _, w := range f {
				v, err := strconv.Atoi(w)
				if err != nil {
					return nil, 0, fmt.Errorf("header %q: %v", w, err)
				}
				header = append(header, v)
			}
			continue
		}
		op := repOp{kind: f[0][0]}
		if len(f) < 2 || (op.kind != 'f' && len(f) < 3) || strings.IndexByte("afr", op.kind) < 0 {
			return nil, 0, fmt.Errorf("bad line %q", sc.Text())
		}
		var err error
		if op.id, err = strconv.Atoi(f[1]); err != nil || op.id < 0 {
			return nil, 0, fmt.Errorf("bad id in %q", sc.Text())
		}
		if op.kind != 'f' {
			if op.size, err = strconv.Atoi(f[2]); err != nil || op.size < 0 {
				return nil, 0, fmt.Errorf("bad size in %q", sc.Text())
			}
		}
		ids = max(ids, op.id+1)
		ops = append(ops, op)
	}
	return ops, ids, sc.Err()
}

// genTrace builds a trace-like workload in code: phases of allocations
// with a size mix, frees in random order, and realloc chains, like the
// malloc-lab's random, binary and realloc traces.
func genTrace(kind string, seed uint64) ([]repOp, int) {
	r := rand.New(rand.NewPCG(seed, 5))
	var ops []repOp
	id := 0
	switch kind {
	case "random": // random sizes, frees interleaved at random
		var live []int
		for range 6000 {
			if len(live) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(live))
				ops = append(ops, repOp{'f', live[i], 0})
				live[i] = live[len(live)-1]
				live = live[:len(live)-1]
				continue
			}
			ops = append(ops, repOp{'a', id, 1 + r.IntN(32000)})
			live = append(live, id)
			id++
		}
	case "binary": // alternating small and large, the small ones freed
		for i := range 2000 {
			ops = append(ops, repOp{'a', 2 * i, 64 + r.IntN(64)}, repOp{'a', 2*i + 1, 448 + r.IntN(64)})
		}
		for i := range 2000 {
			ops = append(ops, repOp{'f', 2*i + 1, 0})
		}
		for i := range 2000 {
			ops = append(ops, repOp{'a', 4000 + i, 512 + r.IntN(64)})
		}
		id = 6000
	case "realloc": // growing buffers with small blocks in between
		for i := range 200 {
			ops = append(ops, repOp{'a', 2 * i, 512}, repOp{'a', 2*i + 1, 128})
			for s := 1024; s <= 16384; s += 512 {
				ops = append(ops, repOp{'r', 2 * i, s})
			}
			ops = append(ops, repOp{'f', 2 * i, 0})
		}
		id = 400
	}
	return ops, id
}

// replayRep runs ops and returns 100 * peak live requested / peak mapped.
func replayRep(ops []repOp, ids int, alloc func(int) []byte, realloc func([]byte, int) []byte, free func([]byte), mapped func() int64) float64 {
	blocks := make([][]byte, ids)
	var live, peakLive, peakMapped int64
	for _, op := range ops {
		switch op.kind {
		case 'a':
			blocks[op.id] = alloc(op.size)
			live += int64(op.size)
		case 'r':
			live += int64(op.size - len(blocks[op.id]))
			blocks[op.id] = realloc(blocks[op.id], op.size)
		case 'f':
			live -= int64(len(blocks[op.id]))
			free(blocks[op.id])
			blocks[op.id] = nil
		}
		peakLive = max(peakLive, live)
		peakMapped = max(peakMapped, mapped())
	}
	for _, b := range blocks {
		if b != nil {
			free(b)
		}
	}
	return 100 * float64(peakLive) / float64(peakMapped)
}

// traceUtil returns the utilization of each allocator on a trace.
func traceUtil(t testing.TB, ops []repOp, ids int) (mallocU, compactU, moderncU float64) {
	for _, compact := range []bool{false, true} {
		h, err := New(Config{Compact: compact})
		if err != nil {
			t.Fatal(err)
		}
		u := replayRep(ops, ids,
			func(n int) []byte { b, err := h.Malloc(n); must(t, err); return b },
			func(b []byte, n int) []byte { nb, err := h.Realloc(b, n); must(t, err); return nb },
			func(b []byte) { must(t, h.Free(b)) },
			func() int64 { return h.mapped.Load() })
		must(t, h.Check())
		_ = h.Close()
		if compact {
			compactU = u
		} else {
			mallocU = u
		}
	}
	moderncU = moderncTraceUtil(t, ops, ids)
	return
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadRep(t *testing.T) {
	ops, ids, err := readRep(strings.NewReader("20000\r\n2\r\n3\r\n1\r\na 0 512\r\nr 0 1024\r\nf 0\r\na 1 8\r\n"))
	if err != nil || ids != 2 || len(ops) != 4 || ops[1] != (repOp{'r', 0, 1024}) {
		t.Fatalf("readRep: %v ids=%d ops=%v; want 2 ids, 4 ops", err, ids, ops)
	}
	if _, _, err := readRep(strings.NewReader("1 1 1 1\nx 1 2\n")); err == nil {
		t.Fatalf("readRep of a bad op: got nil error")
	}
}

// TestTraceUtilization logs utilization on generated trace-like workloads
// and, when MEMKIT_TRACES names a directory of .rep files, on those too.
// It fails if malloc (Compact) does worse than modernc.org/memory on the
// random and binary workloads. Realloc chains on a tiny heap are logged
// only: there the floor of one 256 KiB arena dominates (modernc's floor
// is one 64 KiB page).
func TestTraceUtilization(t *testing.T) {
	for _, kind := range []string{"random", "binary", "realloc"} {
		ops, ids := genTrace(kind, 1)
		m, c, mc := traceUtil(t, ops, ids)
		t.Logf("trace=gen-%s util-%%: malloc %.1f, malloc-compact %.1f, modernc %.1f", kind, m, c, mc)
		if kind != "realloc" && mc > 0 && c < mc {
			t.Errorf("trace=gen-%s: malloc-compact %.1f%% below modernc %.1f%%", kind, c, mc)
		}
	}
	dir := os.Getenv("MEMKIT_TRACES")
	if dir == "" {
		return
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.rep"))
	for _, f := range files {
		fh, err := os.Open(f)
		must(t, err)
		ops, ids, err := readRep(fh)
		fh.Close()
		must(t, err)
		m, c, mc := traceUtil(t, ops, ids)
		t.Logf("trace=%s util-%%: malloc %.1f, malloc-compact %.1f, modernc %.1f", filepath.Base(f), m, c, mc)
	}
}
