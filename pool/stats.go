// Statistics: per-class counters and worst-case times, their reset, and the human-readable dump.

package pool

import (
	"fmt"
	"io"
	"math/bits"
	"strings"
	"sync/atomic"
	"time"
)

// ClassStats are one class's figures. Counters other than InUse and Failed
// stay zero unless Config.Stats is on.
type ClassStats struct {
	Size   int // block size
	Count  int // blocks
	InUse  int // blocks allocated now (a recount of the usage bitmap)
	Peak   int // most blocks in use at once since New or ResetStats (Stats)
	Allocs uint64
	Frees  uint64
	Failed uint64 // allocations refused with ErrOutOfMemory (always counted)

	AllocTime  time.Duration // total time in successful Allocs (Stats)
	AllocWorst time.Duration // longest successful Alloc (Stats)
	FreeTime   time.Duration // total time in successful Frees (Stats)
	FreeWorst  time.Duration // longest successful Free (Stats)
}

// Stats is a snapshot of a Pool. In Concurrent mode the figures are read
// one word at a time while operations may run, so they are each exact but
// not mutually consistent; they are consistent when the Pool is quiet.
type Stats struct {
	Classes  []ClassStats
	Bytes    int // bytes in blocks: Σ Size × Count
	Used     int // bytes in blocks allocated now: Σ Size × InUse
	Peak     int // most bytes in use at once since New or ResetStats (Stats)
	Metadata int // bytes of the buffer spent on metadata, padding included
}

// countAllocSeq records one successful allocation of class c through shard
// s that took d ticks, in a sequential Pool: plain loads and stores on
// three cache lines (the shard's, which the pop has just touched, the
// class record and the pool record), no call once inlined and no branch
// (max compiles to a conditional move).
func (p *Pool) countAllocSeq(c *class, s *shardRec, d int64) {
	s[wAllocs]++
	s[wAllocNs] += uint64(d)
	s[wAllocMax] = max(s[wAllocMax], uint64(d))
	r, q := c.rec, p.rec
	r[cInUse]++
	r[cPeak] = max(r[cPeak], r[cInUse])
	q[pUsed] += uint64(c.size)
	q[pPeak] = max(q[pPeak], q[pUsed])
}

// countFreeSeq records one successful free (see countAllocSeq).
func (p *Pool) countFreeSeq(c *class, d int64) {
	s := &c.shards[0]
	s[wFrees]++
	s[wFreeNs] += uint64(d)
	s[wFreeMax] = max(s[wFreeMax], uint64(d))
	c.rec[cInUse]--
	p.rec[pUsed] -= uint64(c.size)
}

// countAlloc records one successful allocation of class c through shard s
// that took d ticks.
func (p *Pool) countAlloc(c *class, s *shardRec, d int64) {
	if !p.conc {
		p.countAllocSeq(c, s, d)
		return
	}
	atomic.AddUint64(&s[wAllocs], 1)
	atomic.AddUint64(&s[wAllocNs], uint64(d))
	atomicMax(&s[wAllocMax], uint64(d))
	atomicMax(&c.rec[cPeak], atomic.AddUint64(&c.rec[cInUse], 1))
	atomicMax(&p.rec[pPeak], atomic.AddUint64(&p.rec[pUsed], uint64(c.size)))
}

// countFree records one successful free (see countAlloc).
func (p *Pool) countFree(c *class, s *shardRec, d int64) {
	if !p.conc {
		p.countFreeSeq(c, d)
		return
	}
	atomic.AddUint64(&s[wFrees], 1)
	atomic.AddUint64(&s[wFreeNs], uint64(d))
	atomicMax(&s[wFreeMax], uint64(d))
	atomic.AddUint64(&c.rec[cInUse], ^uint64(0))
	atomic.AddUint64(&p.rec[pUsed], -uint64(c.size))
}

// atomicMax raises *w to v. It retries only while other goroutines raise
// *w below v, so it is lock-free.
func atomicMax(w *uint64, v uint64) {
	for {
		o := atomic.LoadUint64(w)
		if v <= o || atomic.CompareAndSwapUint64(w, o, v) {
			return
		}
	}
}

// inUse counts the set bits of c's usage bitmap.
func (c *class) inUse() int {
	n := 0
	for i := range c.used {
		n += bits.OnesCount64(atomic.LoadUint64(&c.used[i]))
	}
	return n
}

