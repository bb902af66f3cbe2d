// Report: the analyzer's result types, their JSON form and the verdict.

package profile

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Addr is an address read from a profiling log. It prints, and encodes in
// JSON, as a lower-case hexadecimal string such as "0x20001f00", so that
// 64-bit values survive JSON readers that use float64 numbers.
type Addr uint64

// String returns the address as "0x" followed by lower-case hex digits.
func (a Addr) String() string { return "0x" + strconv.FormatUint(uint64(a), 16) }

// MarshalText encodes the address like String.
func (a Addr) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText accepts what MarshalText produces, in either case.
func (a *Addr) UnmarshalText(b []byte) error {
	v, ok := parseAddr(string(b))
	if !ok {
		return fmt.Errorf("profile: bad address %q", b)
	}
	*a = Addr(v)
	return nil
}

// Severity says how bad a Finding is. Any Error makes a Report not clean.
type Severity uint8

const (
	// Warning marks something suspicious, or a log that cannot be fully
	// trusted, that does not by itself prove a bug in the program.
	Warning Severity = iota
	// Error marks misuse of the heap proved by the log: a bad free, a leak,
	// an address handed out twice.
	Error
)

// String returns "warning" or "error".
func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// MarshalText encodes the severity like String.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts "warning" and "error".
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "warning":
		*s = Warning
	case "error":
		*s = Error
	default:
		return fmt.Errorf("profile: bad severity %q", b)
	}
	return nil
}

// Kind names the rule a Finding comes from. The values are stable: scripts
// may match on them. The severity table in the package documentation says
// which kinds are errors.
type Kind string

// The kinds of finding, with their severity.
const (
	KindDoubleFree  Kind = "double-free"  // error: free of a block already freed in this segment
	KindInvalidFree Kind = "invalid-free" // error (warning in a segment without init): free of an address never allocated
	KindLeak        Kind = "leak"         // error: block live when a new test begins or the input ends
	KindReinitLeak  Kind = "reinit-leak"  // warning: block live when the heap is re-initialized in the same test
	KindOverlap     Kind = "overlap"      // error: alloc returned an address that is still live
	KindBeforeInit  Kind = "before-init"  // warning: events with no init before them
	KindUnknownOp   Kind = "unknown-op"   // warning: "==MP <op>;..." with an operation this package does not know
	KindMalformed   Kind = "malformed"    // warning: a known operation with missing or unparsable fields
	KindLongLine    Kind = "long-line"    // warning: a profiling line longer than MaxLineLength, ignored
	KindOutsideHeap Kind = "outside-heap" // warning: block not inside the heap named by init
	KindOverHeap    Kind = "over-heap"    // warning: bytes in use exceed the heap size (once per segment)
	KindAllocFailed Kind = "alloc-failed" // warning: alloc or persist logged with address 0
	KindNoEvents    Kind = "no-events"    // warning: the input has no profiling line at all
)

// Finding is one problem found in a log.
type Finding struct {
	Severity Severity `json:"severity"`
	Kind     Kind     `json:"kind"`
	// Line is the 1-based log line where the problem shows: the bad event,
	// or for leaks the line that ended the block's segment (the init, the
	// test marker, or the last line).
	Line int `json:"line"`
	// Segment is the 1-based index into Report.Segments, 0 if none.
	Segment int `json:"segment,omitempty"`
	// Test is the pytest node id in progress, "" outside tests.
	Test string `json:"test,omitempty"`
	// Addr and Size describe the block involved, when there is one.
	Addr Addr   `json:"addr,omitempty"`
	Size uint64 `json:"size,omitempty"`
	// Site is the source position logged by the event on Line.
	Site Site `json:"site,omitzero"`
	// AllocLine and AllocSite say where the block involved was allocated.
	AllocLine int  `json:"alloc_line,omitempty"`
	AllocSite Site `json:"alloc_site,omitzero"`
	// PrevLine and PrevSite name the earlier free of a double free.
	PrevLine int  `json:"prev_line,omitempty"`
	PrevSite Site `json:"prev_site,omitzero"`
	// Message is a one-line description for people.
	Message string `json:"message"`
}

// LiveBlock is a block the analyzer saw allocated.
type LiveBlock struct {
	Addr Addr   `json:"addr"`
	Size uint64 `json:"size"`
	Site Site   `json:"site"` // allocation site
	Line int    `json:"line"` // log line of the allocation
}

