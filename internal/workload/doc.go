// Package workload generates the synthetic, seeded workloads shared by the
// benchmarks of every allocator package and by the memkit command.
//
// Churn is the steady-state loop behind every BenchmarkAllocFree: a heap is
// filled with Live blocks, then each step frees a randomly chosen live block
// and allocates a new one of a random size in its place. The stream of
// victims and sizes is computed before timing starts, so the timed loop does
// nothing but allocator work and two array reads.
package workload
