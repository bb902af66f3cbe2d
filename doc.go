// Package memkit is a family of instantiable memory allocators for memory the
// Go garbage collector does not manage, or must not manage: an external
// device's address space, a caller's buffer, pages mapped from the operating
// system, a file mapped into memory.
//
// This root package holds only what the family shares: the sentinel errors
// every allocator wraps (ErrOutOfMemory, ErrInvalidFree, ErrDoubleFree, ...),
// so that errors.Is works whichever allocator produced an error.
//
// # Which allocator for which job
//
//   - offset: ranges of an address space the CPU may not map (SPI RAM, GPU or
//     DMA buffers, free space inside a file). It hands out offsets and keeps
//     all bookkeeping in ordinary memory. O(1) good-fit or address-ordered
//     first-fit, per-call alignment, snapshots.
//   - bufheap: a whole heap inside one []byte or mapped file, its control
//     block included, so the heap survives a restart. Utilities (Calloc,
//     Strdup, FreeAndNil, persistent blocks), corruption checks on every
//     header, and profiling lines read by package profile.
//   - malloc: Malloc, Calloc, Realloc, Free over pages mapped from the OS,
//     off the GC heap, for programs holding millions of byte blobs. Fine
//     size classes, large mappings, a concurrent mode, a debug mode.
//   - compact: a heap in a caller's buffer whose blocks may move to defeat
//     fragmentation; references stay valid through stable handles or
//     tracked slices; eager, lazy or manual compaction with budgets.
//   - pool: fixed-size block pools with O(1) operations and measured
//     worst-case times, for loops with deadlines.
//
// Supporting packages: profile (allocation event logs, a leak and misuse
// analyzer, pprof export) and trace (malloc-lab and memkit traces, and a
// verifying replay engine). The memkit command benchmarks all of them
// against their peers: go run ./cmd/memkit bench.
//
// # Conventions
//
// Sizes that index Go memory are int; offsets into an external space are
// uint64. Errors are returned, never panicked, for anything a caller can
// pass in, and a failed call changes nothing. Every allocator has Check
// (a full walk of its metadata) and Stats. Memory handed out by memkit
// must never hold Go pointers: the garbage collector does not see it.
package memkit
