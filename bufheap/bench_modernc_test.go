//go:build !wasm

// The modernc.org/memory baseline, on the platforms it builds for.

package bufheap

import "modernc.org/memory"

// modernc is the baseline from ANCHORS.md (measured there at 15/34/89 ns
// for live=1000/10000/100000): it calibrates figures taken on a loaded host.
type modernc struct{ a memory.Allocator }

func (m *modernc) Alloc(n int) ([]byte, error) { return m.a.Malloc(n) }
func (m *modernc) Free(b []byte) error         { return m.a.Free(b) }

func init() {
	newBaseline = func() (allocator, func()) {
		m := &modernc{}
		return m, func() { m.a.Close() }
	}
}
