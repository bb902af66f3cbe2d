// Package alloctest is the test kit every memkit allocator shares.
//
// It has four parts:
//
//   - Op streams (ops.go): Generate makes a seeded random stream of
//     allocations, frees, reallocs, double and interior frees; Decode turns
//     arbitrary fuzz bytes into such a stream, so every fuzz input is a valid
//     test.
//   - Patterns (pattern.go): Fill writes a byte pattern derived from a
//     block's seed and Verify finds the first byte that differs, so a block
//     disturbed by a neighbour's write, a bad move or a bad merge is caught.
//   - Invariants (check.go): CheckSpans verifies that live blocks lie inside
//     the space, are aligned and never overlap.
//   - The conformance runner (run.go): Exec applies a stream to an allocator,
//     seen through the small Target adapter, and to a reference model of live
//     blocks, and after every op compares results, contents, layout, the
//     allocator's own Check and, when offered, its statistics. Run does the
//     same for many seeds.
//
// An allocator's test file provides an adapter (a dozen lines) and calls Run
// from a test and Exec from a fuzz target.
package alloctest
