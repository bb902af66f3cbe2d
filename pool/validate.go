// Validation of the metadata (free lists against usage bitmaps), and Prefault.

package pool

import (
	"fmt"
	"math/bits"
	"os"
	"sync/atomic"

	"github.com/memkit/memkit"
)

// Validate walks all the metadata and returns an error wrapping ErrCorrupt
// at the first inconsistency: a bad magic word, a size table entry that is
// not the smallest fitting class, a free-list link out of range, a block
// listed twice or listed while marked in use, free blocks plus blocks in use
// not adding up to the class's count, stray bitmap bits past the count, a
// block area out of alignment, or (with Stats on) in-use counters that
// disagree with the bitmaps. It takes time linear in the number of blocks
// and allocates a scratch bitmap. In Concurrent mode it must run while no
// other operation is in progress, or it may report a transient state as
// corruption.
func (p *Pool) Validate() error {
	if m := atomic.LoadUint64(&p.rec[pMagic]); m != magic {
		return fmt.Errorf("pool: magic word %#x, want %#x: %w", m, uint64(magic), memkit.ErrCorrupt)
	}
	ci := 0
	for k := range p.lut {
		for k<<p.shift > p.cls[ci].size {
			ci++
		}
		if int(p.lut[k]) != ci {
			return fmt.Errorf("pool: size table entry %d (sizes up to %d) names class %d, want %d: %w", k, k<<p.shift, p.lut[k], ci, memkit.ErrCorrupt)
		}
	}
	var used uint64
	for i := range p.cls {
		c := &p.cls[i]
		if addrIn(p.mem, int(c.start))%uintptr(p.lay.align) != 0 {
			return fmt.Errorf("pool: class %d blocks start at %#x, not %d-aligned: %w", i, addrIn(p.mem, int(c.start)), p.lay.align, memkit.ErrCorrupt)
		}
		seen := make([]uint64, len(c.used))
		free := 0
		for s := range c.shards {
			h := atomic.LoadUint64(&c.shards[s][wHead])
			for j := uint32(h); j != nilIndex; j = atomic.LoadUint32(&c.next[j]) {
				if int(j) >= c.count {
					return fmt.Errorf("pool: class %d shard %d: free-list link %d past count %d: %w", i, s, j, c.count, memkit.ErrCorrupt)
				}
				w, m := c.bit(j)
				if seen[w]&m != 0 {
					return fmt.Errorf("pool: class %d: block %d listed free twice (a cycle or a shared tail): %w", i, j, memkit.ErrCorrupt)
				}
				if atomic.LoadUint64(&c.used[w])&m != 0 {
					return fmt.Errorf("pool: class %d: block %d is on a free list and marked in use: %w", i, j, memkit.ErrCorrupt)
				}
				seen[w] |= m
				free++
			}
		}
		for w := range c.used {
			for u := atomic.LoadUint64(&c.used[w]); u != 0; u &= u - 1 {
				if j, ok := c.blockOfBit(w, bits.TrailingZeros64(u)); !ok {
					return fmt.Errorf("pool: class %d: usage bit %d of word %d names no block (index %d, count %d): %w",
						i, bits.TrailingZeros64(u), w, j, c.count, memkit.ErrCorrupt)
				}
			}
		}
		inUse := c.inUse()
		if free+inUse != c.count {
			return fmt.Errorf("pool: class %d: %d free + %d in use = %d blocks, want %d (a block is lost): %w", i, free, inUse, free+inUse, c.count, memkit.ErrCorrupt)
		}
		if p.stats {
			if n := atomic.LoadUint64(&c.rec[cInUse]); n != uint64(inUse) {
				return fmt.Errorf("pool: class %d: in-use counter %d, bitmap says %d: %w", i, n, inUse, memkit.ErrCorrupt)
			}
			if pk := atomic.LoadUint64(&c.rec[cPeak]); pk < uint64(inUse) {
				return fmt.Errorf("pool: class %d: peak %d below in-use %d: %w", i, pk, inUse, memkit.ErrCorrupt)
			}
		}
		used += uint64(inUse * c.size)
	}
	if p.stats {
		if u := atomic.LoadUint64(&p.rec[pUsed]); u != used {
			return fmt.Errorf("pool: bytes-in-use counter %d, bitmaps say %d: %w", u, used, memkit.ErrCorrupt)
		}
	}
	return nil
}

// blockOfBit returns the block whose usage bit is bit b of word w, and whether
// that bit belongs to a block at all (padding bits do not).
func (c *class) blockOfBit(w, b int) (int, bool) {
	if c.wpad == 0 {
		j := w*64 + b
		return j, j < c.count
	}
	local := w%int(c.wpad)*64 + b
	j := w/int(c.wpad)<<c.rshift + local
	return j, local <= int(c.rmask) && j < c.count
}

// Check is Validate under the name every memkit allocator uses.
func (p *Pool) Check() error { return p.Validate() }

// Live returns the number of blocks in use and the sum of their sizes,
// recounted from the usage bitmaps.
func (p *Pool) Live() (blocks, bytes int) {
	for i := range p.cls {
		n := p.cls[i].inUse()
		blocks += n
		bytes += n * p.cls[i].size
	}
	return blocks, bytes
}

// Prefault touches every page of the buffer given to New, so that the
// operating system maps them all now and no page fault lands on a
// deadline later. Each touch is an atomic add of zero to one 4-byte word
// per page: it changes no byte, so Prefault may run at any time, but the
// race detector sees it as a write, so run it before handing blocks out
// (right after New is the intended place). It takes time linear in the
// buffer's length.
func (p *Pool) Prefault() {
	page := uint(os.Getpagesize())
	// The first 4-aligned word, then the first word of every later page
	// (page starts are 4-aligned).
	for off := alignBase(p.buf, 4); off+4 <= len(p.buf); {
		touch(p.buf, off)
		off += int(page - uint(addrIn(p.buf, off))%page)
	}
}
