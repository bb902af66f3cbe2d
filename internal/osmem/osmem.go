// Package osmem maps and releases whole pages of memory from the operating
// system, outside the Go heap: mmap on unix, VirtualAlloc on windows, and a
// plain Go []byte fallback elsewhere (wasm, plan9) so that every package that
// uses it builds on every platform.
//
// Memory from Map is zeroed, never scanned by the garbage collector (except
// under the fallback, where it is an ordinary pointer-free Go slice the GC
// does not scan either), and must be given back with Unmap, exactly as it
// was returned. Decommit tells the OS that the contents of a page-aligned
// range are no longer needed: the pages read as zero afterwards and their
// physical memory may be reclaimed, while the address range stays mapped.
package osmem

import "fmt"

// PageSize is the granularity of Map, Unmap and Decommit on this platform.
var PageSize = pageSize()

// Fallback reports whether this platform uses the Go-heap fallback instead
// of real page mappings.
const Fallback = fallback

// RoundUp rounds n up to a multiple of PageSize, reporting false on
// overflow or a negative n.
func RoundUp(n int) (int, bool) {
	if n < 0 {
		return 0, false
	}
	r := (n + PageSize - 1) &^ (PageSize - 1)
	if r < n {
		return 0, false
	}
	return r, true
}

// Map returns n bytes of fresh zeroed memory, n rounded up to PageSize. The
// slice's len and cap are the rounded size.
func Map(n int) ([]byte, error) {
	size, ok := RoundUp(n)
	if !ok || size == 0 {
		return nil, fmt.Errorf("osmem: map %d bytes: invalid size", n)
	}
	b, err := mapPages(size)
	if err != nil {
		return nil, fmt.Errorf("osmem: map %d bytes: %w", size, err)
	}
	return b, nil
}

// Unmap releases memory returned by Map. b must be the whole slice Map
// returned (its cap is used as the length of the mapping).
func Unmap(b []byte) error {
	if cap(b) == 0 {
		return nil
	}
	if err := unmapPages(b[:cap(b)]); err != nil {
		return fmt.Errorf("osmem: unmap %d bytes: %w", cap(b), err)
	}
	return nil
}

// Remap resizes a mapping returned by Map or Remap to n bytes rounded up to
// PageSize, where the OS can do it without copying: it extends the mapping
// where it lies or moves its pages to a new address (Linux mremap). The
// bytes up to the smaller size are kept and pages added read as zero. On
// success b must no longer be used; the result replaces it, with len and
// cap the rounded size. On failure b is unchanged and still mapped; where
// the OS has no such call the error wraps errors.ErrUnsupported, and the
// caller maps, copies and unmaps instead.
func Remap(b []byte, n int) ([]byte, error) {
	size, ok := RoundUp(n)
	if !ok || size == 0 || cap(b) == 0 {
		return nil, fmt.Errorf("osmem: remap %d bytes to %d: invalid size", cap(b), n)
	}
	nb, err := remapPages(b[:cap(b)], size)
	if err != nil {
		return nil, fmt.Errorf("osmem: remap %d bytes to %d: %w", cap(b), size, err)
	}
	return nb, nil
}

// Decommit gives the physical pages behind b back to the OS, keeping the
// range mapped; they read as zero afterwards. b must start on a page
// boundary and its length must be a multiple of PageSize.
func Decommit(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if len(b)%PageSize != 0 {
		return fmt.Errorf("osmem: decommit %d bytes: not a multiple of the page size %d", len(b), PageSize)
	}
	if err := decommitPages(b); err != nil {
		return fmt.Errorf("osmem: decommit %d bytes: %w", len(b), err)
	}
	return nil
}
