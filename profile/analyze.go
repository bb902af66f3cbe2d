// Analyze: the state machine that turns a profiling log into a Report.

package profile

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxLineLength is the longest line Analyze reads whole; longer lines are
// cut there and, if they hold a profiling marker, reported as long-line.
const MaxLineLength = 64 << 10

// DefaultMaxFindings is the number of findings a Report keeps when
// Options.MaxFindings is 0.
const DefaultMaxFindings = 10000

// Options tunes Analyze. The zero value is the default.
type Options struct {
	// MaxFindings caps Report.Findings (0: DefaultMaxFindings; negative:
	// no cap). Findings beyond it are counted, not kept.
	MaxFindings int
	// IgnoreTests turns off pytest markers: the log is split at inits only.
	IgnoreTests bool
}

// Analyze reads a profiling log from r and reports the misuse it shows:
// bad frees, leaks, and the heap's use over time. Any text may surround
// the profiling lines. The error is non-nil only when r fails; whatever
// the bytes, Analyze returns a Report and never panics.
func Analyze(r io.Reader, opts Options) (*Report, error) {
	a := newAnalyzer(opts)
	br := bufio.NewReaderSize(r, MaxLineLength)
	for {
		line, err := br.ReadSlice('\n')
		long := false
		if err == bufio.ErrBufferFull {
			long = true
			line = bytes.Clone(line)
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
		}
		if len(line) > 0 {
			a.line(line, long)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("profile: reading log after line %d: %w", a.rep.Lines, err)
		}
	}
	return a.finish(), nil
}

// block is a live block and whether it is persistent.
type block struct {
	LiveBlock
	persistent bool
}

// freed remembers a freed block to tell a double free from a wild one.
type freed struct {
	blk  LiveBlock
	line int
	site Site
}

// analyzer holds the state of one Analyze call.
type analyzer struct {
	rep         Report
	max         int
	ignoreTests bool
	collected   bool

	test    int      // index+1 into rep.Tests of the test in progress, 0 if none
	seg     *Segment // open segment, nil between a boundary and the next event
	live    map[uint64]block
	freed   map[uint64]freed
	overHit bool // over-heap already reported in this segment

	heapAddr, heapSize uint64 // last heap seen by an init
	heapKnown          bool

	files map[string]string // interned file names
}

func newAnalyzer(o Options) *analyzer {
	a := &analyzer{
		max:         o.MaxFindings,
		ignoreTests: o.IgnoreTests,
		live:        map[uint64]block{},
		freed:       map[uint64]freed{},
		files:       map[string]string{},
	}
	if a.max == 0 {
		a.max = DefaultMaxFindings
	}
	a.rep.Segments = []Segment{}
	a.rep.Tests = []Test{}
	a.rep.Findings = []Finding{}
	return a
}

func (a *analyzer) intern(s string) string {
	if v, ok := a.files[s]; ok {
		return v
	}
	if len(a.files) >= 1<<16 { // a hostile log gets no unbounded table
		return s
	}
	a.files[s] = s
	return s
}

