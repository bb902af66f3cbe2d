// Shared by bench and replay: run allocators on traces, print tables, JSON and benchmark lines.

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/memkit/memkit/internal/report"
	"github.com/memkit/memkit/internal/targets"
	"github.com/memkit/memkit/trace"
)

// row is one allocator on one workload.
type row struct {
	Workload       string  `json:"workload"`
	Alloc          string  `json:"allocator"`
	Baseline       bool    `json:"baseline"`
	Ops            int     `json:"ops"`
	NsPerOp        float64 `json:"ns_per_op"`
	P50            float64 `json:"p50_ns"`
	P99            float64 `json:"p99_ns"`
	P999           float64 `json:"p999_ns"`
	Max            float64 `json:"max_ns"`
	PeakLive       uint64  `json:"peak_live_bytes"`
	PeakFootprint  uint64  `json:"peak_footprint_bytes,omitempty"`
	Utilization    float64 `json:"utilization,omitempty"` // 0: unknown
	MetaPerBlock   float64 `json:"metadata_bytes_per_block,omitempty"`
	Failed         int     `json:"failed"`
	FirstFailure   string  `json:"first_failure,omitempty"`
	Moves          uint64  `json:"moves,omitempty"`
	Error          string  `json:"verify_error,omitempty"`
	Skipped        string  `json:"skipped,omitempty"` // why the allocator could not be set up for the workload
	RunNs          []int64 `json:"run_ns,omitempty"`  // total time of each timed pass
	result         trace.Result
	verifyFailed   bool
	footprintKnown bool
}

// job is one workload to measure.
type job struct {
	name  string
	about string
	tr    *trace.Trace
}

// measureOpts are the knobs shared by bench and replay.
type measureOpts struct {
	runs  int
	space uint64
	maps  bool
	batch int
}

// measure runs every allocator on every job. Problems that stop one pair
// (a verification fault, a constructor error) are recorded in its row.
func measure(jobs []job, specs []targets.Spec, o measureOpts, progress *progressBar) []row {
	var rows []row
	for _, j := range jobs {
		plan := targets.NewPlan(j.tr, o.space)
		for _, s := range specs {
			progress.step(j.name + " " + s.Name)
			r := row{Workload: j.name, Alloc: s.Name, Baseline: s.Baseline}
			tg, err := s.New(plan)
			if err != nil {
				// Not a failed check: this allocator cannot be set up
				// for this workload (a buffer too large, a size it
				// does not serve).
				r.Skipped = err.Error()
				rows = append(rows, r)
				continue
			}
			res, err := trace.Replay(j.tr, tg, trace.Options{
				New:    func() (trace.Target, error) { return s.New(plan) },
				Runs:   o.runs,
				Warmup: 1,
				Batch:  o.batch,
				Maps:   o.maps,
			})
			if c, ok := tg.(io.Closer); ok {
				c.Close()
			}
			r.result = res
			r.Ops = res.Ops
			r.NsPerOp = res.NsPerOp
			r.P50, r.P99, r.P999, r.Max = res.Latency.P50, res.Latency.P99, res.Latency.P999, res.Latency.Max
			r.PeakLive, r.PeakFootprint = res.PeakLive, res.PeakFootprint
			r.Utilization = res.Utilization
			r.footprintKnown = res.FootprintKnown
			if res.MetadataPerBlock >= 0 {
				r.MetaPerBlock = res.MetadataPerBlock
			}
			r.Failed, r.Moves = res.Failed, res.Moves
			if res.FirstFailure != nil {
				r.FirstFailure = res.FirstFailure.Error()
			}
			for _, e := range res.Elapsed {
				r.RunNs = append(r.RunNs, e.Nanoseconds())
			}
			if err != nil {
				r.Error = err.Error()
				r.verifyFailed = true
			}
			rows = append(rows, r)
		}
	}
	progress.done()
	return rows
}

