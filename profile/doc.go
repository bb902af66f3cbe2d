// Package profile reads and writes allocation profiling logs, finds leaks
// and bad frees in them, and exports live blocks as pprof heap profiles.
//
// The log format is the one Ledger's secure-element SDK prints, so logs
// captured from those devices (through speculos and pytest) are analyzed
// as well as logs written by memkit's own allocators through a Writer.
//
// # Glossary
//
//   - Event: one profiling line (init, alloc, persist or free).
//   - Block: an allocated address and its size, live from its alloc or
//     persist event until its free event.
//   - Persistent block: a block from a persist event. It is meant to live
//     until the heap is re-initialized and is never a leak.
//   - Segment: the stretch of the log during which one heap's live blocks
//     are tracked (see Segmentation).
//   - Test: a pytest test, named by its node id ("tests/test_x.py::test_y[p]").
//   - Finding: a problem, with a Kind, a Severity and the log line number.
//
// # Line grammar
//
// A profiling line is any line containing the marker "==MP"; text before
// the marker is a prefix and is ignored (for example "seproxyhal: printf: ").
// After the marker come at least one blank and then ';'-separated fields
// (blanks around fields are ignored):
//
//	==MP init;ADDR;SIZE              a heap of SIZE bytes at ADDR was (re)initialized
//	==MP alloc;SIZE;ADDR;SITE        SIZE bytes allocated at ADDR by SITE
//	==MP persist;SIZE;ADDR;SITE      like alloc, the block is persistent
//	==MP free;ADDR;SITE              the block at ADDR freed by SITE
//
//	ADDR = ["0x" | "0X"] 1 to 16 hexadecimal digits, any case
//	SIZE = decimal digits, at most 2^64-1
//	SITE = FILE ":" LINE  (text after a blank is ignored; without a decimal
//	       LINE after the last ':' the whole field is the FILE)
//
// Operation names match in any case. Lines end in "\n" or "\r\n"; a last
// line without a terminator counts. Lines longer than MaxLineLength are
// skipped. A realloc is logged as the free of the old block followed by the
// alloc of the new one, in place or not. An alloc or persist of address 0
// is a failed allocation; a free of address 0 is a no-op, as free(NULL) is
// in C. Writer produces exactly this grammar with lower-case hex addresses.
//
// # Test markers
//
// Unless Options.IgnoreTests is set, pytest's output splits the log into
// tests (pytest run with -v -s prints them interleaved with the device's
// output):
//
//  1. "collected N items" records N and starts the test list: from then on
//     a node id's path may be any path holding a '.' or '/'; before it,
//     the path must end in ".py" (so that "std::vector" is no test).
//  2. A line whose first word is a node id PATH::NAME starts that test,
//     unless it names the test already in progress. An outcome word after
//     it (PASSED, FAILED, SKIPPED, XFAIL, XPASS, ERROR) is its status.
//  3. A line that is an outcome word alone (maybe followed by "[ 50%]")
//     sets the status of the test in progress; an outcome followed by a
//     node id (pytest -rA's summary) sets that test's status.
//
// A node id may precede a profiling marker on the same line.
// Without markers the whole log belongs to no test.
//
// # Segmentation
//
//  1. Each init event closes the open segment and opens a new one with
//     the init's heap address and size.
//  2. Each new test closes the open segment; the next event opens a new
//     one. If that event is not an init, the segment has no init of its
//     own and inherits the last heap seen (if any).
//  3. The end of input closes the open segment.
//  4. When a segment closes, its live persistent blocks are listed in
//     Segment.Persistent and its other live blocks are leaks: warnings
//     (reinit-leak) when an init in the same test closed it (the heap was
//     reclaimed), errors (leak) when a new test or the end of input did.
//
// Within a segment a free of a live block releases it; a free of an address
// freed earlier in the segment and not allocated since is a double free;
// any other free is an invalid free. A segment without an init cannot know
// what was allocated before it, so there an invalid free is only a warning.
//
// # Figures
//
// Per segment: allocs, persists, failed allocs, frees, bytes allocated
// (allocs plus persists, over time), bytes in use at the close, the peak in
// use with its line and its percentage of the heap size (rounded to 0.01,
// 0 when the size is unknown). Per test and for the whole report: the sums,
// and the largest peak. Byte counts saturate at 2^64-1 instead of wrapping.
//
// # Severities
//
//	kind          severity   when
//	double-free   error      free of a block already freed in the segment
//	invalid-free  error      free of an address never allocated in the segment
//	              warning    ... in a segment without an init of its own
//	leak          error      non-persistent block live when a new test begins or input ends
//	overlap       error      alloc returned an address still live (the old block is dropped)
//	reinit-leak   warning    non-persistent block live when the heap is re-initialized in the same test
//	before-init   warning    first event of a segment opened before any init (heap unknown)
//	unknown-op    warning    "==MP" with an operation other than the four above (ignored)
//	malformed     warning    a known operation with missing, extra or bad fields (ignored)
//	long-line     warning    a profiling line longer than MaxLineLength (ignored)
//	outside-heap  warning    a block not inside [heap address, heap address + heap size)
//	over-heap     warning    bytes in use exceed the heap size (once per segment)
//	alloc-failed  warning    alloc or persist of address 0
//	no-events     warning    no profiling line in the whole input
//
// Errors are misuse of the heap that the log proves; warnings are signs of
// trouble or of a log that cannot be fully trusted. A report is clean when
// it has no error. Ledger's own analyzer stops with an exception on events
// before any init and on unknown operations; here they are findings and
// the analysis goes on.
//
// # JSON
//
// Report.WriteJSON writes one object; the field names are stable. Addresses
// are strings "0x..." (lower case); sizes and counts are numbers; sites
// are {"file": string, "line": number}; lines are 1-based log line numbers.
//
//	{
//	  "clean": bool, "errors": n, "warnings": n, "lines": n, "events": n, "collected": n,
//	  "allocs": n, "persists": n, "frees": n, "bytes_allocated": n,
//	  "peak": {"in_use": n, "percent": x, "segment": n, "test": s?, "line": n},
//	  "segments": [{"index": n, "test": s?, "line": n, "end_line": n, "init": bool,
//	                "heap_addr": a, "heap_size": n, "allocs": n, "persists": n,
//	                "failed_allocs": n, "frees": n, "bytes_allocated": n, "in_use": n,
//	                "peak_in_use": n, "peak_line": n, "peak_percent": x,
//	                "persistent": [{"addr": a, "size": n, "site": site, "line": n}],
//	                "errors": n, "warnings": n}],
//	  "tests": [{"name": s, "line": n, "status": s?, "allocs": n, "persists": n, "frees": n,
//	             "bytes_allocated": n, "peak_in_use": n, "errors": n, "warnings": n}],
//	  "findings": [{"severity": "error"|"warning", "kind": s, "line": n, "segment": n?,
//	                "test": s?, "addr": a?, "size": n?, "site": site?, "alloc_line": n?,
//	                "alloc_site": site?, "prev_line": n?, "prev_site": site?, "message": s}],
//	  "findings_dropped": n
//	}
//
// Fields marked ? are left out when zero or empty.
//
// # Complexity and limits
//
// Analyze reads the log once, in O(lines) time; memory is O(live blocks +
// freed addresses) for the open segment plus the report. At most
// Options.MaxFindings findings are kept (DefaultMaxFindings by default);
// the rest are counted. At most 65536 distinct file names are shared
// between findings. Analyze never panics whatever the input: the only
// error it returns is the reader's.
//
// # pprof export
//
// WritePprof turns a list of live blocks into a gzipped pprof profile with
// the sample types inuse_objects/count and inuse_space/bytes (the default),
// one sample per distinct call stack, or per allocation site for blocks
// recorded without a stack; "go tool pprof" reads it.
//
// # Concurrency
//
// A Writer is not safe for concurrent use; guard it with the allocator's
// own lock. Analyze, WritePprof and Caller may be called from any number of
// goroutines. A Report is plain data: safe to read concurrently, not to
// modify while read.
package profile
