// Package bufheaptest fails Go tests that end with leaked bufheap blocks.
//
// It is the go test form of the leak rule of "memkit analyze": a block
// still live when a test ends is a leak unless it was allocated with
// Heap.Persistent. Each leak is named with its size, offset and allocation
// site; sites are known when the heap was created with Config.Profile set
// (io.Discard is enough), otherwise the report says so.
package bufheaptest

import (
	"testing"

	"github.com/memkit/memkit/bufheap"
)

// NoLeaks reports, through t.Errorf, every non-persistent live block of h
// (one line each, with its allocation site) and any Check failure. It
// returns the number of leaked blocks.
func NoLeaks(t testing.TB, h *bufheap.Heap) int {
	t.Helper()
	if err := h.Check(); err != nil {
		t.Errorf("bufheap: heap fails its check: %v", err)
		return 0
	}
	live, err := h.LiveBlocks()
	if err != nil {
		t.Errorf("bufheap: %v", err)
		return 0
	}
	leaks := 0
	for _, b := range live {
		if b.Persistent {
			continue
		}
		leaks++
		site := b.Site.String()
		if !h.Profiling() {
			site = "unknown site (create the heap with Config.Profile set to record sites)"
		}
		t.Errorf("bufheap: leak: %d-byte block at offset %#x allocated at %s", b.Size, b.Offset, site)
	}
	return leaks
}

// Cleanup registers NoLeaks(t, h) to run when t and its subtests finish.
func Cleanup(t testing.TB, h *bufheap.Heap) {
	t.Helper()
	t.Cleanup(func() { NoLeaks(t, h) })
}