// line handles one input line (with its terminator, if any).
func (a *analyzer) line(b []byte, long bool) {
	a.rep.Lines++
	n := a.rep.Lines
	b = bytes.TrimRight(b, "\r\n")
	if !utf8.Valid(b) {
		// Names and sites taken from the line end up in the report, whose
		// JSON form can carry only valid UTF-8: replace bad bytes here, once,
		// so the report reads the same in text and in JSON.
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	mi := bytes.Index(b, []byte(marker))
	if long {
		if mi >= 0 {
			a.find(Finding{Severity: Warning, Kind: KindLongLine, Line: n,
				Message: fmt.Sprintf("profiling line longer than %d bytes ignored", MaxLineLength)})
		}
		return
	}
	head := b
	if mi >= 0 {
		head = b[:mi]
	}
	if !a.ignoreTests {
		a.pytest(head, mi < 0, n)
	}
	if mi < 0 {
		return
	}
	ev, st, why := parseEvent(string(b[mi+len(marker):]), a.intern)
	switch st {
	case parsedUnknown:
		a.find(Finding{Severity: Warning, Kind: KindUnknownOp, Line: n, Message: why + " ignored"})
		return
	case parsedMalformed:
		a.find(Finding{Severity: Warning, Kind: KindMalformed, Line: n, Message: "malformed profiling line ignored: " + why})
		return
	}
	a.rep.Events++
	a.event(ev, n)
}

// pytest looks for pytest's markers in head, the text before any
// profiling marker (whole: there is none).
func (a *analyzer) pytest(head []byte, whole bool, n int) {
	if bytes.Contains(head, []byte("::")) {
		if id, status, ok := parseTest(string(head), a.collected); ok {
			a.testLine(id, status, n)
			return
		}
	}
	if a.test > 0 && len(head) > 0 && 'A' <= head[0] && head[0] <= 'Z' {
		if status, id, ok := parseOutcome(string(head)); ok {
			a.outcome(status, id)
			return
		}
	}
	if whole && bytes.Contains(head, []byte("collected ")) {
		if c, ok := parseCollected(string(head)); ok {
			a.collected = true
			a.rep.Collected = c
		}
	}
}

// testLine handles a line naming a pytest test.
func (a *analyzer) testLine(id, status string, n int) {
	if a.test > 0 && a.rep.Tests[a.test-1].Name == id {
		if status != "" {
			a.rep.Tests[a.test-1].Status = status
		}
		return
	}
	a.closeSegment(n, byTest)
	a.rep.Tests = append(a.rep.Tests, Test{Name: id, Line: n, Status: status})
	a.test = len(a.rep.Tests)
}

// outcome records a test's status from an outcome line: the test in
// progress when id is "", else the latest test of that name.
func (a *analyzer) outcome(status, id string) {
	if id == "" {
		a.rep.Tests[a.test-1].Status = status
		return
	}
	for i := len(a.rep.Tests) - 1; i >= 0; i-- {
		if a.rep.Tests[i].Name == id {
			a.rep.Tests[i].Status = status
			return
		}
	}
}

func (a *analyzer) testName() string {
	if a.test == 0 {
		return ""
	}
	return a.rep.Tests[a.test-1].Name
}

// openSegment starts a segment at line n.
func (a *analyzer) openSegment(n int, init bool) {
	a.rep.Segments = append(a.rep.Segments, Segment{
		Index: len(a.rep.Segments) + 1, Test: a.testName(), Line: n, Init: init,
		HeapAddr: Addr(a.heapAddr), HeapSize: a.heapSize, Persistent: []LiveBlock{},
	})
	a.seg = &a.rep.Segments[len(a.rep.Segments)-1]
	a.overHit = false
	clear(a.live)
	clear(a.freed)
}

// closeCause says why a segment ends.
type closeCause uint8

const (
	byInit closeCause = iota // an init in the same test: leaks are warnings
	byTest                   // a new test: leaks are errors
	byEOF                    // the end of the input: leaks are errors
)

// closeSegment ends the open segment at line n; its live non-persistent
// blocks become leak findings, their severity set by the cause.
func (a *analyzer) closeSegment(n int, cause closeCause) {
	s := a.seg
	if s == nil {
		return
	}
	blocks := make([]block, 0, len(a.live))
	for _, b := range a.live {
		blocks = append(blocks, b)
	}
	slices.SortFunc(blocks, func(x, y block) int { return cmp.Compare(x.Line, y.Line) })
	kind, sev, why := KindLeak, Error, "still live at the end of the input"
	switch cause {
	case byInit:
		kind, sev, why = KindReinitLeak, Warning, "still live when the heap was re-initialized in the same test"
	case byTest:
		why = "still live when the next test began"
	}
	for _, b := range blocks {
		if b.persistent {
			s.Persistent = append(s.Persistent, b.LiveBlock)
			continue
		}
		a.find(Finding{Severity: sev, Kind: kind, Line: n, Addr: b.Addr, Size: b.Size,
			AllocLine: b.Line, AllocSite: b.Site,
			Message: fmt.Sprintf("%d bytes at %v allocated at %v (line %d) %s", b.Size, b.Addr, b.Site, b.Line, why)})
	}
	s.EndLine = n
	t := a.curTest()
	if t != nil {
		t.Allocs += s.Allocs
		t.Persists += s.Persists
		t.Frees += s.Frees
		t.BytesAllocated = satAdd(t.BytesAllocated, s.BytesAllocated)
		t.PeakInUse = max(t.PeakInUse, s.PeakInUse)
	}
	r := &a.rep
	r.Allocs += s.Allocs
	r.Persists += s.Persists
	r.Frees += s.Frees
	r.BytesAllocated = satAdd(r.BytesAllocated, s.BytesAllocated)
	if s.PeakInUse > r.Peak.InUse {
		r.Peak = Peak{InUse: s.PeakInUse, Percent: s.PeakPercent, Segment: s.Index, Test: s.Test, Line: s.PeakLine}
	}
	a.seg = nil
}

func (a *analyzer) curTest() *Test {
	if a.test == 0 {
		return nil
	}
	return &a.rep.Tests[a.test-1]
}

// event applies one profiling event read at line n.
func (a *analyzer) event(ev event, n int) {
	if ev.op == opInit {
		a.closeSegment(n, byInit)
		a.heapAddr, a.heapSize, a.heapKnown = ev.addr, ev.size, true
		a.openSegment(n, true)
		return
	}
	if a.seg == nil {
		a.openSegment(n, false)
		if !a.heapKnown {
			a.find(Finding{Severity: Warning, Kind: KindBeforeInit, Line: n,
				Message: "profiling events before any heap init: heap size unknown, frees of unseen blocks are warnings"})
		}
	}
	s := a.seg
	switch ev.op {
	case opAlloc, opPersist:
		a.alloc(s, ev, n)
	case opFree:
		a.free(s, ev, n)
	}
}

func (a *analyzer) alloc(s *Segment, ev event, n int) {
	what := "alloc"
	if ev.op == opPersist {
		what = "persist"
	}
	if ev.addr == 0 {
		s.FailedAllocs++
		a.find(Finding{Severity: Warning, Kind: KindAllocFailed, Line: n, Size: ev.size, Site: ev.site,
			Message: fmt.Sprintf("%s of %d bytes at %v failed (address 0)", what, ev.size, ev.site)})
		return
	}
	if ev.op == opPersist {
		s.Persists++
	} else {
		s.Allocs++
	}
	s.BytesAllocated = satAdd(s.BytesAllocated, ev.size)
	if s.HeapSize > 0 {
		lo, hi := uint64(s.HeapAddr), satAdd(uint64(s.HeapAddr), s.HeapSize)
		if ev.addr < lo || ev.addr >= hi || ev.size > hi-ev.addr {
			a.find(Finding{Severity: Warning, Kind: KindOutsideHeap, Line: n, Addr: Addr(ev.addr), Size: ev.size, Site: ev.site,
				Message: fmt.Sprintf("%s of %d bytes at %v (%v) is not inside the heap %v..%v", what, ev.size, Addr(ev.addr), ev.site, Addr(lo), Addr(hi))})
		}
	}
	if old, ok := a.live[ev.addr]; ok {
		a.find(Finding{Severity: Error, Kind: KindOverlap, Line: n, Addr: Addr(ev.addr), Size: ev.size, Site: ev.site,
			AllocLine: old.Line, AllocSite: old.Site,
			Message: fmt.Sprintf("%s at %v returned %v, still live since line %d (%v)", what, ev.site, Addr(ev.addr), old.Line, old.Site)})
		s.InUse = satSub(s.InUse, old.Size)
	}
	delete(a.freed, ev.addr)
	a.live[ev.addr] = block{LiveBlock: LiveBlock{Addr: Addr(ev.addr), Size: ev.size, Site: ev.site, Line: n}, persistent: ev.op == opPersist}
	s.InUse = satAdd(s.InUse, ev.size)
	if s.InUse > s.PeakInUse {
		s.PeakInUse, s.PeakLine = s.InUse, n
		if s.HeapSize > 0 {
			s.PeakPercent = math.Round(float64(s.PeakInUse)/float64(s.HeapSize)*1e4) / 100
		}
		if s.HeapSize > 0 && s.PeakInUse > s.HeapSize && !a.overHit {
			a.overHit = true
			a.find(Finding{Severity: Warning, Kind: KindOverHeap, Line: n, Size: s.InUse,
				Message: fmt.Sprintf("%d bytes in use exceed the heap size %d", s.InUse, s.HeapSize)})
		}
	}
}

func (a *analyzer) free(s *Segment, ev event, n int) {
	if ev.addr == 0 {
		return // free(NULL) is a no-op in C
	}
	s.Frees++
	if b, ok := a.live[ev.addr]; ok {
		delete(a.live, ev.addr)
		s.InUse = satSub(s.InUse, b.Size)
		a.freed[ev.addr] = freed{blk: b.LiveBlock, line: n, site: ev.site}
		return
	}
	if f, ok := a.freed[ev.addr]; ok {
		a.find(Finding{Severity: Error, Kind: KindDoubleFree, Line: n, Addr: Addr(ev.addr), Size: f.blk.Size, Site: ev.site,
			AllocLine: f.blk.Line, AllocSite: f.blk.Site, PrevLine: f.line, PrevSite: f.site,
			Message: fmt.Sprintf("double free of %v at %v: already freed at %v (line %d); allocated at %v (line %d)",
				Addr(ev.addr), ev.site, f.site, f.line, f.blk.Site, f.blk.Line)})
		return
	}
	sev, why := Error, "never allocated in this segment"
	if !s.Init {
		sev, why = Warning, "not allocated since the log's view of this heap began (no init in this segment)"
	}
	a.find(Finding{Severity: sev, Kind: KindInvalidFree, Line: n, Addr: Addr(ev.addr), Site: ev.site,
		Message: fmt.Sprintf("free of %v at %v: %s", Addr(ev.addr), ev.site, why)})
}

// find records a finding, attributed to the open segment and test.
func (a *analyzer) find(f Finding) {
	f.Test = a.testName()
	if a.seg != nil {
		f.Segment = a.seg.Index
	}
	if f.Severity == Error {
		a.rep.Errors++
	} else {
		a.rep.Warnings++
	}
	if a.seg != nil {
		if f.Severity == Error {
			a.seg.Errors++
		} else {
			a.seg.Warnings++
		}
	}
	if t := a.curTest(); t != nil {
		if f.Severity == Error {
			t.Errors++
		} else {
			t.Warnings++
		}
	}
	if a.max >= 0 && len(a.rep.Findings) >= a.max {
		a.rep.FindingsDropped++
		return
	}
	a.rep.Findings = append(a.rep.Findings, f)
}

// finish closes the last segment and settles the verdict.
func (a *analyzer) finish() *Report {
	a.closeSegment(a.rep.Lines, byEOF)
	if a.rep.Events == 0 {
		a.find(Finding{Severity: Warning, Kind: KindNoEvents, Line: a.rep.Lines,
			Message: "no profiling lines (" + strconv.Quote(marker) + ") in the input"})
	}
	a.rep.Clean = a.rep.Errors == 0
	return &a.rep
}

// satAdd adds without wrapping past 2^64-1.
func satAdd(x, y uint64) uint64 {
	if s := x + y; s >= x {
		return s
	}
	return math.MaxUint64
}

// satSub subtracts without going below 0 (in-use totals saturate, so a
// saturated total may hold less than the sizes it still has to give back).
func satSub(x, y uint64) uint64 {
	if x < y {
		return 0
	}
	return x - y
}
