// FirstFit: Alloc, Free and lookups on the B+-tree of blocks (btree.go).

package offset

import (
	"fmt"

	"github.com/memkit/memkit"
)

// ffHasSpare reports whether the tree can take one more block (a growing
// Allocator may have to enlarge its pools first).
func (a *Allocator) ffHasSpare() bool {
	t := &a.ff
	return t.n < t.capBlocks || (a.maxNodes == 0 && t.capBlocks < MaxNodes)
}

// ffReserve makes room for one more block and reports whether there is
// room: a growing Allocator doubles its pools when they are full (the only
// place FirstFit allocates Go memory), a fixed budget reports false. The
// recorded path stays valid: it holds indexes.
func (a *Allocator) ffReserve() bool {
	t := &a.ff
	if t.n < t.capBlocks {
		return true
	}
	if a.maxNodes > 0 || t.capBlocks >= MaxNodes {
		return false
	}
	t.grow(min(2*t.capBlocks, MaxNodes))
	return true
}

// ffAlloc is Alloc for FirstFit: s is the rounded size.
func (a *Allocator) ffAlloc(size, s uint64) (Offset, error) {
	li, k := a.ff.firstFit(s)
	if li == 0 {
		return 0, a.failNoFit("alloc", size, 0)
	}
	return Offset(a.ffTake(li, k, 0, s)), nil
}

// ffFits returns the leaf and entry of the lowest free block that holds s
// bytes at an offset aligned to align (align 0: any offset), recording the
// path, or leaf 0. An aligned request only checks the lowest block of s
// bytes (see AllocAligned).
func (a *Allocator) ffFits(s, align uint64) (uint32, int) {
	t := &a.ff
	li, k := t.firstFit(s)
	if li != 0 && align != 0 {
		l := &t.leaves[li]
		if !fitsAt(l.keys[k]&^freeBit, l.endAt(k), s, align) {
			return 0, 0
		}
	}
	return li, k
}

// ffTake turns free entry k of leaf li (reached by the recorded path) into
// a live block of s bytes starting pad bytes into it, as take does for
// GoodFit: the padding stays a free block when the tree has room for one,
// else the live block before absorbs it; the rest after the live block
// becomes a free block when there is room, else the caller gets it too. It
// returns the live block's offset.
func (a *Allocator) ffTake(li uint32, k int, pad, s uint64) uint64 {
	t := &a.ff
	l := &t.leaves[li]
	start, end := l.keys[k]&^freeBit, l.endAt(k)
	gone := l.counted(k)                   // the free block that goes, as the maxima count it (update)
	tail := k == int(l.n)-1 && l.next == 0 // the rest after the live block will be the tail
	moved := false                         // the leaf's first key changes
	if pad > 0 && a.ffReserve() {
		// The free block keeps the padding; a new live entry follows it.
		t.insertAt(li, k+1, start+pad, gone, pad)
		start += pad
		gone = 0
		li, k = t.seek(start)
	} else {
		if pad > 0 {
			moved = k == 0
			// No room for a free padding block: the live block before
			// this one (there is one: a free block's neighbours are live,
			// and a block at 0 needs no padding) absorbs it. It is live,
			// so no maximum changes.
			start += pad
			a.allocated += pad
			if k == 0 {
				t.leaves[l.prev].end = start
			}
		}
		l.keys[k] = start
		a.freeBlocks--
	}
	a.live++
	a.allocs++
	if b := end - start; b > s {
		if a.ffReserve() {
			rest := b - s
			if tail {
				rest = 0 // the tail is not counted
			}
			t.insertAt(li, k+1, (start+s)|freeBit, gone, rest)
			a.freeBlocks++
			a.allocated += s
			return start
		}
		s = b
		a.whole++
	}
	a.allocated += s
	t.update(li, gone, 0, moved)
	return start
}

// ffLookup finds the live block that starts at off, or explains why there
// is none. It records the path to the block's leaf.
func (a *Allocator) ffLookup(op string, off Offset) (uint32, int, error) {
	o := uint64(off)
	if o >= a.size || o&(a.align-1) != 0 {
		return 0, 0, a.checkOff(op, o)
	}
	li, k := a.ff.seek(o)
	if e := a.ff.leaves[li].keys[k]; e != o { // not a block's start, or free
		return 0, 0, a.blockErr(op, o, e&^freeBit == o, e&freeBit != 0)
	}
	return li, k, nil
}

