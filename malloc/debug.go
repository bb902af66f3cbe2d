// Debug mode: guard bytes, poisoned frees and a quarantine.

package malloc

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/memkit/memkit"
)

// In Debug mode each request of n bytes takes a raw block of at least
// n+2*guardSize bytes laid out as
//
//	[front guard: 16 bytes][data: n bytes][back guard: the rest, ≥ 16 bytes]
//
// and the caller gets data with len and cap n. Both guards hold guardByte.
// On Free the guards are checked, the data is filled with poisonByte and
// the raw block waits in a FIFO quarantine (at most quarantineBlocks blocks
// and quarantineBytes bytes) before it is really freed; the poison is
// checked when it leaves, and by Check while it waits. A damaged guard or
// poison is reported with the block's address and size.
const (
	guardSize        = 16
	guardByte        = 0xAB
	poisonByte       = 0xDD
	quarantineBlocks = 256
	quarantineBytes  = 4 << 20
)

// debugState is the Debug layer's bookkeeping, guarded by mu (every Debug
// operation takes it: Debug mode trades speed for checks).
type debugState struct {
	mu     sync.Mutex
	live   map[uintptr]dbgBlock // data address -> block
	quar   []dbgBlock           // FIFO, oldest first
	inQuar map[uintptr]bool     // data addresses waiting in quar
	qbytes int
	report error // first damage found in a block leaving the quarantine
}

// dbgBlock is one Debug block: raw is the whole raw block (len = usable).
type dbgBlock struct {
	raw []byte
	n   int
}

func newDebugState() *debugState {
	return &debugState{live: map[uintptr]dbgBlock{}, inQuar: map[uintptr]bool{}}
}

func (d dbgBlock) data() []byte { return d.raw[guardSize : guardSize+d.n : guardSize+d.n] }

// Patterns to compare against a chunk at a time.
var (
	guardPattern  = bytes.Repeat([]byte{guardByte}, 4096)
	poisonPattern = bytes.Repeat([]byte{poisonByte}, 4096)
)

// firstOther returns the index of the first byte of b that differs from
// pattern's byte, or -1.
func firstOther(b, pattern []byte) int {
	for base := 0; base < len(b); base += len(pattern) {
		chunk := b[base:min(len(b), base+len(pattern))]
		if bytes.Equal(chunk, pattern[:len(chunk)]) {
			continue
		}
		for i, c := range chunk {
			if c != pattern[0] {
				return base + i
			}
		}
	}
	return -1
}

// checkGuards reports damage to d's guards.
func (d dbgBlock) checkGuards() error {
	if i := firstOther(d.raw[:guardSize], guardPattern); i >= 0 {
		return fmt.Errorf("malloc: block %#x (size %d): front guard byte %d overwritten (%#x): %w",
			addrOf(d.raw)+guardSize, d.n, i-guardSize, d.raw[i], memkit.ErrCorrupt)
	}
	if i := firstOther(d.raw[guardSize+d.n:], guardPattern); i >= 0 {
		return fmt.Errorf("malloc: block %#x (size %d): overrun, byte %d past the end overwritten (%#x): %w",
			addrOf(d.raw)+guardSize, d.n, i, d.raw[guardSize+d.n+i], memkit.ErrCorrupt)
	}
	return nil
}

// checkPoison reports writes into a quarantined block.
func (d dbgBlock) checkPoison() error {
	if err := d.checkGuards(); err != nil {
		return err
	}
	if i := firstOther(d.data(), poisonPattern); i >= 0 {
		return fmt.Errorf("malloc: block %#x (size %d): written after free at byte %d (%#x): %w",
			addrOf(d.raw)+guardSize, d.n, i, d.data()[i], memkit.ErrCorrupt)
	}
	return nil
}

func (h *Heap) dbgMalloc(n int, zero bool) ([]byte, error) {
	if n < 0 || n > maxRequest {
		return nil, fmt.Errorf("malloc: malloc(%d): %w", n, memkit.ErrInvalidSize)
	}
	raw, _, err := h.malloc(n + 2*guardSize)
	if err != nil {
		return nil, err
	}
	raw = raw[:cap(raw)]
	d := dbgBlock{raw: raw, n: n}
	fill(raw[:guardSize], guardPattern)
	fill(raw[guardSize+n:], guardPattern)
	data := d.data()
	if zero {
		clear(data)
	}
	h.dbg.mu.Lock()
	h.dbg.live[addrOf(data)] = d
	h.dbg.mu.Unlock()
	return data, nil
}

