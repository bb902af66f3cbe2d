// The bench subcommand: every allocator and its peers on the built-in workloads.

package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/memkit/memkit/internal/targets"
	"github.com/memkit/memkit/internal/workload"
)

func init() {
	register(command{name: "bench", summary: "run every allocator and its peers on built-in workloads", run: runBench})
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	only := fs.String("only", "", "comma-separated `allocators` to run (a package name selects all its variants)")
	work := fs.String("workloads", "", "comma-separated `workloads` to run (default all)")
	quick := fs.Bool("quick", false, "small workloads and one timed pass: a few seconds in all")
	var out output
	out.flags(fs)
	count := fs.Int("count", 0, "timed passes per allocator and workload (default 3, 1 with -quick)")
	batch := fs.Int("batch", 16, "ops timed together for one latency sample")
	var space uint64
	fs.Var(sizeFlag{&space}, "space", "`size` of the space given to fixed-space allocators, e.g. 64M (default: fitted to each workload)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: memkit bench [flags]")
		fmt.Fprintln(stderr, "\nRuns every allocator (memkit's and the baselines, marked *) on built-in,")
		fmt.Fprintln(stderr, "seeded workloads, verifying every block's contents, and prints ns per op,")
		fmt.Fprintln(stderr, "latency percentiles, utilization and metadata per block.")
		fmt.Fprintln(stderr, "\nallocators:")
		for _, s := range targets.All() {
			fmt.Fprintf(stderr, "  %-18s %s\n", s.Name, s.About)
		}
		fmt.Fprintln(stderr, "\nworkloads:")
		for _, s := range workload.Builtin() {
			fmt.Fprintf(stderr, "  %-18s %s\n", s.Name, s.About)
		}
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "memkit bench: unexpected arguments %q (traces go to memkit replay)\n", fs.Args())
		return 2
	}
	if !out.valid("bench", stderr) {
		return 2
	}
	if *count < 0 || *batch < 1 {
		fmt.Fprintln(stderr, "memkit bench: -count must be ≥ 0 and -batch ≥ 1")
		return 2
	}
	specs, err := targets.Select(*only)
	if err != nil {
		fmt.Fprintf(stderr, "memkit bench: -only: %v\n", err)
		return 2
	}
	works, err := workload.Select(workload.Builtin(), *work)
	if err != nil {
		fmt.Fprintf(stderr, "memkit bench: -workloads: %v\n", err)
		return 2
	}
	runs := *count
	if runs == 0 {
		runs = 3
		if *quick {
			runs = 1
		}
	}
	var jobs []job
	for _, w := range works {
		jobs = append(jobs, job{name: w.Name, about: w.About, tr: w.Make(*quick)})
	}
	rows := measure(jobs, specs, measureOpts{runs: runs, space: space, maps: out.html != "", batch: *batch},
		newProgress(stderr, len(jobs)*len(specs)))
	return finish("bench", "Bench", args, jobs, rows, out, stdout, stderr)
}