// Segment is the stretch of a log between two boundaries (an init, a new
// test, the end of input) during which one heap's live blocks are tracked.
type Segment struct {
	Index int    `json:"index"`          // 1-based position in Report.Segments
	Test  string `json:"test,omitempty"` // test in progress, "" outside tests
	// Line is the line of the init that opened the segment, or of its first
	// event when it has no init; EndLine is the line that closed it.
	Line    int  `json:"line"`
	EndLine int  `json:"end_line"`
	Init    bool `json:"init"` // opened by an init line
	// HeapAddr and HeapSize come from the segment's init, or are inherited
	// from the previous segment when it has none; HeapSize 0 means unknown.
	HeapAddr Addr   `json:"heap_addr"`
	HeapSize uint64 `json:"heap_size"`
	// Allocs and Persists count successful alloc and persist events,
	// FailedAllocs those logged with address 0, Frees the free events of
	// non-null addresses (good or bad).
	Allocs       int `json:"allocs"`
	Persists     int `json:"persists"`
	FailedAllocs int `json:"failed_allocs"`
	Frees        int `json:"frees"`
	// BytesAllocated sums the sizes of all allocs and persists (saturating
	// at 2^64-1); InUse is the live total when the segment closed;
	// PeakInUse the largest live total, first reached at PeakLine;
	// PeakPercent is PeakInUse as a percentage of HeapSize (0 when the
	// heap size is unknown).
	BytesAllocated uint64  `json:"bytes_allocated"`
	InUse          uint64  `json:"in_use"`
	PeakInUse      uint64  `json:"peak_in_use"`
	PeakLine       int     `json:"peak_line"`
	PeakPercent    float64 `json:"peak_percent"`
	// Persistent lists the persistent blocks live when the segment closed,
	// in allocation order. They are never leaks.
	Persistent []LiveBlock `json:"persistent"`
	// Errors and Warnings count this segment's findings.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// Test is one pytest test seen in the log.
type Test struct {
	Name   string `json:"name"`             // node id, such as "tests/test_x.py::test_sign[nanosp]"
	Line   int    `json:"line"`             // line that named it first
	Status string `json:"status,omitempty"` // PASSED, FAILED, SKIPPED, XFAIL, XPASS or ERROR when logged
	// Totals over the test's segments.
	Allocs         int    `json:"allocs"`
	Persists       int    `json:"persists"`
	Frees          int    `json:"frees"`
	BytesAllocated uint64 `json:"bytes_allocated"`
	PeakInUse      uint64 `json:"peak_in_use"`
	Errors         int    `json:"errors"`
	Warnings       int    `json:"warnings"`
}

// Peak is the largest number of bytes in use in any segment.
type Peak struct {
	InUse   uint64  `json:"in_use"`
	Percent float64 `json:"percent"`        // of that segment's heap size, 0 if unknown
	Segment int     `json:"segment"`        // 1-based, 0 when nothing was ever in use
	Test    string  `json:"test,omitempty"` // test in progress
	Line    int     `json:"line"`           // where it was first reached
}

// Report is the result of Analyze. Its JSON form (WriteJSON) uses the
// field names given in the package documentation, which are stable.
// A Report is plain data: safe to read from many goroutines, not to modify
// while others read it. Reports come from Analyze; the zero Report holds
// no verdict (its Clean is false).
type Report struct {
	Clean     bool `json:"clean"` // no Error finding
	Errors    int  `json:"errors"`
	Warnings  int  `json:"warnings"`
	Lines     int  `json:"lines"`     // lines read
	Events    int  `json:"events"`    // profiling lines understood
	Collected int  `json:"collected"` // N of pytest's "collected N items", 0 if absent
	// Totals over all segments.
	Allocs         int    `json:"allocs"`
	Persists       int    `json:"persists"`
	Frees          int    `json:"frees"`
	BytesAllocated uint64 `json:"bytes_allocated"`
	Peak           Peak   `json:"peak"`

	Segments []Segment `json:"segments"`
	Tests    []Test    `json:"tests"`
	Findings []Finding `json:"findings"` // in the order found, at most Options.MaxFindings
	// FindingsDropped counts findings beyond Options.MaxFindings; they are
	// still counted in Errors and Warnings.
	FindingsDropped int `json:"findings_dropped"`
}

// WriteJSON writes the report as one indented JSON object followed by a
// newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
