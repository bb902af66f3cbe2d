// Package trace reads and writes allocation traces and replays them on any
// allocator, verifying every byte while measuring time and memory.
//
// # Glossary
//
//   - Trace: a sequence of Ops (Alloc, Free, Realloc) naming blocks by ID.
//     IDs need not be dense; a valid trace never frees an ID that is not
//     live and never allocates one that is.
//   - Target: the small adapter interface an allocator is driven through.
//     Optional interfaces add realloc (Reallocator), a footprint
//     (Footprinter, PeakFootprinter), a managed space (Spacer), moving blocks (Mover), a
//     consistency check (Checker), metadata size (MetadataSizer) and an
//     alignment promise (Aligner).
//   - Block: the target's name for a live block; Span: where it lies.
//   - footprint: the bytes of space, buffer or mappings the allocator needs
//     at a moment. utilization = peak live bytes / peak footprint.
//
// # Formats
//
// ReadRep and WriteRep handle the CS:APP malloc-lab .rep format: four
// header integers (suggested heap size, number of ids, number of ops,
// weight), then "a ID SIZE", "f ID", "r ID SIZE" lines. ReadProfile turns
// memkit's profiling logs ("==MP alloc;SIZE;0xADDR;FILE:LINE" and friends,
// the grammar the Ledger SDK allocator prints) into a trace, assigning IDs
// per live address. Readers never panic; malformed input gives a
// *SyntaxError carrying the line number, wrapping ErrSyntax.
//
// # Replay
//
// Replay(t, target, opts) runs in two phases:
//
//  1. The verified pass, on the given target. For each op:
//     a. Alloc: the target allocates max(size, 1) bytes; the block is
//     filled with a pattern derived from the index of the allocating op
//     (every byte has its low bit set, so zeroed memory never passes);
//     its span is checked (at least the requested size, inside the space,
//     aligned) and inserted into an ordered set of live spans, which
//     refuses it if it overlaps its predecessor or successor.
//     b. Free: the block's pattern is verified, then it is freed and its
//     span removed.
//     c. Realloc: the pattern is verified; after the target's realloc (or
//     alloc-copy-free for targets without one) the preserved prefix is
//     verified at the new place and the tail filled.
//     d. Mover targets: when the move counter changed, every live block's
//     span is fetched again and every block verified.
//     e. Live bytes and the footprint are recorded; a timeline keeps
//     Options.Points samples of them.
//     At the end the target's Check runs. The first fault stops the replay
//     with a *VerifyError naming the op and the Problem (Corrupt, Overlap,
//     BadSpan, FreeFailed, CheckFailed).
//  2. The timed passes, each on a fresh target from Options.New, without
//     any verification: ops are timed in batches of Options.Batch, each
//     batch giving one ns-per-op sample, from which the p50, p99, p99.9
//     and max are taken. Optional warm-up passes run first, untimed. The
//     first timed pass also takes the heap map at the op where live bytes
//     peaked in the verified pass.
//
// An allocation the target refuses (out of memory, a size it does not
// serve) is not a fault: it is counted in Result.Failed, and later ops on
// that ID are skipped.
//
// # Complexity and memory
//
// The verified pass costs O(log n) per op for the span set (a treap in
// flat arrays, n live blocks) plus the bytes filled and checked; a move
// costs O(n log n) plus verifying every live byte. The timed passes add
// only a slot table indexed by dense IDs.
//
// # Concurrency
//
// Replay drives its target from the calling goroutine only. Readers and
// writers hold no state between calls and may run in parallel.
package trace
