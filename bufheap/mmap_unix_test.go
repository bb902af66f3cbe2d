//go:build unix

// Persistence: a heap in a memory-mapped file survives unmapping and mapping again.

package bufheap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/memkit/memkit"
)

func mapFile(t *testing.T, path string) ([]byte, func()) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	return m, func() {
		if err := unix.Munmap(m); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMappedFilePersists(t *testing.T) {
	const size = 1 << 20
	const nodes = 500
	path := filepath.Join(t.TempDir(), "heap.img")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}

	// Session 1: format, build a list of nodes linked by Offsets.
	m, unmap := mapFile(t, path)
	h, err := New(m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	var root []byte
	if err := h.Persistent(&root, 8); err != nil {
		t.Fatal(err)
	}
	rootOff, _ := h.Offset(root)
	next := 0
	for i := 0; i < nodes; i++ {
		payload := fmt.Sprintf("node %d", i)
		node, err := h.Alloc(9 + len(payload) + i%200)
		if err != nil {
			t.Fatal(err)
		}
		binary.LittleEndian.PutUint64(node, uint64(next))
		node[8] = byte(len(payload))
		copy(node[9:], payload)
		next, _ = h.Offset(node)
		if i%7 == 0 { // some garbage freed in between
			g, _ := h.Alloc(50)
			h.Free(g)
		}
	}
	binary.LittleEndian.PutUint64(root, uint64(next))
	want := h.Stats()
	unmap()

	// Session 2: map again, Open, follow the links.
	m, unmap = mapFile(t, path)
	h, err = Open(m, Config{})
	if err != nil {
		t.Fatalf("Open mapped file: %v", err)
	}
	if got := h.Stats(); got != want {
		t.Fatalf("stats after reopening: %+v, want %+v", got, want)
	}
	rb, err := h.At(rootOff)
	if err != nil {
		t.Fatal(err)
	}
	off, n := int(binary.LittleEndian.Uint64(rb)), nodes-1
	for ; off != 0; n-- {
		node, err := h.At(off)
		if err != nil {
			t.Fatalf("node %d at %#x: %v", n, off, err)
		}
		if got, want := string(node[9:9+int(node[8])]), fmt.Sprintf("node %d", n); got != want {
			t.Fatalf("node at %#x holds %q, want %q", off, got, want)
		}
		off = int(binary.LittleEndian.Uint64(node))
	}
	if n != -1 {
		t.Fatalf("list ended with %d nodes missing", n+1)
	}
	// Still a working heap.
	if b, err := h.Alloc(1000); err != nil {
		t.Fatal(err)
	} else {
		h.Free(b)
	}
	mustCheck(t, h)
	unmap()

	// A truncated file and a damaged one are refused.
	if err := os.Truncate(path, size-4096); err != nil {
		t.Fatal(err)
	}
	m, unmap = mapFile(t, path)
	if _, err := Open(m, Config{}); !errors.Is(err, memkit.ErrCorrupt) {
		t.Fatalf("Open truncated file: got %v, want ErrCorrupt", err)
	}
	unmap()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
	m, unmap = mapFile(t, path)
	defer unmap()
	if _, err := Open(m, Config{}); !errors.Is(err, memkit.ErrCorrupt) {
		t.Fatalf("Open after the end sentinel was lost: got %v, want ErrCorrupt", err)
	}
}
