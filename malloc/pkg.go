// The package-level C-style functions over one default concurrent heap.

package malloc

import "sync"

var defaultHeap = sync.OnceValue(func() *Heap {
	h, err := New(Config{Concurrent: true})
	if err != nil {
		panic(err) // the default configuration is valid
	}
	return h
})

// Malloc is Heap.Malloc on the package's default heap, which is made on
// first use with Config{Concurrent: true} and never closed.
func Malloc(n int) ([]byte, error) { return defaultHeap().Malloc(n) }

// Calloc is Heap.Calloc on the package's default heap.
func Calloc(count, size int) ([]byte, error) { return defaultHeap().Calloc(count, size) }

// Realloc is Heap.Realloc on the package's default heap.
func Realloc(b []byte, n int) ([]byte, error) { return defaultHeap().Realloc(b, n) }

// Free is Heap.Free on the package's default heap.
func Free(b []byte) error { return defaultHeap().Free(b) }