// Stats returns a snapshot of the Pool's figures. It allocates the
// returned slice and walks the usage bitmaps (count/64 words per class).
func (p *Pool) Stats() Stats {
	st := Stats{Classes: make([]ClassStats, len(p.cls)), Metadata: p.lay.metadataSize()}
	for i := range p.cls {
		c := &p.cls[i]
		cs := ClassStats{Size: c.size, Count: c.count, InUse: c.inUse(), Peak: int(atomic.LoadUint64(&c.rec[cPeak]))}
		for s := range c.shards {
			r := &c.shards[s]
			cs.Allocs += atomic.LoadUint64(&r[wAllocs])
			cs.Frees += atomic.LoadUint64(&r[wFrees])
			cs.Failed += atomic.LoadUint64(&r[wFailed])
			cs.AllocTime += ticksToDuration(atomic.LoadUint64(&r[wAllocNs]))
			cs.FreeTime += ticksToDuration(atomic.LoadUint64(&r[wFreeNs]))
			cs.AllocWorst = max(cs.AllocWorst, ticksToDuration(atomic.LoadUint64(&r[wAllocMax])))
			cs.FreeWorst = max(cs.FreeWorst, ticksToDuration(atomic.LoadUint64(&r[wFreeMax])))
		}
		st.Classes[i] = cs
		st.Bytes += c.size * c.count
		st.Used += c.size * cs.InUse
	}
	st.Peak = int(atomic.LoadUint64(&p.rec[pPeak]))
	return st
}

// ResetStats zeroes the counters and worst times and sets each peak to the
// current use; Stats gathers afresh from there. With Stats on in
// Concurrent mode, operations running during the reset may be counted
// either side of it.
func (p *Pool) ResetStats() {
	for i := range p.cls {
		c := &p.cls[i]
		for s := range c.shards {
			r := &c.shards[s]
			for w := wAllocs; w < shardWords; w++ {
				atomic.StoreUint64(&r[w], 0)
			}
		}
		atomic.StoreUint64(&c.rec[cPeak], atomic.LoadUint64(&c.rec[cInUse]))
	}
	atomic.StoreUint64(&p.rec[pPeak], atomic.LoadUint64(&p.rec[pUsed]))
}

// WriteTo writes a human-readable table of the Pool's state to w: the
// configuration, then per class its size, blocks, use, peak, counters and
// average and worst times, then totals. It implements io.WriterTo.
func (p *Pool) WriteTo(w io.Writer) (int64, error) {
	st := p.Stats()
	var b strings.Builder
	mode := "sequential"
	if p.conc {
		mode = fmt.Sprintf("concurrent (%d shards per class)", p.lay.nshards)
	}
	stats := "off"
	if p.stats {
		stats = "on"
	}
	fmt.Fprintf(&b, "pool: %d classes, %d bytes of blocks, %d bytes of metadata, align %d, cache-aligned %v, %s, stats %s\n",
		len(st.Classes), st.Bytes, st.Metadata, p.lay.sizeAlign, p.cfg.CacheAligned, mode, stats)
	fmt.Fprintf(&b, "%5s %7s %7s %7s %7s %10s %10s %7s %10s %10s %10s %10s\n",
		"class", "size", "count", "in-use", "peak", "allocs", "frees", "failed", "alloc-avg", "alloc-max", "free-avg", "free-max")
	for i, c := range st.Classes {
		fmt.Fprintf(&b, "%5d %7d %7d %7d %7d %10d %10d %7d %10v %10v %10v %10v\n",
			i, c.Size, c.Count, c.InUse, c.Peak, c.Allocs, c.Frees, c.Failed,
			avg(c.AllocTime, c.Allocs), c.AllocWorst, avg(c.FreeTime, c.Frees), c.FreeWorst)
	}
	pct := 0.0
	if st.Bytes > 0 {
		pct = 100 * float64(st.Used) / float64(st.Bytes)
	}
	fmt.Fprintf(&b, "total: %d of %d bytes in use (%.1f%%), peak %d\n", st.Used, st.Bytes, pct, st.Peak)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func avg(total time.Duration, n uint64) time.Duration {
	if n == 0 {
		return 0
	}
	return total / time.Duration(n)
}
