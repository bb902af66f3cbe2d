// The CS:APP malloc-lab .rep format: reader and writer.

package trace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxLine bounds one input line; longer lines are malformed.
const maxLine = 1 << 16

// lineReader yields trimmed lines with their numbers; CRLF and a missing
// final newline are tolerated.
type lineReader struct {
	sc   *bufio.Scanner
	name string
	n    int
}

func newLineReader(r io.Reader, name string) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	return &lineReader{sc: sc, name: name}
}

// next returns the next line with surrounding blanks removed.
func (l *lineReader) next() ([]byte, bool, error) {
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return nil, false, l.errf("line longer than %d bytes", maxLine)
			}
			return nil, false, fmt.Errorf("%s: after line %d: %w", l.name, l.n, err)
		}
		return nil, false, nil
	}
	l.n++
	return bytes.TrimSpace(l.sc.Bytes()), true, nil
}

func (l *lineReader) errf(format string, args ...any) error {
	return &SyntaxError{Name: l.name, Line: l.n + 1, Msg: fmt.Sprintf(format, args...)}
}

func (l *lineReader) errHere(format string, args ...any) error {
	return &SyntaxError{Name: l.name, Line: l.n, Msg: fmt.Sprintf(format, args...)}
}

// ReadRep reads a CS:APP malloc-lab trace: four header integers (suggested
// heap size, number of ids, number of ops, weight), one per line, then one
// op per line: "a ID SIZE", "f ID" or "r ID SIZE". Blank lines are skipped,
// CRLF line ends are accepted. The header values are hints, except that a
// nonzero number of ops must equal the number of op lines. IDs need not be
// dense. An "r" of an ID that is not live allocates it (realloc of NULL).
//
// Malformed input gives a *SyntaxError with the line number; the reader
// never panics. name is used in error messages and as Trace.Name.
func ReadRep(r io.Reader, name string) (*Trace, error) {
	l := newLineReader(r, name)
	t := &Trace{Name: name}
	var hdr [4]uint64
	for i := 0; i < 4; {
		line, ok, err := l.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, l.errf("header ends after %d of 4 integers", i)
		}
		if len(line) == 0 {
			continue
		}
		v, err := strconv.ParseUint(string(line), 10, 63)
		if err != nil {
			return nil, l.errHere("header value %d: want a non-negative integer, got %q", i+1, clip(line))
		}
		hdr[i] = v
		i++
	}
	const maxCount = 1 << 31
	if hdr[1] > maxCount || hdr[2] > maxCount || hdr[3] > maxCount {
		return nil, l.errHere("header values %d ids, %d ops, weight %d: too large", hdr[1], hdr[2], hdr[3])
	}
	t.HeapSize, t.NumIDs, t.Weight = hdr[0], int(hdr[1]), int(hdr[3])
	wantOps := int(hdr[2])
	if wantOps > 0 {
		t.Ops = make([]Op, 0, min(wantOps, 1<<20))
	}
	live := map[int]bool{}
	for {
		line, ok, err := l.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if len(line) == 0 {
			continue
		}
		f := bytes.Fields(line)
		var op Op
		switch string(f[0]) {
		case "a", "r":
			if len(f) != 3 {
				return nil, l.errHere("%q: want %s ID SIZE", clip(line), f[0])
			}
			op.Kind = Alloc
			if f[0][0] == 'r' {
				op.Kind = Realloc
			}
		case "f":
			if len(f) != 2 {
				return nil, l.errHere("%q: want f ID", clip(line))
			}
			op.Kind = Free
		default:
			return nil, l.errHere("%q: unknown op, want a, f or r", clip(line))
		}
		id, err := strconv.ParseUint(string(f[1]), 10, 31)
		if err != nil {
			return nil, l.errHere("id %q: want an integer from 0 to %d", clip(f[1]), 1<<31-1)
		}
		op.ID = int(id)
		if op.Kind != Free {
			op.Size, err = strconv.ParseUint(string(f[2]), 10, 63)
			if err != nil {
				return nil, l.errHere("size %q: want a non-negative integer", clip(f[2]))
			}
		}
		switch op.Kind {
		case Alloc:
			if live[op.ID] {
				return nil, l.errHere("a %d: id %d is already live", op.ID, op.ID)
			}
			live[op.ID] = true
		case Realloc:
			live[op.ID] = true
		case Free:
			if !live[op.ID] {
				return nil, l.errHere("f %d: id %d is not live", op.ID, op.ID)
			}
			delete(live, op.ID)
		}
		t.Ops = append(t.Ops, op)
	}
	if wantOps > 0 && len(t.Ops) != wantOps {
		return nil, &SyntaxError{Name: name, Line: l.n, Msg: fmt.Sprintf("header says %d ops, found %d", wantOps, len(t.Ops))}
	}
	if t.Weight == 0 {
		t.Weight = 1
	}
	return t, nil
}

// clip shortens b for an error message.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}

// WriteRep writes t in the .rep format ReadRep reads. The header's number
// of ids is one more than the largest ID (at least t.NumIDs), the number of
// ops is len(t.Ops), a zero weight is written as 1, and a zero HeapSize as
// the trace's peak live bytes.
func WriteRep(w io.Writer, t *Trace) error {
	bw := bufio.NewWriter(w)
	ids := t.NumIDs
	for _, op := range t.Ops {
		ids = max(ids, op.ID+1)
	}
	heap := t.HeapSize
	if heap == 0 {
		heap = t.Summarize().PeakLive
	}
	weight := t.Weight
	if weight == 0 {
		weight = 1
	}
	fmt.Fprintf(bw, "%d\n%d\n%d\n%d\n", heap, ids, len(t.Ops), weight)
	var buf []byte
	for i, op := range t.Ops {
		buf = append(buf[:0], op.Kind.String()...)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(op.ID), 10)
		switch op.Kind {
		case Alloc, Realloc:
			buf = append(buf, ' ')
			buf = strconv.AppendUint(buf, op.Size, 10)
		case Free:
		default:
			return fmt.Errorf("write op %d: unknown kind %d", i, op.Kind)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