// output says how a command shows its rows: as a table (neither flag), as
// JSON, or as Go benchmark lines; and where to write the HTML report.
type output struct {
	json, benchfmt bool
	html           string
}

// flags defines -json, -benchfmt and -html on fs, filling o.
func (o *output) flags(fs *flag.FlagSet) {
	fs.BoolVar(&o.json, "json", false, "print JSON instead of a table")
	fs.BoolVar(&o.benchfmt, "benchfmt", false, "print Go benchmark lines (for benchstat) instead of a table")
	fs.StringVar(&o.html, "html", "", "also write an HTML report to `file`")
}

// valid reports whether the output flags fit together, saying why not.
func (o *output) valid(name string, stderr io.Writer) bool {
	if o.json && o.benchfmt {
		fmt.Fprintf(stderr, "memkit %s: -json and -benchfmt exclude each other\n", name)
		return false
	}
	return true
}

// finish shows rows as o says, writes the HTML report when asked, and
// returns the command's exit status: 2 when output failed, 1 when a
// verification failed, 0 otherwise. name is the subcommand ("bench"),
// prefix the benchmark-name prefix of -benchfmt lines ("Bench").
func finish(name, prefix string, args []string, jobs []job, rows []row, o output, stdout, stderr io.Writer) int {
	switch {
	case o.json:
		if err := printJSON(stdout, rows); err != nil {
			fmt.Fprintf(stderr, "memkit %s: %v\n", name, err)
			return 2
		}
	case o.benchfmt:
		printBenchfmt(stdout, prefix, rows)
	default:
		printTable(stdout, rows)
	}
	if o.html != "" {
		cmd := "memkit " + name + " " + strings.Join(args, " ")
		if err := writeHTML(o.html, "memkit "+name, strings.TrimSpace(cmd), jobs, rows); err != nil {
			fmt.Fprintf(stderr, "memkit %s: -html: %v\n", name, err)
			return 2
		}
	}
	if anyFailed(rows) {
		fmt.Fprintf(stderr, "memkit %s: verification failed (see FAULT lines)\n", name)
		return 1
	}
	return 0
}

// anyFailed reports whether a verification failed in rows.
func anyFailed(rows []row) bool {
	for _, r := range rows {
		if r.verifyFailed {
			return true
		}
	}
	return false
}

