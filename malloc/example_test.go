// Runnable examples of the common paths.

package malloc_test

import (
	"errors"
	"fmt"
	"math"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/malloc"
)

func Example() {
	h, err := malloc.New(malloc.Config{})
	if err != nil {
		panic(err)
	}
	defer h.Close()

	b, err := h.Malloc(100) // 100 bytes off the Go heap; never store Go pointers in them
	if err != nil {
		panic(err)
	}
	copy(b, "hello")
	fmt.Println(len(b), cap(b), string(b[:5]))

	b, err = h.Realloc(b, 1000) // grows; the contents move with it
	if err != nil {
		panic(err)
	}
	fmt.Println(len(b), string(b[:5]))

	other, _ := h.Malloc(1000)
	if err := h.Free(b); err != nil {
		panic(err)
	}
	err = h.Free(b) // a second free is refused and changes nothing
	fmt.Println(errors.Is(err, memkit.ErrDoubleFree), errors.Is(err, memkit.ErrInvalidFree))
	_ = h.Free(other)
	fmt.Println(h.Check(), h.Stats().Live)
	// Output:
	// 100 112 hello
	// 1000 hello
	// true true
	// <nil> 0
}

func ExampleHeap_Calloc() {
	h, _ := malloc.New(malloc.Config{})
	defer h.Close()
	a, err := h.Calloc(4, 8) // 4 zeroed elements of 8 bytes
	fmt.Println(len(a), a[0] == 0 && a[31] == 0, err)
	_, err = h.Calloc(math.MaxInt/2, 4) // the product overflows
	fmt.Println(errors.Is(err, memkit.ErrInvalidSize))
	_ = h.Free(a)
	// Output:
	// 32 true <nil>
	// true
}

func ExampleHeap_Trim() {
	h, _ := malloc.New(malloc.Config{})
	var blocks [][]byte
	for range 1000 {
		b, _ := h.Malloc(1000)
		blocks = append(blocks, b)
	}
	for _, b := range blocks {
		_ = h.Free(b)
	}
	fmt.Println(h.Stats().Mapped > 0)
	_ = h.Trim() // empty arenas go back to the OS
	fmt.Println(h.Stats().Mapped)
	_ = h.Close()
	_, err := h.Malloc(1)
	fmt.Println(errors.Is(err, memkit.ErrClosed))
	// Output:
	// true
	// 0
	// true
}

func ExampleConfig_debug() {
	h, _ := malloc.New(malloc.Config{Debug: true})
	defer h.Close()
	b, _ := h.Malloc(8)
	_ = h.Free(b)
	b[0] = 1 // a write through a stale slice
	err := h.Check()
	fmt.Println(errors.Is(err, memkit.ErrCorrupt))
	// Output:
	// true
}

func ExampleMalloc() {
	b, err := malloc.Malloc(64) // the package's default concurrent heap
	if err != nil {
		panic(err)
	}
	b[63] = 1
	fmt.Println(len(b), malloc.Free(b))
	// Output:
	// 64 <nil>
}
