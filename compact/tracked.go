// Tracked slices: dalloc's model, where the heap rewrites the owner's variable when its block moves.

package compact

import (
	"fmt"

	"github.com/memkit/memkit"
)

// A tracked slice is a []byte variable whose address the heap keeps (in a
// Go map and in the block's table entry, never in the buffer): whenever the
// block moves or is resized the heap stores the block's new bytes into the
// variable, and when it is freed it stores nil. The heap never reads the
// variable's value to find the block, so a variable the user set to nil,
// re-sliced or copied cannot make it touch the wrong bytes; such a
// variable is simply overwritten at the next move.
//
// Copies of a tracked slice are not tracked: they go stale like any Bytes
// slice. The variable must stay reachable (it is, since the heap holds its
// address) and must not be written by another goroutine while the heap runs.

func (h *Heap) tracked(op string, p *[]byte) (Handle, error) {
	if p == nil {
		return 0, fmt.Errorf("compact: %s nil *[]byte: %w", op, memkit.ErrInvalidFree)
	}
	hd, ok := h.owners[p]
	if !ok {
		return 0, fmt.Errorf("compact: %s %p: not a tracked slice of this heap: %w", op, p, memkit.ErrInvalidFree)
	}
	return hd, nil
}

// AllocInto is Alloc, except that the block is handed out as *p, which the
// heap then tracks. p must not already track a block (that block would
// leak): that fails with ErrInvalidFree.
func (h *Heap) AllocInto(p *[]byte, n int) error {
	if p == nil {
		return fmt.Errorf("compact: alloc into nil *[]byte: %w", memkit.ErrInvalidFree)
	}
	if hd, ok := h.owners[p]; ok {
		return fmt.Errorf("compact: alloc into %p: it already tracks block %v: %w", p, hd, memkit.ErrInvalidFree)
	}
	hd, err := h.Alloc(n)
	if err != nil {
		return err
	}
	h.track(hd, p)
	return nil
}

func (h *Heap) track(hd Handle, p *[]byte) {
	if h.owners == nil {
		h.owners = make(map[*[]byte]Handle)
	}
	h.owners[p] = hd
	s := int32(hd.slot())
	h.tab[s].owner = p
	h.updateOwner(s)
}

// ReallocInto is Realloc of the block *p tracks; *p is updated. When p
// tracks nothing and *p is nil it is AllocInto, as realloc(NULL, n) is
// malloc(n).
func (h *Heap) ReallocInto(p *[]byte, n int) error {
	if p != nil && *p == nil {
		if _, ok := h.owners[p]; !ok {
			return h.AllocInto(p, n)
		}
	}
	hd, err := h.tracked("realloc", p)
	if err != nil {
		return err
	}
	return h.Realloc(hd, n)
}

// FreeFrom is Free of the block p tracks; *p is set to nil. An untracked p
// fails with ErrInvalidFree and nothing changes.
func (h *Heap) FreeFrom(p *[]byte) error {
	hd, err := h.tracked("free", p)
	if err != nil {
		return err
	}
	return h.Free(hd)
}

// Transfer moves the tracking of a block from one variable to another
// (dalloc's replace_pointers): afterwards *to is the block, *from is nil
// and only to is tracked. from must track a block and to must track none,
// else it fails with ErrInvalidFree; Transfer(p, p) is a no-op.
func (h *Heap) Transfer(from, to *[]byte) error {
	hd, err := h.tracked("transfer from", from)
	if err != nil {
		return err
	}
	if to == nil {
		return fmt.Errorf("compact: transfer to nil *[]byte: %w", memkit.ErrInvalidFree)
	}
	if to == from {
		return nil
	}
	if other, ok := h.owners[to]; ok {
		return fmt.Errorf("compact: transfer to %p: it already tracks block %v: %w", to, other, memkit.ErrInvalidFree)
	}
	delete(h.owners, from)
	*from = nil
	h.track(hd, to)
	return nil
}

// Tracks reports whether p is a tracked slice of this heap.
func (h *Heap) Tracks(p *[]byte) bool {
	_, ok := h.owners[p]
	return ok
}

// HandleOf returns the handle of the block p tracks, for Pin, Unpin and
// the other handle methods.
func (h *Heap) HandleOf(p *[]byte) (Handle, bool) {
	hd, ok := h.owners[p]
	return hd, ok
}

// Untrack stops tracking p, leaving its block allocated under its handle
// (which the caller must then keep) and *p as it is.
func (h *Heap) Untrack(p *[]byte) (Handle, error) {
	hd, err := h.tracked("untrack", p)
	if err != nil {
		return 0, err
	}
	delete(h.owners, p)
	h.tab[hd.slot()].owner = nil
	return hd, nil
}