// printTable writes rows as an aligned table, then one line per fault.
func printTable(w io.Writer, rows []row) {
	head := []string{"workload", "allocator", "ops", "ns/op", "p50", "p99", "p99.9", "max", "util", "meta/blk", "failed"}
	cells := [][]string{head}
	for _, r := range rows {
		util := "-"
		if r.footprintKnown && r.Utilization > 0 {
			util = fmt.Sprintf("%.1f%%", 100*r.Utilization)
		}
		meta := "-"
		if r.MetaPerBlock > 0 {
			meta = fmt.Sprintf("%.1f", r.MetaPerBlock)
		}
		name := r.Alloc
		if r.Baseline {
			name += "*"
		}
		failed := fmt.Sprint(r.Failed)
		switch {
		case r.verifyFailed:
			failed = "FAULT"
		case r.Skipped != "":
			failed = "skipped"
		}
		cells = append(cells, []string{r.Workload, name, fmt.Sprint(r.Ops), ns(r.NsPerOp), ns(r.P50), ns(r.P99), ns(r.P999), ns(r.Max), util, meta, failed})
	}
	width := make([]int, len(head))
	for _, c := range cells {
		for i, s := range c {
			width[i] = max(width[i], len(s))
		}
	}
	for k, c := range cells {
		var b strings.Builder
		for i, s := range c {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len(s))
			if i < 2 {
				b.WriteString(s)
				if i < len(c)-1 {
					b.WriteString(pad)
				}
			} else {
				b.WriteString(pad + s)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if k == 0 {
			continue
		}
		if k < len(cells)-1 && cells[k+1][0] != c[0] {
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w, "\nns/op: median of the timed passes; p50..max: ns per op over batches of ops; util: peak live bytes /")
	fmt.Fprintln(w, "peak footprint; meta/blk: bookkeeping bytes per live block near the peak; failed: allocations refused; * baseline")
	for _, r := range rows {
		switch {
		case r.verifyFailed:
			fmt.Fprintf(w, "FAULT %s on %s: %s\n", r.Alloc, r.Workload, r.Error)
		case r.Skipped != "":
			fmt.Fprintf(w, "skipped %s on %s: %s\n", r.Alloc, r.Workload, r.Skipped)
		}
	}
}

// ns formats a time in nanoseconds with three significant digits.
func ns(v float64) string {
	switch {
	case v == 0 || math.IsNaN(v):
		return "-"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	case v < 1e5:
		return fmt.Sprintf("%.0f", v)
	case v < 1e8:
		return fmt.Sprintf("%.0fµs", v/1e3)
	}
	return fmt.Sprintf("%.0fms", v/1e6)
}

// printJSON writes rows as one JSON document.
func printJSON(w io.Writer, rows []row) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(struct {
		Rows []row `json:"results"`
	}{rows})
}

// printBenchfmt writes one Go benchmark line per timed pass, which
// benchstat reads: iterations are the trace's ops, and the percentiles
// are those of that pass.
func printBenchfmt(w io.Writer, cmd string, rows []row) {
	fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: github.com/memkit/memkit/cmd/memkit\n", runtime.GOOS, runtime.GOARCH)
	for _, r := range rows {
		if r.verifyFailed || r.Ops == 0 {
			continue
		}
		name := fmt.Sprintf("Benchmark%s/workload=%s/impl=%s", cmd, benchName(r.Workload), benchName(r.Alloc))
		for i, t := range r.RunNs {
			q := trace.Latency{P50: r.P50, P99: r.P99, Max: r.Max}
			if i < len(r.result.PerRun) {
				q = r.result.PerRun[i]
			}
			fmt.Fprintf(w, "%s\t%d\t%.2f ns/op\t%.1f p50-ns\t%.1f p99-ns\t%.1f max-ns", name, r.Ops, float64(t)/float64(r.Ops), q.P50, q.P99, q.Max)
			if r.footprintKnown && r.Utilization > 0 {
				fmt.Fprintf(w, "\t%.2f util-%%", 100*r.Utilization)
			}
			fmt.Fprintln(w)
		}
	}
}

// benchName makes s safe inside a benchmark name: no blanks, and no '='
// or '/' beyond the key=value structure.
func benchName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '/', '=':
			return '-'
		}
		return r
	}, s)
}

// writeHTML renders the report to file.
func writeHTML(file, title, command string, jobs []job, rows []row) error {
	d := report.Data{Title: title, Command: command, Generated: time.Now().UTC().Format(time.RFC3339)}
	for _, j := range jobs {
		w := report.Workload{Name: j.name, About: j.about, Ops: len(j.tr.Ops)}
		for _, r := range rows {
			if r.Workload != j.name {
				continue
			}
			w.Entries = append(w.Entries, report.Entry{Alloc: r.Alloc, Baseline: r.Baseline, Result: r.result, Error: r.Error, Skipped: r.Skipped})
		}
		d.Workloads = append(d.Workloads, w)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := report.Write(f, d); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// progressBar draws on stderr when it is a terminal, and does nothing
// otherwise (or when nil).
type progressBar struct {
	w     io.Writer
	total int
	n     int
}

// newProgress returns a bar for total steps when w is a terminal, else nil.
func newProgress(w io.Writer, total int) *progressBar {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progressBar{w: w, total: total}
}

func (p *progressBar) step(what string) {
	if p == nil {
		return
	}
	const width = 30
	fill := width * p.n / max(p.total, 1)
	if len(what) > 40 {
		what = what[:40]
	}
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %d/%d %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill), p.n, p.total, what)
	p.n++
}

func (p *progressBar) done() {
	if p == nil {
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
}
