// The portable fallback: pointer-free Go slices, for platforms without page mapping.

//go:build !unix && !windows

package osmem

const fallback = true

func pageSize() int { return 4096 }

func mapPages(size int) ([]byte, error) { return make([]byte, size), nil }

// unmapPages drops nothing itself: the GC reclaims the slice once the caller
// lets go of it.
func unmapPages(b []byte) error { return nil }

func decommitPages(b []byte) error {
	clear(b)
	return nil
}
