// Line parsing: profiling events, pytest markers, numbers and sites.

package profile

import (
	"strconv"
	"strings"
)

// marker introduces a profiling line; anything before it is a prefix.
const marker = "==MP"

// op is a profiling operation.
type op uint8

const (
	opInit op = iota
	opAlloc
	opPersist
	opFree
)

// event is one parsed profiling line.
type event struct {
	op   op
	addr uint64
	size uint64 // init, alloc, persist
	site Site   // alloc, persist, free
}

// parseStatus says why parseEvent failed.
type parseStatus uint8

const (
	parsedOK parseStatus = iota
	parsedUnknown
	parsedMalformed
)

// parseEvent parses the text after the marker ("init;0x...;4096"). On
// failure, why is a short reason for the finding's message.
func parseEvent(s string, intern func(string) string) (ev event, st parseStatus, why string) {
	if s == "" || (s[0] != ' ' && s[0] != '\t') {
		return ev, parsedMalformed, "no blank after " + marker
	}
	// Split into at most 6 fields without allocating; a sixth means "more".
	var buf [6]string
	fields := buf[:0]
	for rest := s; ; {
		f, tail, more := strings.Cut(rest, ";")
		if len(fields) == len(buf) {
			break
		}
		fields = append(fields, strings.TrimSpace(f))
		if !more {
			break
		}
		rest = tail
	}
	name := fields[0]
	want := 0
	switch {
	case strings.EqualFold(name, "init"):
		ev.op, want = opInit, 3
	case strings.EqualFold(name, "alloc"):
		ev.op, want = opAlloc, 4
	case strings.EqualFold(name, "persist"):
		ev.op, want = opPersist, 4
	case strings.EqualFold(name, "free"):
		ev.op, want = opFree, 3
	default:
		return ev, parsedUnknown, "unknown operation " + strconv.Quote(clip(name, 32))
	}
	if len(fields) != want {
		got := strconv.Itoa(len(fields) - 1)
		if len(fields) == len(buf) {
			got = "more"
		}
		return ev, parsedMalformed, name + " wants " + strconv.Itoa(want-1) + " fields, got " + got
	}
	var ok bool
	switch ev.op {
	case opInit:
		if ev.addr, ok = parseAddr(fields[1]); !ok {
			return ev, parsedMalformed, "bad address " + strconv.Quote(clip(fields[1], 32))
		}
		if ev.size, ok = parseSize(fields[2]); !ok {
			return ev, parsedMalformed, "bad size " + strconv.Quote(clip(fields[2], 32))
		}
	case opAlloc, opPersist:
		if ev.size, ok = parseSize(fields[1]); !ok {
			return ev, parsedMalformed, "bad size " + strconv.Quote(clip(fields[1], 32))
		}
		if ev.addr, ok = parseAddr(fields[2]); !ok {
			return ev, parsedMalformed, "bad address " + strconv.Quote(clip(fields[2], 32))
		}
		ev.site = parseSite(fields[3], intern)
	case opFree:
		if ev.addr, ok = parseAddr(fields[1]); !ok {
			return ev, parsedMalformed, "bad address " + strconv.Quote(clip(fields[1], 32))
		}
		ev.site = parseSite(fields[2], intern)
	}
	return ev, parsedOK, ""
}

// parseAddr reads 1 to 16 hexadecimal digits in any case, with or without
// a "0x"/"0X" prefix.
func parseAddr(s string) (uint64, bool) {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}

// parseSize reads a decimal uint64 (digits only, no sign).
func parseSize(s string) (uint64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// parseSite reads "FILE:LINE". Text after the first blank is ignored (pytest
// run with -s may print a test's status on the same line). Without a
// decimal line number after the last ':', the whole text is the file.
func parseSite(s string, intern func(string) string) Site {
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if n, err := strconv.ParseUint(s[i+1:], 10, 31); err == nil {
			return Site{File: intern(s[:i]), Line: int(n)}
		}
	}
	return Site{File: intern(s)}
}

// pytest outcomes that may follow a node id on its line.
var outcomes = [...]string{"PASSED", "FAILED", "SKIPPED", "XFAIL", "XPASS", "ERROR"}

// parseTest recognizes a line that starts with a pytest node id
// ("tests/test_x.py::test_y[p]", optionally followed by an outcome). The
// path before "::" must end in ".py" unless a "collected N items" line
// was seen, after which any path made of path characters that holds a '.'
// or a '/' is accepted (plugins collect tests from other files).
func parseTest(line string, collected bool) (id, status string, ok bool) {
	line = strings.TrimSpace(line)
	id, rest, _ := strings.Cut(line, " ")
	if t, _, found := strings.Cut(id, "\t"); found {
		id, rest = t, line[len(t)+1:]
	}
	path, name, found := strings.Cut(id, "::")
	if !found || path == "" || name == "" || strings.HasPrefix(name, ":") {
		return "", "", false
	}
	if !strings.HasSuffix(path, ".py") {
		if !collected {
			return "", "", false
		}
		if !strings.ContainsAny(path, "./") {
			return "", "", false // "std::vector" and the like
		}
		for i := 0; i < len(path); i++ {
			c := path[i]
			if !(c == '/' || c == '.' || c == '_' || c == '-' || c == '\\' ||
				'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return "", "", false
			}
		}
	}
	word, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	for _, o := range outcomes {
		if word == o {
			status = o
		}
	}
	return id, status, true
}

// parseOutcome recognizes a line that starts with a pytest outcome: alone
// (pytest -v -s prints it after the test's output, maybe followed by a
// progress mark like "[ 50%]"), or followed by a node id (the "-rA" short
// summary). id is "" in the first form.
func parseOutcome(line string) (status, id string, ok bool) {
	line = strings.TrimSpace(line)
	word, rest, _ := strings.Cut(line, " ")
	for _, o := range outcomes {
		if word == o {
			status = o
		}
	}
	if status == "" {
		return "", "", false
	}
	rest = strings.TrimSpace(rest)
	if rest == "" || rest[0] == '[' {
		return status, "", true
	}
	if id, _, ok := parseTest(rest, true); ok {
		return status, id, true
	}
	return "", "", false
}

// parseCollected recognizes pytest's "collected N items" (or "1 item").
func parseCollected(line string) (int, bool) {
	i := strings.Index(line, "collected ")
	if i < 0 {
		return 0, false
	}
	rest := line[i+len("collected "):]
	j := 0
	for j < len(rest) && '0' <= rest[j] && rest[j] <= '9' {
		j++
	}
	if j == 0 || !strings.HasPrefix(rest[j:], " item") {
		return 0, false
	}
	n, err := strconv.Atoi(rest[:j])
	if err != nil {
		return 0, false
	}
	return n, true
}

// clip shortens s to at most n bytes for messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
