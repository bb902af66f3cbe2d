// The replay subcommand: traces (.rep or profiling logs) replayed on chosen allocators, verified.

package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/memkit/memkit/internal/targets"
	"github.com/memkit/memkit/internal/workload"
	"github.com/memkit/memkit/trace"
)

func init() {
	register(command{name: "replay", summary: "replay allocation traces on allocators, verifying every byte", run: runReplay})
}

func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	alloc := fs.String("alloc", "", "comma-separated `allocators` (a package name selects all its variants; default all)")
	var out output
	out.flags(fs)
	count := fs.Int("count", 1, "timed passes per allocator and trace")
	batch := fs.Int("batch", 16, "ops timed together for one latency sample")
	var space uint64
	fs.Var(sizeFlag{&space}, "space", "`size` of the space given to fixed-space allocators, e.g. 64M (default: fitted to each trace)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: memkit replay [flags] [trace ...]")
		fmt.Fprintln(stderr, "\nReplays each trace (a CS:APP malloc-lab .rep file, or a profiling log of")
		fmt.Fprintln(stderr, "==MP lines) on the allocators, filling every block with a pattern and")
		fmt.Fprintln(stderr, "checking it before every free and realloc and after any move, and")
		fmt.Fprintln(stderr, "checking that live blocks never overlap. Without a trace, replays the")
		fmt.Fprintln(stderr, "built-in ones. Exit status 1 when a verification fails.")
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if !out.valid("replay", stderr) {
		return 2
	}
	if *count < 1 || *batch < 1 {
		fmt.Fprintln(stderr, "memkit replay: -count and -batch must be ≥ 1")
		return 2
	}
	specs, err := targets.Select(*alloc)
	if err != nil {
		fmt.Fprintf(stderr, "memkit replay: -alloc: %v\n", err)
		return 2
	}
	var jobs []job
	if fs.NArg() == 0 {
		ts, err := workload.Embedded()
		if err != nil {
			fmt.Fprintf(stderr, "memkit replay: built-in traces: %v\n", err)
			return 2
		}
		for _, t := range ts {
			jobs = append(jobs, job{name: t.Name, about: "built-in trace", tr: t})
		}
	}
	for _, file := range fs.Args() {
		t, err := readTrace(file)
		if err != nil {
			fmt.Fprintf(stderr, "memkit replay: %v\n", err)
			return 2
		}
		about := fmt.Sprintf("%s, %d ops", file, len(t.Ops))
		if t.Dropped > 0 {
			about += fmt.Sprintf(", %d log events dropped", t.Dropped)
		}
		jobs = append(jobs, job{name: t.Name, about: about, tr: t})
	}
	rows := measure(jobs, specs, measureOpts{runs: *count, space: space, maps: out.html != "", batch: *batch},
		newProgress(stderr, len(jobs)*len(specs)))
	return finish("replay", "Replay", args, jobs, rows, out, stdout, stderr)
}

// readTrace reads a .rep file, or a profiling log when the file holds
// "==MP" lines. The trace is named after the file.
func readTrace(file string) (*trace.Trace, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(file)
	if bytes.Contains(data, []byte("==MP")) {
		return trace.ReadProfile(bytes.NewReader(data), name)
	}
	return trace.ReadRep(bytes.NewReader(data), name)
}
