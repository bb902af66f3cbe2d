// The page: data model, HTML template and the per-workload sections.

package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"

	"github.com/memkit/memkit/trace"
)

// Data is everything one report shows.
type Data struct {
	Title     string // page title, e.g. "memkit bench"
	Command   string // the command line that made it
	Generated string // when, as text
	Workloads []Workload
}

// Workload is one section: a workload and every allocator's result on it.
type Workload struct {
	Name, About string
	Ops         int
	Entries     []Entry
}

// Entry is one allocator's result on a workload.
type Entry struct {
	Alloc    string
	Baseline bool
	Result   trace.Result
	Error    string // a verification fault; empty when all went well
	Skipped  string // why the allocator could not be set up for this workload; empty when it ran
}

// Write renders d as one HTML document to w.
func Write(w io.Writer, d Data) error {
	page := pageData{Data: d}
	for i, wl := range d.Workloads {
		s := section{Workload: wl, ID: fmt.Sprintf("w%d", i)}
		for _, e := range wl.Entries {
			s.Rows = append(s.Rows, tableRow(e))
		}
		var err error
		if s.Latency, err = latencyChart(wl); err != nil {
			return fmt.Errorf("%s: latency chart: %w", wl.Name, err)
		}
		if s.Footprint, err = footprintChart(wl); err != nil {
			return fmt.Errorf("%s: footprint chart: %w", wl.Name, err)
		}
		if s.Utilization, err = utilizationChart(wl); err != nil {
			return fmt.Errorf("%s: utilization chart: %w", wl.Name, err)
		}
		for _, e := range wl.Entries {
			if e.Result.PeakMap == nil && e.Result.EndMap == nil {
				continue
			}
			s.Maps = append(s.Maps, heapMaps(e, wl.Ops))
		}
		page.Sections = append(page.Sections, s)
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, page); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

type pageData struct {
	Data
	Sections []section
}

type section struct {
	Workload
	ID                              string
	Rows                            []row
	Latency, Footprint, Utilization template.HTML // inline SVG; empty when there is nothing to draw
	Maps                            []mapPair
}

type row struct {
	Alloc, Baseline                       string
	NsPerOp, P50, P99, P999, Max, Util    string
	PeakLive, PeakFootprint, Meta, Failed string
	Fault, Skipped                        string
}

type mapPair struct {
	Alloc     string
	Peak, End template.HTML
	EndLabel  string // "at the end", or "before the final frees"
}

func tableRow(e Entry) row {
	r := e.Result
	out := row{Alloc: e.Alloc, NsPerOp: ns(r.NsPerOp), P50: ns(r.Latency.P50), P99: ns(r.Latency.P99),
		P999: ns(r.Latency.P999), Max: ns(r.Latency.Max), Util: "–", PeakLive: bytesText(r.PeakLive),
		PeakFootprint: "–", Meta: "–", Failed: fmt.Sprint(r.Failed), Fault: e.Error, Skipped: e.Skipped}
	if e.Baseline {
		out.Baseline = "baseline"
	}
	if r.FootprintKnown && r.PeakFootprint > 0 {
		out.Util = fmt.Sprintf("%.1f%%", 100*r.Utilization)
		out.PeakFootprint = bytesText(r.PeakFootprint)
	}
	if r.MetadataPerBlock >= 0 {
		out.Meta = fmt.Sprintf("%.1f B", r.MetadataPerBlock)
	}
	return out
}

func ns(v float64) string {
	if v == 0 || math.IsNaN(v) {
		return "–"
	}
	if v < 100 {
		return fmt.Sprintf("%.1f ns", v)
	}
	if v < 1e5 {
		return fmt.Sprintf("%.0f ns", v)
	}
	return fmt.Sprintf("%.1f µs", v/1e3)
}

// bytesText formats n bytes with a binary unit.
func bytesText(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px; padding: 1.5em; color: #1d2430; background: #fbfbfd; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.3em; margin: 2em 0 .3em; padding-top: 1em; border-top: 2px solid #dde3ec; }
h3 { font-size: 1.02em; margin: 1.2em 0 .4em; color: #3a4658; }
p.meta, p.about { color: #566275; margin: .2em 0 .8em; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .92em; background: #eef1f6; padding: .1em .35em; border-radius: 4px; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-variant-numeric: tabular-nums; }
th, td { padding: .3em .7em; border-bottom: 1px solid #e3e7ee; text-align: right; white-space: nowrap; }
th { background: #eef1f6; font-weight: 600; }
td.name, th.name { text-align: left; }
tr.baseline td.name { color: #6b7686; font-style: italic; }
tr.fault td { background: #fde8e8; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 1em; }
.chart { background: #fff; border: 1px solid #e3e7ee; border-radius: 8px; padding: .6em; }
.chart svg { width: 100%; height: auto; display: block; }
.chart.heapmap svg { max-width: 820px; }
.maps .pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1em; margin-bottom: .8em; }
.caption { font-size: .88em; color: #566275; margin: .2em 0 .4em; }
.legend span { display: inline-block; width: 1em; height: .8em; vertical-align: middle; margin: 0 .3em 0 1em; border-radius: 2px; }
.fault { color: #a01818; }
.none { color: #6b7686; font-style: italic; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="meta">Made by <code>{{.Command}}</code>{{if .Generated}} at {{.Generated}}{{end}}. Every block was filled with a pattern and verified before every free and realloc and after any move; live blocks were checked never to overlap.</p>
<nav>{{range .Sections}}<a href="#{{.ID}}">{{.Name}}</a>{{end}}</nav>
{{range .Sections}}
<section id="{{.ID}}">
<h2>{{.Name}}</h2>
<p class="about">{{.About}} — {{.Ops}} ops.</p>
<table>
<tr><th class="name">allocator</th><th>ns/op</th><th>p50</th><th>p99</th><th>p99.9</th><th>max</th><th>peak live</th><th>peak footprint</th><th>utilization</th><th>metadata/block</th><th>failed allocs</th></tr>
{{range .Rows}}<tr class="{{.Baseline}}{{if .Fault}} fault{{end}}"><td class="name">{{.Alloc}}{{if .Baseline}} (baseline){{end}}</td><td>{{.NsPerOp}}</td><td>{{.P50}}</td><td>{{.P99}}</td><td>{{.P999}}</td><td>{{.Max}}</td><td>{{.PeakLive}}</td><td>{{.PeakFootprint}}</td><td>{{.Util}}</td><td>{{.Meta}}</td><td>{{.Failed}}</td></tr>
{{if .Fault}}<tr class="fault"><td class="name fault" colspan="11">FAULT: {{.Fault}}</td></tr>{{end}}{{if .Skipped}}<tr><td class="name none" colspan="11">not run: {{.Skipped}}</td></tr>{{end}}{{end}}
</table>
<div class="charts">
{{if .Latency}}<div class="chart" data-chart="latency"><h3>Latency distribution</h3>{{.Latency}}</div>{{end}}
{{if .Footprint}}<div class="chart" data-chart="footprint"><h3>Footprint over the run</h3>{{.Footprint}}</div>{{end}}
{{if .Utilization}}<div class="chart" data-chart="utilization"><h3>Utilization over the run</h3>{{.Utilization}}</div>{{end}}
</div>
{{if .Maps}}<div class="maps"><h3>Heap maps</h3>
<p class="caption legend">Each strip is the managed space, read left to right and top to bottom:<span style="background:#1f4e9c"></span>live<span style="background:#e4e8ee"></span>free<span style="background:#8fb0e0"></span>partly live (blocks smaller than a pixel)<span style="background:#d43c3c"></span>a long gap between mappings, squeezed</p>
{{range .Maps}}<div class="pair">
{{if .Peak}}<div class="chart heapmap" data-chart="heapmap" data-moment="peak"><h3>{{.Alloc}} at peak use</h3>{{.Peak}}</div>{{end}}
{{if .End}}<div class="chart heapmap" data-chart="heapmap" data-moment="end"><h3>{{.Alloc}} {{.EndLabel}}</h3>{{.End}}</div>{{end}}
</div>{{end}}</div>{{end}}
</section>
{{end}}
</body>
</html>
`))
