// Runnable examples: an application heap with the utilities, a saved image, profiling lines.

package bufheap_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/bufheap"
)

// An application gets one buffer and makes its heap there.
func Example() {
	h, err := bufheap.New(make([]byte, 4096), bufheap.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	name, _ := h.Strdup("sensor-7")

	var samples []byte // zeroed, and freed first if it was set
	if err := h.CallocInto(&samples, 64); err != nil {
		fmt.Println(err)
		return
	}
	var settings []byte // lives as long as the heap: never a leak
	if err := h.Persistent(&settings, 16); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d samples, %d bytes of settings\n", name, len(samples), len(settings))

	// Failure paths: too much, and a block freed twice.
	if _, err := h.Alloc(4000); errors.Is(err, memkit.ErrOutOfMemory) {
		fmt.Println("4000 bytes: out of memory")
	}
	stale := name
	if err := h.FreeAndNil(&name); err != nil {
		fmt.Println(err)
	}
	fmt.Println("free again:", errors.Is(h.Free(stale), memkit.ErrDoubleFree), "name is nil:", name == nil)

	// Cleanup.
	h.FreeAndNil(&samples)
	h.FreeAndNil(&settings)
	s := h.Stats()
	fmt.Println("live blocks:", s.AllocatedChunks, "check:", h.Check())
	// Output:
	// sensor-7: 64 samples, 16 bytes of settings
	// 4000 bytes: out of memory
	// free again: true name is nil: true
	// live blocks: 0 check: <nil>
}

// A heap keeps all its state in its buffer, with offsets only: a mapped
// file or a saved image opens again elsewhere with everything in place.
// Links between blocks are Offsets stored inside the blocks.
func Example_persistent() {
	h, _ := bufheap.New(make([]byte, 4096), bufheap.Config{})
	var root []byte
	h.Persistent(&root, 8) // the first block: the application's root
	rootOff, _ := h.Offset(root)
	next := 0
	for _, word := range []string{"three", "two", "one"} {
		node, _ := h.Alloc(9 + len(word)) // next offset, length, bytes
		binary.LittleEndian.PutUint64(node, uint64(next))
		node[8] = byte(len(word))
		copy(node[9:], word)
		next, _ = h.Offset(node)
	}
	binary.LittleEndian.PutUint64(root, uint64(next))

	// Save the image, as a file would keep it, and open it again.
	path := filepath.Join(os.TempDir(), "bufheap-example.img")
	defer os.Remove(path)
	if err := os.WriteFile(path, h.Bytes(), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	img, _ := os.ReadFile(path)
	again, err := bufheap.Open(img, bufheap.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := again.At(rootOff)
	for off := int(binary.LittleEndian.Uint64(r)); off != 0; {
		node, _ := again.At(off)
		fmt.Println(string(node[9 : 9+node[8]]))
		off = int(binary.LittleEndian.Uint64(node))
	}

	// A damaged image is refused.
	img[len(img)-8] ^= 1
	_, err = bufheap.Open(img, bufheap.Config{})
	fmt.Println("damaged:", errors.Is(err, memkit.ErrCorrupt))
	// Output:
	// one
	// two
	// three
	// damaged: true
}

// baseNames shortens the file names of profiling lines to their base, so
// that the output does not depend on where the source lives.
type baseNames struct{ w *os.File }

func (b baseNames) Write(p []byte) (int, error) {
	line := string(p)
	if i := strings.LastIndexByte(line, ';'); i >= 0 && strings.Contains(line[i:], "/") {
		line = line[:i+1] + filepath.Base(line[i+1:])
	}
	_, err := b.w.WriteString(line)
	return len(p), err
}

// With Config.Profile set, every operation writes one line with the
// caller's file:line, in the grammar "memkit analyze" reads. Addresses are
// offsets in the buffer, so logs are the same from run to run.
func Example_profile() {
	h, _ := bufheap.New(make([]byte, 1024), bufheap.Config{Profile: baseNames{os.Stdout}})
	a, _ := h.Alloc(10)
	a, _ = h.Realloc(a, 20) // in place: a free and an alloc
	var p []byte
	h.Persistent(&p, 8)
	h.Free(a)
	leak, _ := h.Strdup("leak")
	_ = leak
	// Output:
	// ==MP init;0x0;1024
	// ==MP alloc;10;0xf0;example_test.go:127
	// ==MP free;0xf0;example_test.go:128
	// ==MP alloc;20;0xf0;example_test.go:128
	// ==MP persist;8;0x110;example_test.go:130
	// ==MP free;0xf0;example_test.go:131
	// ==MP alloc;5;0xf0;example_test.go:132
}
