// Large blocks: one mapping each, unmapped on Free.

package malloc

import (
	"fmt"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/osmem"
)

// largeBlock is one live large block; mem is its whole mapping.
type largeBlock struct {
	mem []byte
}

// mallocLarge maps a block of its own for n bytes.
func (h *Heap) mallocLarge(n int) ([]byte, bool, error) {
	mem, err := osmem.Map(max(n, 1))
	if err != nil {
		return nil, false, fmt.Errorf("malloc: malloc(%d): %w: %w", n, memkit.ErrOutOfMemory, err)
	}
	h.largeMu.Lock()
	h.large[addrOf(mem)] = &largeBlock{mem: mem}
	st := &h.lstats
	st.allocs++
	st.bytesAllocated += uint64(len(mem))
	h.largeMu.Unlock()
	h.mapped.Add(int64(len(mem)))
	return mem[:n], true, nil
}

// freeLarge frees the large block at addr.
func (h *Heap) freeLarge(addr uintptr, op string) error {
	h.largeMu.Lock()
	l := h.large[addr]
	if l == nil || addr == 0 {
		h.largeMu.Unlock()
		return fmt.Errorf("malloc: %s %#x: not the start of a live block of this heap: %w", op, addr, memkit.ErrInvalidFree)
	}
	delete(h.large, addr)
	st := &h.lstats
	st.frees++
	st.bytesFreed += uint64(len(l.mem))
	h.largeMu.Unlock()
	h.mapped.Add(-int64(len(l.mem)))
	return osmem.Unmap(l.mem)
}

// resizeLarge is resizeInPlace for a large block: in place when n fits its
// mapping; otherwise, where the OS can (osmem.Remap: Linux mremap), the
// mapping grows where it lies or its pages move to a larger one, so a
// growing large block is never copied and its pages never fault in again.
// A remap is counted like the malloc, copy and free it replaces. When the
// OS cannot remap, it returns nil and the caller moves the block.
func (h *Heap) resizeLarge(addr uintptr, n int) ([]byte, int, error) {
	h.largeMu.Lock()
	defer h.largeMu.Unlock()
	l := h.large[addr]
	if l == nil || addr == 0 {
		return nil, 0, fmt.Errorf("malloc: realloc %#x: not the start of a live block of this heap: %w", addr, memkit.ErrInvalidFree)
	}
	if n <= len(l.mem) {
		return l.mem[:n], len(l.mem), nil
	}
	old := len(l.mem)
	mem, err := osmem.Remap(l.mem, n)
	if err != nil {
		return nil, old, nil
	}
	delete(h.large, addr)
	l.mem = mem
	h.large[addrOf(mem)] = l
	st := &h.lstats
	st.allocs++
	st.frees++
	st.bytesAllocated += uint64(len(mem))
	st.bytesFreed += uint64(old)
	h.mapped.Add(int64(len(mem) - old))
	return mem[:n], len(mem), nil
}
