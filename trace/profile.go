// memkit's profiling logs (the "==MP" line grammar) read as traces.

package trace

import (
	"bytes"
	"io"
	"slices"
	"strconv"
)

// mpMarker starts the payload of a profiling line; anything before it (a
// "seproxyhal: printf: " prefix, a timestamp) is ignored.
var mpMarker = []byte("==MP")

// ReadProfile reads a profiling log and turns its alloc and free events
// into trace ops. The line grammar is the one bufheap writes and the Ledger
// SDK's allocator prints:
//
//	==MP init;0x<addr>;<size>              a heap was (re)initialized
//	==MP alloc;<size>;0x<addr>;<file>:<line>
//	==MP free;0x<addr>;<file>:<line>
//	==MP persist;...                       a block marked persistent
//
// Each line may carry a prefix before "==MP"; lines without "==MP" (test
// names, other output) are skipped. Every alloc gets a new ID; a free
// names the ID live at that address. An init frees every block still live
// (the heap's memory was reclaimed), so the trace stays valid. A free of an
// address that is not live is counted in Trace.Dropped; an alloc at an
// address that is still live first frees the old block (its free was lost)
// and is counted there too. persist lines change nothing in the trace.
//
// A malformed "==MP" line (unknown event, missing or bad number) gives a
// *SyntaxError with the line number; the reader never panics.
func ReadProfile(r io.Reader, name string) (*Trace, error) {
	l := newLineReader(r, name)
	t := &Trace{Name: name, Weight: 1}
	live := map[uint64]int{} // address -> ID
	next := 0
	freeAll := func() {
		ids := make([]int, 0, len(live))
		for _, id := range live {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			t.Ops = append(t.Ops, Op{Kind: Free, ID: id})
		}
		clear(live)
	}
	for {
		line, ok, err := l.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		i := bytes.Index(line, mpMarker)
		if i < 0 {
			continue
		}
		rest := bytes.TrimSpace(line[i+len(mpMarker):])
		f := bytes.Split(rest, []byte(";"))
		switch string(f[0]) {
		case "init":
			if len(f) < 3 {
				return nil, l.errHere("init: want init;0xADDR;SIZE, got %q", clip(rest))
			}
			if _, err := parseAddr(f[1]); err != nil {
				return nil, l.errHere("init: address %q: want hexadecimal", clip(f[1]))
			}
			size, err := strconv.ParseUint(string(bytes.TrimSpace(f[2])), 10, 63)
			if err != nil {
				return nil, l.errHere("init: size %q: want a non-negative integer", clip(f[2]))
			}
			if t.HeapSize == 0 {
				t.HeapSize = size
			}
			freeAll()
		case "alloc":
			if len(f) < 3 {
				return nil, l.errHere("alloc: want alloc;SIZE;0xADDR;FILE:LINE, got %q", clip(rest))
			}
			size, err := strconv.ParseUint(string(bytes.TrimSpace(f[1])), 10, 63)
			if err != nil {
				return nil, l.errHere("alloc: size %q: want a non-negative integer", clip(f[1]))
			}
			addr, err := parseAddr(f[2])
			if err != nil {
				return nil, l.errHere("alloc: address %q: want hexadecimal", clip(f[2]))
			}
			if old, ok := live[addr]; ok {
				t.Ops = append(t.Ops, Op{Kind: Free, ID: old})
				t.Dropped++
			}
			if next == 1<<31-1 {
				return nil, l.errHere("more than %d allocations", next)
			}
			live[addr] = next
			t.Ops = append(t.Ops, Op{Kind: Alloc, ID: next, Size: size})
			next++
		case "free":
			if len(f) < 2 {
				return nil, l.errHere("free: want free;0xADDR;FILE:LINE, got %q", clip(rest))
			}
			addr, err := parseAddr(f[1])
			if err != nil {
				return nil, l.errHere("free: address %q: want hexadecimal", clip(f[1]))
			}
			id, ok := live[addr]
			if !ok {
				t.Dropped++
				continue
			}
			delete(live, addr)
			t.Ops = append(t.Ops, Op{Kind: Free, ID: id})
		case "persist":
		default:
			return nil, l.errHere("unknown profiling event %q, want init, alloc, free or persist", clip(f[0]))
		}
	}
	t.NumIDs = next
	return t, nil
}

// parseAddr reads a hexadecimal address with an optional 0x prefix.
func parseAddr(b []byte) (uint64, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 1 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	return strconv.ParseUint(string(b), 16, 64)
}