// ffFree is Free for FirstFit.
func (a *Allocator) ffFree(off Offset) error {
	li, k, err := a.ffLookup("free", off)
	if err != nil {
		return err
	}
	t := &a.ff
	l := &t.leaves[li]
	o := uint64(off)
	end := l.endAt(k)
	a.allocated -= end - o
	a.live--
	a.frees++
	n := int(l.n)
	// Are the neighbours free? They may sit in the leaves before and after.
	var pf, qf bool
	if k > 0 {
		pf = l.keys[k-1]&freeBit != 0
	} else if l.prev != 0 {
		p := &t.leaves[l.prev]
		pf = p.keys[p.n-1]&freeBit != 0
	}
	if k < n-1 {
		qf = l.keys[k+1]&freeBit != 0
	} else if l.next != 0 {
		qf = t.leaves[l.next].keys[0]&freeBit != 0
	}
	if (!pf || k > 0) && (!qf || k < n-1) {
		// Every merge stays in this leaf: one descent in all.
		switch {
		case !pf && !qf:
			l.keys[k] = o | freeBit
			a.freeBlocks++
			t.update(li, 0, l.counted(k), false)
		case pf && !qf: // the previous block absorbs this one
			t.removeAt(li, k, 1)
		case !pf && qf: // this block absorbs the next one
			l.keys[k] = o | freeBit
			t.removeAt(li, k+1, 1)
		default: // the previous block absorbs this one and the next
			t.removeAt(li, k, 2)
			a.freeBlocks--
		}
		return nil
	}
	// A free neighbour sits in the previous or next leaf. Mark the block
	// free, let it absorb a free next block, then let a free previous one
	// absorb it. A neighbour leaf under the same parent is reached through
	// the recorded path; else, or once the path is stale, by a descent.
	l.keys[k] = o | freeBit
	a.freeBlocks++
	valid := true // the recorded path still leads to li
	switch {
	case qf && k < n-1:
		t.removeAt(li, k+1, 1)
		valid = false
	case qf && t.slot[t.height-1] < int(t.inners[t.path[t.height-1]].n)-1:
		// The next leaf is the next child of the same parent.
		t.slot[t.height-1]++
		t.removeAt(l.next, 0, 1) // repairs this leaf through the path too
		valid = false
	case qf:
		t.update(li, 0, l.counted(k), false)
		t.removeKey(end)
		valid = false
	case !pf:
		t.update(li, 0, l.counted(k), false)
	}
	if qf {
		a.freeBlocks--
	}
	if pf {
		if valid {
			t.removeAt(li, 0, 1)
		} else {
			t.removeKey(o)
		}
		a.freeBlocks--
	}
	return nil
}

// removeKey removes the block that starts at off; the block before it
// absorbs its bytes.
func (t *btree) removeKey(off uint64) {
	li, k := t.seek(off)
	t.removeAt(li, k, 1)
}

// ffGrow is Grow for FirstFit, to ns bytes (> a.size).
func (a *Allocator) ffGrow(ns, newSize uint64) error {
	t := &a.ff
	li := t.last()
	l := &t.leaves[li]
	last := l.keys[l.n-1]
	if last&freeBit != 0 {
		l.end = ns // the tail grows: it counts in no maximum
		a.size = ns
		return nil
	}
	if !a.ffReserve() {
		return fmt.Errorf("offset: grow to %d: no node for the new free block: %w", newSize, memkit.ErrNoMetadata)
	}
	old := a.size
	li, k := t.seek(old - 1)
	t.leaves[li].end = ns
	a.size = ns
	t.insertAt(li, k+1, old|freeBit, 0, 0) // the new tail counts in no maximum
	a.freeBlocks++
	return nil
}

// ffAppend adds a block at off (≥ every block's start) to the end of the
// tree, for UnmarshalBinary; block 0 is the one reset made. It reports
// false when the budget is spent.
func (a *Allocator) ffAppend(off uint64, free bool) bool {
	t := &a.ff
	e := off
	if free {
		e |= freeBit
	}
	if off == 0 {
		li, k := t.seek(0)
		t.leaves[li].keys[k] = e
		t.touch(li)
		return true
	}
	if !a.ffReserve() {
		return false
	}
	li, k := t.seek(off - 1)
	t.insertAt(li, k+1, e, noKey, 0) // noKey: the leaf's maximum is recounted
	return true
}
