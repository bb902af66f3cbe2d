// Runnable examples: reading a profiling log, writing one, exporting pprof.

package profile_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/memkit/memkit/profile"
)

// Analyze a device log captured during a pytest run: the first test leaks
// one block, the second frees a block twice.
func ExampleAnalyze() {
	log := `collected 2 items
tests/test_app.py::test_sign[nanosp]
seproxyhal: printf: ==MP init;0x20001000;8192
seproxyhal: printf: ==MP persist;32;0x20001010;src/main.c:12
seproxyhal: printf: ==MP alloc;24;0x20001040;src/sign.c:88
PASSED
tests/test_app.py::test_sign[stax]
seproxyhal: printf: ==MP init;0x20001000;8192
seproxyhal: printf: ==MP alloc;100;0x20001060;src/sign.c:90
seproxyhal: printf: ==MP free;0x20001060;src/sign.c:120
seproxyhal: printf: ==MP free;0x20001060;src/sign.c:121
FAILED
`
	r, err := profile.Analyze(strings.NewReader(log), profile.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("clean: %v, peak %d bytes (%v%% of the heap)\n", r.Clean, r.Peak.InUse, r.Peak.Percent)
	r.WriteText(os.Stdout, profile.TextOptions{Quiet: true})
	// Output:
	// clean: false, peak 100 bytes (1.22% of the heap)
	// line 7: error: leak: 24 bytes at 0x20001040 allocated at src/sign.c:88 (line 5) still live when the next test began [tests/test_app.py::test_sign[nanosp]]
	// line 11: error: double-free: double free of 0x20001060 at src/sign.c:121: already freed at src/sign.c:120 (line 10); allocated at src/sign.c:90 (line 9) [tests/test_app.py::test_sign[stax]]
}

// A Writer logs heap events in the same grammar, so Analyze reads what an
// allocator instrumented with it prints.
func ExampleWriter() {
	var log bytes.Buffer
	w := profile.NewWriter(&log)
	w.Init(0x1000, 4096)
	w.Alloc(64, 0x1010, profile.Site{File: "app.go", Line: 10})
	w.Free(0x1010, profile.Site{File: "app.go", Line: 12})
	if err := w.Err(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(log.String())
	r, _ := profile.Analyze(&log, profile.Options{})
	fmt.Println("clean:", r.Clean)
	// Output:
	// ==MP init;0x1000;4096
	// ==MP alloc;64;0x1010;app.go:10
	// ==MP free;0x1010;app.go:12
	// clean: true
}

// WritePprof turns live blocks into a profile for "go tool pprof".
func ExampleWritePprof() {
	blocks := []profile.Block{
		{Addr: 0x1010, Size: 64, Site: profile.Site{File: "app.go", Line: 10}},
		{Addr: 0x1050, Size: 32, Site: profile.Site{File: "app.go", Line: 10}},
	}
	var buf bytes.Buffer
	if err := profile.WritePprof(&buf, blocks); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("gzip magic:", buf.Bytes()[0] == 0x1f && buf.Bytes()[1] == 0x8b)
	// Output:
	// gzip magic: true
}
