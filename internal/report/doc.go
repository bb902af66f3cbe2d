// Package report writes the memkit command's HTML report: one
// self-contained file (inline CSS and SVG, no script, no network) that
// shows, for each workload, a summary table, the latency distribution of
// every allocator, its footprint and utilization over the run, and heap
// maps of the managed space at peak use and at the end.
//
// # Charts
//
// The charts are drawn with gonum.org/v1/plot into SVG and inlined; each
// sits in a <div class="chart" data-chart="KIND"> so that a checker (the
// repository's .ci/check-report) can find every chart in the rendered page
// and count what it drew. Kinds: "latency" (cumulative distribution of the
// per-op latency samples, log-scale time axis), "footprint" (bytes over
// ops, one line per allocator and a dashed line for live bytes),
// "utilization" (live / footprint over ops, in percent) and "heapmap".
//
// # Heap maps
//
// A heap map is plain SVG: the space is cut into buckets laid out in rows
// of mapWidth pixels, each bucket coloured by the fraction of it that live
// blocks cover (grey: a hole; dark blue: all live), with neighbouring
// buckets of the same shade merged into one rectangle. For allocators over
// one space the map covers offsets 0 to the highest byte used in either
// map; for those that hand out addresses, clusters of blocks are drawn
// side by side and the long empty stretches between them (other mappings)
// are squeezed to a thin red break mark.
package report
