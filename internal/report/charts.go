// The gonum/plot charts: latency distribution, footprint and utilization over the run.

package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// palette gives each allocator of a section a stable colour (the order of
// Entries), the same in every chart.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

func colorOf(i int) color.Color { return palette[i%len(palette)] }

// cdfPoints is how many points a latency curve is drawn with.
const cdfPoints = 200

// newPlot returns a plot with memkit's common styling.
func newPlot(x, y string) *plot.Plot {
	p := plot.New()
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Add(plotter.NewGrid())
	return p
}

// addSeries adds pts to p as allocator i's line, in its colour (dashed for
// a baseline), with a legend entry.
func addSeries(p *plot.Plot, pts plotter.XYs, i int, name string, baseline bool) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color = colorOf(i)
	l.Width = vg.Points(1.6)
	if baseline {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// latencyChart draws, per allocator, the fraction of latency samples at or
// below each time: a cumulative distribution on a log time axis.
func latencyChart(w Workload) (template.HTML, error) {
	p := newPlot("ns per op (batch mean, log scale)", "% of samples ≤ x")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 100
	n := 0
	for i, e := range w.Entries {
		s := slices.Clone(e.Result.Samples)
		if len(s) == 0 {
			continue
		}
		slices.Sort(s)
		pts := make(plotter.XYs, 0, cdfPoints)
		for k := 0; k < cdfPoints; k++ {
			q := float64(k) / (cdfPoints - 1)
			idx := min(len(s)-1, int(q*float64(len(s)-1)+0.5))
			pts = append(pts, plotter.XY{X: math.Max(s[idx], 0.1), Y: 100 * q})
		}
		if err := addSeries(p, pts, i, e.Alloc, e.Baseline); err != nil {
			return "", err
		}
		n++
	}
	if n == 0 {
		return "", nil
	}
	p.Legend.Left = false
	p.Legend.Top = false
	p.Legend.XOffs = -vg.Points(4)
	p.Legend.YOffs = vg.Points(4)
	return render(p)
}

// byteUnit picks a unit for an axis whose largest value is v bytes.
func byteUnit(v uint64) (float64, string) {
	switch {
	case v >= 1<<30:
		return 1 << 30, "GiB"
	case v >= 1<<20:
		return 1 << 20, "MiB"
	case v >= 1<<10:
		return 1 << 10, "KiB"
	}
	return 1, "bytes"
}

// footprintChart draws each allocator's footprint over the ops of the
// verified pass, and the live bytes as a dashed black line.
func footprintChart(w Workload) (template.HTML, error) {
	var top uint64
	var liveLine []struct{ op, live uint64 }
	for _, e := range w.Entries {
		for _, pt := range e.Result.Timeline {
			if e.Result.FootprintKnown {
				top = max(top, pt.Footprint)
			}
			top = max(top, pt.Live)
		}
		if liveLine == nil && len(e.Result.Timeline) > 0 {
			for _, pt := range e.Result.Timeline {
				liveLine = append(liveLine, struct{ op, live uint64 }{uint64(pt.Op), pt.Live})
			}
		}
	}
	if liveLine == nil {
		return "", nil
	}
	div, unit := byteUnit(top)
	p := newPlot("ops", unit)
	p.Y.Min = 0
	// When one footprint dwarfs the live bytes (a fixed arena against a
	// few KiB live), a linear axis flattens every other line: use a log one.
	var low uint64 = math.MaxUint64
	for _, pt := range liveLine {
		if pt.live > 0 {
			low = min(low, pt.live)
		}
	}
	logY := low != math.MaxUint64 && top/max(low, 1) > 16
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Y.Min = float64(low) / div
		p.Y.Label.Text = unit + " (log scale)"
	}
	// keep drops points a log axis cannot show.
	keep := func(v uint64) bool { return !logY || v > 0 }
	for i, e := range w.Entries {
		if !e.Result.FootprintKnown || len(e.Result.Timeline) == 0 {
			continue
		}
		var pts plotter.XYs
		for _, pt := range e.Result.Timeline {
			if keep(pt.Footprint) {
				pts = append(pts, plotter.XY{X: float64(pt.Op), Y: float64(pt.Footprint) / div})
			}
		}
		if len(pts) == 0 {
			continue
		}
		if err := addSeries(p, pts, i, e.Alloc, e.Baseline); err != nil {
			return "", err
		}
	}
	var pts plotter.XYs
	for _, pt := range liveLine {
		if keep(pt.live) {
			pts = append(pts, plotter.XY{X: float64(pt.op), Y: float64(pt.live) / div})
		}
	}
	if len(pts) == 0 {
		return "", nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return "", err
	}
	l.Color = color.Black
	l.Width = vg.Points(1.2)
	l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(l)
	p.Legend.Add("live bytes", l)
	return render(p)
}

// utilizationChart draws live bytes / footprint, in percent, over the ops
// of the verified pass, for every allocator whose footprint is known.
func utilizationChart(w Workload) (template.HTML, error) {
	p := newPlot("ops", "live / footprint, %")
	p.Y.Min, p.Y.Max = 0, 100
	n := 0
	for i, e := range w.Entries {
		if !e.Result.FootprintKnown {
			continue
		}
		var pts plotter.XYs
		for _, pt := range e.Result.Timeline {
			if pt.Footprint == 0 {
				continue
			}
			pts = append(pts, plotter.XY{X: float64(pt.Op), Y: math.Min(100, 100*float64(pt.Live)/float64(pt.Footprint))})
		}
		if len(pts) == 0 {
			continue
		}
		if err := addSeries(p, pts, i, e.Alloc, e.Baseline); err != nil {
			return "", err
		}
		n++
	}
	if n == 0 {
		return "", nil
	}
	p.Legend.Top = false
	return render(p)
}

// render draws p as SVG and returns the <svg> element alone.
func render(p *plot.Plot) (template.HTML, error) {
	for _, f := range []*font.Font{&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font,
		&p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font, &p.Title.TextStyle.Font} {
		f.Typeface, f.Variant = "Liberation", "Sans"
	}
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(9)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.Padding = vg.Points(2)
	wt, err := p.WriterTo(vg.Points(420), vg.Points(280), "svg")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return "", err
	}
	b := buf.Bytes()
	i := bytes.Index(b, []byte("<svg"))
	if i < 0 {
		return "", fmt.Errorf("the SVG writer wrote no <svg> element")
	}
	// The text was laid out with Liberation Sans metrics; where that font
	// is not installed, Arial has the same metrics.
	b = bytes.ReplaceAll(b[i:], []byte("font-family:Liberation Sans"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif"))
	return template.HTML(b), nil // SVG made by gonum/plot from numbers and our own labels
}
