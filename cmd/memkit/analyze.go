// The analyze subcommand: leak and misuse analysis of "==MP" profiling logs.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/memkit/memkit/profile"
)

// analyzeStdin is where "memkit analyze" reads when given no file or "-";
// tests replace it.
var analyzeStdin io.Reader = os.Stdin

func init() {
	register(command{
		name:    "analyze",
		summary: "find leaks and bad frees in a profiling log (==MP lines)",
		run:     runAnalyze,
	})
}

const analyzeUsage = `usage: memkit analyze [-q] [-color] [-json] [FILE|-]

Reads a profiling log (lines "==MP init|alloc|persist|free;...", as written
by memkit's allocators with a profile writer or by Ledger's SDK, with any
prefix before "==MP") from FILE or standard input, splits it into segments
at each init and into tests at pytest's markers, and reports bad frees,
leaks, persistent blocks and peak heap use.

Exit status: 0 no error found (warnings allowed), 1 errors found,
2 bad flags or unusable input (unreadable, or no profiling line at all).

flags:
`

// runAnalyze implements "memkit analyze".
func runAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quiet := fs.Bool("q", false, "print only the findings (nothing for a clean log)")
	color := fs.Bool("color", false, "mark severities with ANSI colours")
	asJSON := fs.Bool("json", false, "print the report as JSON (ignores -q and -color)")
	usage := func(w io.Writer) {
		fmt.Fprint(w, analyzeUsage)
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fs.Usage = func() {} // printed below, to stdout for -h and stderr otherwise
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0
		}
		usage(stderr)
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "memkit analyze: want at most one FILE, got %d arguments\n", fs.NArg())
		usage(stderr)
		return 2
	}
	name, in := "standard input", analyzeStdin
	if p := fs.Arg(0); p != "" && p != "-" {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintf(stderr, "memkit analyze: %v\n", err)
			return 2
		}
		defer f.Close()
		name, in = p, f
	}
	r, err := profile.Analyze(in, profile.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "memkit analyze: %s: %v\n", name, err)
		return 2
	}
	if *asJSON {
		err = r.WriteJSON(stdout)
	} else {
		err = r.WriteText(stdout, profile.TextOptions{Quiet: *quiet, Color: *color})
	}
	if err != nil {
		fmt.Fprintf(stderr, "memkit analyze: writing report: %v\n", err)
		return 2
	}
	switch {
	case r.Events == 0:
		fmt.Fprintf(stderr, "memkit analyze: %s: no profiling lines (==MP) found\n", name)
		return 2
	case !r.Clean:
		return 1
	}
	return 0
}
