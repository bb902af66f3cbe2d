// Tests of the shared sentinel errors.

package memkit_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/memkit/memkit"
)

func TestDoubleFreeIsInvalidFree(t *testing.T) {
	err := fmt.Errorf("free 0x10: %w", memkit.ErrDoubleFree)
	if !errors.Is(err, memkit.ErrDoubleFree) {
		t.Fatalf("errors.Is(%v, ErrDoubleFree) = false, want true", err)
	}
	if !errors.Is(err, memkit.ErrInvalidFree) {
		t.Fatalf("errors.Is(%v, ErrInvalidFree) = false, want true", err)
	}
	if errors.Is(memkit.ErrInvalidFree, memkit.ErrDoubleFree) {
		t.Fatalf("ErrInvalidFree must not match ErrDoubleFree")
	}
	if errors.Is(err, memkit.ErrCorrupt) {
		t.Fatalf("double free must not match ErrCorrupt")
	}
}

func TestSentinelsDistinct(t *testing.T) {
	all := []error{memkit.ErrInvalidSize, memkit.ErrOutOfMemory, memkit.ErrNoMetadata,
		memkit.ErrInvalidFree, memkit.ErrDoubleFree, memkit.ErrCorrupt,
		memkit.ErrInvalidConfig, memkit.ErrPinned, memkit.ErrClosed}
	for i, a := range all {
		for j, b := range all {
			if i == j || (a == memkit.ErrDoubleFree && b == memkit.ErrInvalidFree) {
				continue
			}
			if errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = true, want false", a, b)
			}
		}
	}
}
