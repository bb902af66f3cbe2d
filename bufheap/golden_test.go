// Golden images: the byte-exact format, produced and read identically on every architecture.

package bufheap

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden images in testdata")

// goldenHeap builds the same heap on any host: a linked list whose links
// are Offsets stored in the blocks, a persistent block, freed and
// reallocated blocks. It returns the image and the list head's offset.
func goldenHeap(t testing.TB, align int) ([]byte, int) {
	g := newGuarded(2048, 0)
	h, err := New(g.buf(), Config{Align: align})
	if err != nil {
		t.Fatal(err)
	}
	var root []byte
	if err := h.Persistent(&root, 8); err != nil {
		t.Fatal(err)
	}
	next := 0
	var junk [][]byte
	for i, word := range []string{"gamma", "beta", "alpha"} {
		node, err := h.Alloc(9 + len(word))
		if err != nil {
			t.Fatal(err)
		}
		binary.LittleEndian.PutUint64(node, uint64(next))
		node[8] = byte(len(word))
		copy(node[9:], word)
		if next, err = h.Offset(node); err != nil {
			t.Fatal(err)
		}
		j, _ := h.Alloc(40 * (i + 1))
		junk = append(junk, j)
	}
	binary.LittleEndian.PutUint64(root, uint64(next))
	h.Free(junk[0])
	h.Free(junk[2])
	s, _ := h.Strdup("golden")
	s, _ = h.Realloc(s, 100)
	_ = s
	mustCheck(t, h)
	return bytes.Clone(h.Bytes()), 0
}

// describe opens an image and lists what it holds: every chunk, and the
// list reached from the persistent root.
func describe(t testing.TB, img []byte) string {
	g := newGuarded(len(img), 0)
	copy(g.buf(), img)
	h, err := Open(g.buf(), Config{})
	if err != nil {
		t.Fatalf("Open golden image: %v", err)
	}
	var sb strings.Builder
	s := h.Stats()
	fmt.Fprintf(&sb, "align %d total %d free %d allocated %d chunks %d allocated-chunks %d largest %d peak %d\n",
		h.Align(), s.TotalSize, s.FreeSize, s.AllocatedSize, s.Chunks, s.AllocatedChunks, s.LargestFree, s.PeakAllocated)
	root := -1
	h.Walk(func(c Chunk) bool {
		fmt.Fprintf(&sb, "chunk %#x size %d allocated %v persistent %v\n", c.Offset, c.Size, c.Allocated, c.Persistent)
		if c.Persistent && root < 0 {
			root = c.Offset
		}
		return true
	})
	rb, err := h.At(root)
	if err != nil {
		t.Fatalf("At(root %#x): %v", root, err)
	}
	for off, n := int(binary.LittleEndian.Uint64(rb)), 0; off != 0 && n < 10; n++ {
		node, err := h.At(off)
		if err != nil {
			t.Fatalf("At(%#x): %v", off, err)
		}
		fmt.Fprintf(&sb, "node %#x %q\n", off, node[9:9+min(int(node[8]), len(node)-9)])
		off = int(binary.LittleEndian.Uint64(node))
	}
	mustCheck(t, h)
	return sb.String()
}

// TestGolden runs in -short mode too: CI runs it under GOARCH=s390x.
func TestGolden(t *testing.T) {
	for _, align := range []int{8, 16} {
		t.Run(fmt.Sprintf("align=%d", align), func(t *testing.T) {
			img, _ := goldenHeap(t, align)
			imgPath := filepath.Join("testdata", fmt.Sprintf("golden-align%d.img", align))
			txtPath := strings.TrimSuffix(imgPath, ".img") + ".txt"
			if *update {
				if err := os.WriteFile(imgPath, img, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(txtPath, []byte(describe(t, img)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(imgPath)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(img, want) {
				i := 0
				for i < len(img) && i < len(want) && img[i] == want[i] {
					i++
				}
				t.Fatalf("built image differs from %s at byte %#x (len %d, want %d)", imgPath, i, len(img), len(want))
			}
			wantTxt, err := os.ReadFile(txtPath)
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(t, want); got != string(wantTxt) {
				t.Fatalf("golden image reads as\n%s\nwant\n%s", got, wantTxt)
			}
			if !strings.Contains(string(wantTxt), `"alpha"`) {
				t.Fatalf("%s lacks the list", txtPath)
			}
		})
	}
}

// Open refuses damaged or resized images with ErrCorrupt and a buffer at
// the wrong address remainder with ErrInvalidConfig.
func TestOpenRefuses(t *testing.T) {
	img, _ := goldenHeap(t, 16)
	try := func(name string, b []byte, mod int, want error) {
		t.Helper()
		g := newGuarded(len(b), mod)
		copy(g.buf(), b)
		if _, err := Open(g.buf(), Config{}); !errorsIs(err, want) {
			t.Errorf("%s: got %v, want %v", name, err, want)
		}
	}
	try("truncated", img[:len(img)-16], 0, errCorrupt)
	try("extended", append(bytes.Clone(img), make([]byte, 16)...), 0, errCorrupt)
	try("misaligned", img, 8, errInvalidConfig)
	for _, pos := range []int{0, 9, 17, 40, 56, 64, 0x128, 0x148, 0x150, 0x288, 0x290, len(img) - 8} {
		d := bytes.Clone(img)
		d[pos] ^= 0x10
		try(fmt.Sprintf("byte %#x flipped", pos), d, 0, errCorrupt)
	}
	g := newGuarded(len(img), 0)
	copy(g.buf(), img)
	if _, err := Open(g.buf(), Config{Align: 8}); !errorsIs(err, errInvalidConfig) {
		t.Errorf("Align 8 for an Align 16 image: got %v", err)
	}
}
