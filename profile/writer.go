// Writer: emits profiling lines in the Ledger "==MP" grammar.

package profile

import (
	"io"
	"strconv"
)

// Writer writes profiling lines in the Ledger grammar, one line per call:
//
//	==MP init;0x<addr>;<size>
//	==MP alloc;<size>;0x<addr>;<file>:<line>
//	==MP persist;<size>;0x<addr>;<file>:<line>
//	==MP free;0x<addr>;<file>:<line>
//
// Addresses are lower-case hexadecimal, sizes decimal, lines end in "\n".
// Bytes of a file name that would break the grammar (';', '\r', '\n') are
// written as '_'; an empty file name is written as "?".
//
// A Writer is not safe for concurrent use. Write errors are kept: the first
// one is returned by Err and every later call does nothing. Each call makes
// exactly one Write to the underlying io.Writer and, once the Writer's
// internal buffer has grown to the longest line seen, allocates nothing.
// The zero Writer is not usable; call NewWriter.
type Writer struct {
	w   io.Writer
	buf []byte // line being built; reused across calls
	err error  // first write error, sticky
}

// NewWriter returns a Writer that writes profiling lines to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, 128)}
}

// Init logs that a heap of size bytes was (re)initialized at addr.
func (w *Writer) Init(addr, size uint64) {
	if w.err != nil {
		return
	}
	b := append(w.buf[:0], "==MP init;0x"...)
	b = strconv.AppendUint(b, addr, 16)
	b = append(b, ';')
	b = strconv.AppendUint(b, size, 10)
	w.flush(b)
}

// Alloc logs an allocation of size bytes at addr, made at the given site.
func (w *Writer) Alloc(size, addr uint64, at Site) {
	w.block("==MP alloc;", size, addr, at)
}

// Persist is like Alloc except that the block is persistent: it is meant to
// live until the heap is re-initialized and is never reported as a leak.
func (w *Writer) Persist(size, addr uint64, at Site) {
	w.block("==MP persist;", size, addr, at)
}

// Free logs the release of the block at addr, made at the given site.
func (w *Writer) Free(addr uint64, at Site) {
	if w.err != nil {
		return
	}
	b := append(w.buf[:0], "==MP free;0x"...)
	b = strconv.AppendUint(b, addr, 16)
	b = append(b, ';')
	b = appendSite(b, at)
	w.flush(b)
}

// Err returns the first error the underlying io.Writer returned, or nil.
func (w *Writer) Err() error { return w.err }

func (w *Writer) block(op string, size, addr uint64, at Site) {
	if w.err != nil {
		return
	}
	b := append(w.buf[:0], op...)
	b = strconv.AppendUint(b, size, 10)
	b = append(b, ";0x"...)
	b = strconv.AppendUint(b, addr, 16)
	b = append(b, ';')
	b = appendSite(b, at)
	w.flush(b)
}

// flush terminates the line in b, writes it and keeps b for reuse.
func (w *Writer) flush(b []byte) {
	b = append(b, '\n')
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		w.err = err
	}
}

// appendSite appends "FILE:LINE", replacing the bytes that would make the
// line unparsable.
func appendSite(b []byte, at Site) []byte {
	if at.File == "" {
		b = append(b, '?')
	}
	for i := 0; i < len(at.File); i++ {
		c := at.File[i]
		switch c {
		case ';', '\n', '\r':
			c = '_'
		}
		b = append(b, c)
	}
	b = append(b, ':')
	return strconv.AppendInt(b, int64(at.Line), 10)
}
