// Unsafe: the only place where slice data pointers are turned into numbers.
//
// Why this is safe: the code below only reads the addresses of slices'
// backing arrays and compares or subtracts them as integers; it never turns
// an integer back into a pointer, never dereferences anything and never
// stores an address in memory the garbage collector does not see. The heap
// keeps its buffer slice alive itself, so the base address it compares
// against stays valid for the heap's lifetime (Go's collector does not move
// heap objects, and a mapped file does not move while it is mapped).

package bufheap

import "unsafe"

// addrOf returns the address of b's first element (0 for a nil pointer).
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// isNil reports whether b has no backing array at all (a nil slice).
func isNil(b []byte) bool { return unsafe.SliceData(b) == nil }

// offsetIn returns where b's data pointer lies inside buf, or false when it
// lies outside [buf[0], buf[len(buf)-1]].
func offsetIn(buf, b []byte) (int, bool) {
	p, base := addrOf(b), addrOf(buf)
	if p < base || p-base >= uintptr(len(buf)) {
		return 0, false
	}
	return int(p - base), true
}