// dbgLookup returns the live Debug block at addr; the caller holds mu.
func (h *Heap) dbgLookup(addr uintptr, op string) (dbgBlock, error) {
	d, ok := h.dbg.live[addr]
	if ok {
		return d, nil
	}
	if h.dbg.inQuar[addr] {
		return d, fmt.Errorf("malloc: %s %#x: %w", op, addr, memkit.ErrDoubleFree)
	}
	return d, fmt.Errorf("malloc: %s %#x: not the start of a live block: %w", op, addr, memkit.ErrInvalidFree)
}

func (h *Heap) dbgFree(b []byte) error {
	addr := addrOf(b)
	h.dbg.mu.Lock()
	defer h.dbg.mu.Unlock()
	d, err := h.dbgLookup(addr, "free")
	if err != nil {
		return err
	}
	if err := d.checkGuards(); err != nil {
		return err
	}
	delete(h.dbg.live, addr)
	fill(d.data(), poisonPattern)
	h.dbg.quar = append(h.dbg.quar, d)
	h.dbg.inQuar[addr] = true
	h.dbg.qbytes += len(d.raw)
	for len(h.dbg.quar) > quarantineBlocks || h.dbg.qbytes > quarantineBytes {
		h.dbgEvict()
	}
	return nil
}

// dbgEvict really frees the oldest quarantined block; the caller holds mu.
func (h *Heap) dbgEvict() {
	d := h.dbg.quar[0]
	h.dbg.quar[0] = dbgBlock{}
	h.dbg.quar = h.dbg.quar[1:]
	h.dbg.qbytes -= len(d.raw)
	delete(h.dbg.inQuar, addrOf(d.raw)+guardSize)
	if err := d.checkPoison(); err != nil && h.dbg.report == nil {
		h.dbg.report = err
	}
	_ = h.free(addrOf(d.raw), "free")
}

func (h *Heap) dbgUsable(addr uintptr) (int, error) {
	h.dbg.mu.Lock()
	defer h.dbg.mu.Unlock()
	d, err := h.dbgLookup(addr, "usable size")
	return d.n, err
}

// dbgRealloc always moves the block, so a stale slice to the old one is
// caught by the quarantine.
func (h *Heap) dbgRealloc(b []byte, n int) ([]byte, error) {
	addr := addrOf(b)
	h.dbg.mu.Lock()
	d, err := h.dbgLookup(addr, "realloc")
	if err == nil {
		err = d.checkGuards()
	}
	h.dbg.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, h.dbgFree(b)
	}
	nb, err := h.dbgMalloc(n, false)
	if err != nil {
		return nil, err
	}
	copy(nb, d.data()[:min(len(b), d.n)])
	return nb, h.dbgFree(b)
}

// dbgCheck checks every live block's guards and every quarantined block's
// poison.
func (h *Heap) dbgCheck() error {
	h.dbg.mu.Lock()
	defer h.dbg.mu.Unlock()
	if h.dbg.report != nil {
		return h.dbg.report
	}
	for _, d := range h.dbg.live {
		if err := d.checkGuards(); err != nil {
			return err
		}
	}
	for _, d := range h.dbg.quar {
		if err := d.checkPoison(); err != nil {
			return err
		}
	}
	return nil
}

// dbgReset forgets every block (the raw blocks are freed by the caller).
func (h *Heap) dbgReset() {
	h.dbg.mu.Lock()
	defer h.dbg.mu.Unlock()
	clear(h.dbg.live)
	clear(h.dbg.inQuar)
	h.dbg.quar = nil
	h.dbg.qbytes = 0
	h.dbg.report = nil
}

// fill copies pattern over b, repeated.
func fill(b, pattern []byte) {
	for len(b) > 0 {
		b = b[copy(b, pattern):]
	}
}
