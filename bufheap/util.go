// Utilities: the safe forms of the common patterns (zeroed into a variable, string copy, persistent, free-and-nil).

package bufheap

import (
	"fmt"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/profile"
)

// Strdup returns a new block holding a copy of s followed by a NUL byte
// (for code that passes it on as a C string): len is len(s), cap at least
// len(s)+1. An empty s gives an empty, non-nil block that must be freed.
// Profiling logs it as an alloc of len(s)+1 bytes.
func (h *Heap) Strdup(s string) ([]byte, error) {
	var at profile.Site
	if h.log != nil {
		at = profile.Caller(1)
	}
	return h.strdupAt(s, at)
}

func (h *Heap) strdupAt(s string, at profile.Site) ([]byte, error) {
	b, err := h.allocAt(len(s)+1, at)
	if err != nil {
		return nil, err
	}
	copy(b, s)
	b[len(s)] = 0
	return b[:len(s)], nil
}

// CallocInto frees *p if it is set, then sets *p to a new zeroed block of n
// bytes. n == 0 does nothing (and *p keeps its block). Freeing first lets
// the new block reuse the old one's space; so if *p is not a live block
// nothing changes and the error is Free's, but if the allocation then
// fails, the old block is gone and *p is nil.
func (h *Heap) CallocInto(p *[]byte, n int) error {
	var at profile.Site
	if h.log != nil {
		at = profile.Caller(1)
	}
	return h.callocInto(p, n, at, false)
}

// Persistent is like CallocInto except that the new block is marked
// persistent: the mark is kept in its header (so it survives Open), Walk
// reports it, profiling logs "persist" instead of "alloc", and the leak
// checks never count it. A persistent block can still be freed.
func (h *Heap) Persistent(p *[]byte, n int) error {
	var at profile.Site
	if h.log != nil {
		at = profile.Caller(1)
	}
	return h.callocInto(p, n, at, true)
}

func (h *Heap) callocInto(p *[]byte, n int, at profile.Site, persist bool) error {
	if p == nil {
		return fmt.Errorf("bufheap: calloc into a nil pointer: %w", memkit.ErrInvalidFree)
	}
	if n == 0 {
		return nil
	}
	if n < 0 || uint64(n) > uint64(len(h.buf)) {
		return fmt.Errorf("bufheap: calloc into %d: %w", n, memkit.ErrInvalidSize)
	}
	if *p != nil {
		if err := h.freeAt(*p, at); err != nil {
			return err
		}
		*p = nil
	}
	b, err := h.callocAt(n, at, persist)
	if err != nil {
		return err
	}
	*p = b
	return nil
}

// FreeAndNil frees *p if it is set and then sets *p to nil. On error *p is
// left as it was.
func (h *Heap) FreeAndNil(p *[]byte) error {
	var at profile.Site
	if h.log != nil {
		at = profile.Caller(1)
	}
	return h.freeAndNil(p, at)
}

func (h *Heap) freeAndNil(p *[]byte, at profile.Site) error {
	if p == nil || *p == nil {
		return nil
	}
	if err := h.freeAt(*p, at); err != nil {
		return err
	}
	*p = nil
	return nil
}
