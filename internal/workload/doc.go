// Package workload generates the synthetic, seeded workloads shared by the
// benchmarks of every allocator package and by the memkit command.
//
// Churn is the steady-state loop behind every BenchmarkAllocFree: a heap is
// filled with Live blocks, then each step frees a randomly chosen live block
// and allocates a new one of a random size in its place. The stream of
// victims and sizes is computed before timing starts, so the timed loop does
// nothing but allocator work and two array reads.
//
// The trace generators (gen.go) produce trace.Traces for `memkit bench`
// and `memkit replay`, every one seeded and ending with nothing live:
//
//   - ChurnTrace, FixedTrace: the Churn stream as a trace, random sizes in
//     a range or one fixed size.
//   - Binary: long-lived blocks with short-lived small ones between them;
//     the small ones are freed and slightly larger blocks requested, which
//     the holes cannot serve (malloc-lab's "binary").
//   - Coalescing: two neighbours freed, then one block the size of both
//     (malloc-lab's "coalescing").
//   - Random: allocs and frees of random sizes in a random interleaving.
//   - Realloc: blocks grown by realloc between short-lived small blocks.
//
// Builtin lists the workloads of `memkit bench` at two scales (-quick is
// about 1,000 to 10,000 ops each). Embedded returns five .rep traces made
// by these generators and embedded in the binary (reps/), which `memkit
// replay` runs when given no file; `go generate` rewrites them and
// TestEmbeddedTraces checks that they still match their generators.
package workload
