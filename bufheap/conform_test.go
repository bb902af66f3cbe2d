// Conformance: the shared alloctest suite for both alignments and several buffer sizes.

package bufheap

import (
	"fmt"
	"testing"

	"github.com/memkit/memkit/internal/alloctest"
)

func TestConformance(t *testing.T) {
	for _, align := range []int{8, 16} {
		for _, size := range []int{256, 4 << 10, 64 << 10, 1 << 20} {
			t.Run(fmt.Sprintf("align=%d/size=%d", align, size), func(t *testing.T) {
				mix := alloctest.DefaultMix
				mix.Reset = 1
				if size <= 4<<10 {
					mix.MaxSize = uint64(size / 4)
				}
				alloctest.Run(t, func(t *testing.T) alloctest.Target {
					return newTarget(mustNew(t, size, Config{Align: align}))
				}, alloctest.Config{Space: uint64(size), Align: uint64(align), Mix: mix, Ops: 1500, Seeds: 8})
			})
		}
	}
}
