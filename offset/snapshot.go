// Snapshots: MarshalBinary and a validating UnmarshalBinary.

package offset

import (
	"encoding/binary"
	"fmt"

	"github.com/memkit/memkit"
)

// Snapshot layout, little-endian:
//
//	offset  size  field
//	0       4     magic "MKOF"
//	4       4     version (1)
//	8       8     Size (bytes, a multiple of Align)
//	16      8     Align
//	24      8     MaxNodes
//	32      8     Policy
//	40      8     Allocs
//	48      8     Frees
//	56      8     Failed
//	64      8     WholeBlocks
//	72      8     number of blocks n
//	80      ...   n uvarints, in address order: (size/Align)<<1 | live
//
// Offsets are implied: blocks tile the space from 0.
const (
	snapMagic   = "MKOF"
	snapVersion = 1
	snapHeader  = 80
)

// MarshalBinary returns a snapshot of the whole state: configuration,
// every block and the lifetime counters. It implements
// encoding.BinaryMarshaler.
func (a *Allocator) MarshalBinary() ([]byte, error) {
	if a.size == 0 {
		return nil, fmt.Errorf("offset: marshal: allocator not initialized: %w", memkit.ErrInvalidConfig)
	}
	n := a.live + a.freeBlocks
	buf := make([]byte, snapHeader, snapHeader+n*3)
	copy(buf, snapMagic)
	le := binary.LittleEndian
	le.PutUint32(buf[4:], snapVersion)
	for k, v := range []uint64{a.size, a.align, uint64(a.maxNodes), uint64(a.policy), a.allocs, a.frees, a.failed, a.whole, uint64(n)} {
		le.PutUint64(buf[8+8*k:], v)
	}
	a.walk(func(start, end uint64, free bool) bool {
		v := (end - start) >> a.shift << 1
		if !free {
			v |= 1
		}
		buf = binary.AppendUvarint(buf, v)
		return true
	})
	return buf, nil
}

// UnmarshalBinary replaces the Allocator's whole state with the snapshot in
// data (its configuration included), as MarshalBinary made it. Any input
// that is not a consistent snapshot (bad magic or version, a configuration
// New refuses, blocks that do not tile the space, free neighbours not
// merged, more blocks than the node budget, trailing bytes) returns an
// error wrapping memkit.ErrCorrupt and leaves the Allocator unchanged. It
// allocates a node table for the snapshot's MaxNodes (or for its blocks
// when MaxNodes is 0). It implements encoding.BinaryUnmarshaler.
func (a *Allocator) UnmarshalBinary(data []byte) error {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("offset: unmarshal: %s: %w", fmt.Sprintf(format, args...), memkit.ErrCorrupt)
	}
	if len(data) < snapHeader || string(data[:4]) != snapMagic {
		return corrupt("not a snapshot (%d bytes)", len(data))
	}
	le := binary.LittleEndian
	if v := le.Uint32(data[4:]); v != snapVersion {
		return corrupt("version %d, want %d", v, snapVersion)
	}
	var h [9]uint64
	for k := range h {
		h[k] = le.Uint64(data[8+8*k:])
	}
	size, align, maxNodes, policy, nblocks := h[0], h[1], h[2], h[3], h[8]
	if maxNodes > MaxNodes || policy > uint64(FirstFit) {
		return corrupt("MaxNodes %d or policy %d out of range", maxNodes, policy)
	}
	cfg := Config{Size: size, Align: align, MaxNodes: int(maxNodes), Policy: Policy(policy)}
	if align == 0 || size&(align-1) != 0 {
		return corrupt("size %d not a non-zero multiple of align %d", size, align)
	}
	// Every block takes at least one byte of data, so the count is bounded
	// by the input before anything is allocated for it.
	rest := data[snapHeader:]
	if nblocks == 0 || nblocks > uint64(len(rest)) || (maxNodes > 0 && nblocks > maxNodes) {
		return corrupt("%d blocks in %d bytes (MaxNodes %d)", nblocks, len(rest), maxNodes)
	}
	var b Allocator
	if cfg.MaxNodes == 0 {
		// Size the growing table for the blocks at once.
		cfg.MaxNodes = int(nblocks)
		if err := b.init(cfg); err != nil {
			return corrupt("%v", err)
		}
		b.maxNodes = 0
	} else if err := b.init(cfg); err != nil {
		return corrupt("%v", err)
	}
	// Rebuild the blocks: init made the first one, the whole space.
	units := size >> b.shift
	var off uint64
	prevFree := false
	if b.policy == GoodFit {
		b.unfile(b.nodes[0].next) // filed as the whole space; refiled below
	}
	for k := uint64(0); k < nblocks; k++ {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return corrupt("block %d: bad varint", k)
		}
		rest = rest[n:]
		u, live := v>>1, v&1 == 1
		if u == 0 || u > units-off>>b.shift {
			return corrupt("block %d at %#x: %d units, %d left", k, off, u, units-off>>b.shift)
		}
		if !live && prevFree {
			return corrupt("block %d at %#x: free after a free block", k, off)
		}
		if !b.appendBlock(off, !live) {
			return corrupt("more blocks than nodes")
		}
		if live {
			b.live++
			b.allocated += u << b.shift
		} else {
			b.freeBlocks++
		}
		prevFree = !live
		off += u << b.shift
	}
	if off != size {
		return corrupt("blocks cover %#x of %#x bytes", off, size)
	}
	if len(rest) != 0 {
		return corrupt("%d trailing bytes", len(rest))
	}
	b.freeBlocks-- // init counted the first block as free
	if b.policy == GoodFit {
		for i := b.nodes[0].next; i != 0; i = b.nodes[i].next {
			if b.isFree(i) {
				b.refile(i)
			}
		}
	}
	b.allocs, b.frees, b.failed, b.whole = h[4], h[5], h[6], h[7]
	if err := b.Check(); err != nil {
		return corrupt("%v", err)
	}
	*a = b
	return nil
}
