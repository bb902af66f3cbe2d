// Package targets adapts every allocator the memkit command measures, memkit's
// own and the baselines, to trace.Target.
//
// Each allocator is one small file that registers a Spec in its init
// function: a name, a one-line description, and a constructor that sizes
// the allocator for a workload from a Plan. The bench and replay commands
// list the registry; adding an allocator to them is adding one file here.
//
// # Glossary
//
//   - Spec: a registered allocator, with Name (as in -only/-alloc lists and
//     benchmark names, e.g. "offset-goodfit", "go") and Baseline (a peer,
//     not memkit's).
//   - Plan: what a constructor may know of the workload before it starts:
//     the trace's Summary (peak live bytes and blocks, largest request) and
//     the Space to manage for allocators over a fixed space or buffer.
//   - table: the slot table adapters over []byte allocators keep, mapping a
//     trace.Block (a slot number) to the slice the allocator returned.
//
// # Footprint
//
// Allocators over one space or buffer (offset, bufheap, compact, pool)
// implement trace.Spacer: their footprint is the end of their highest live
// block, the smallest space that would have held the same layout. Those
// over OS memory report what they mapped (malloc). The Go baseline reports
// the sum of the size-class-rounded capacities of its live slices (the
// garbage collector's headroom is not counted), sync.Pool the sum of its
// power-of-two buckets in use; modernc.org/memory does not say (its
// counters need a build tag), so its utilization is shown as unknown.
//
// # Concurrency
//
// Targets are driven from one goroutine; none is safe for concurrent use.
package targets
