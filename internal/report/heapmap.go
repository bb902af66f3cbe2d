// Heap maps: the managed space drawn as strips of buckets, plain SVG.

package report

import (
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/memkit/memkit/trace"
)

const (
	mapWidth = 800 // pixels (buckets) per row
	mapRows  = 6   // rows per map
	rowH     = 16  // pixels per row
	rowGap   = 3
)

// heapMaps draws an entry's maps at peak and at the end on one scale; ops
// is the length of the workload.
func heapMaps(e Entry, ops int) mapPair {
	out := mapPair{Alloc: e.Alloc}
	maps := []*trace.Map{e.Result.PeakMap, e.Result.EndMap}
	lay := newLayout(maps)
	if m := e.Result.PeakMap; m != nil {
		out.Peak = drawMap(m, lay, fmt.Sprintf("after op %d: %s live in %d blocks", m.Op, bytesText(m.Live), len(m.Blocks)))
	}
	if m := e.Result.EndMap; m != nil {
		out.End = drawMap(m, lay, fmt.Sprintf("after op %d: %s live in %d blocks", m.Op, bytesText(m.Live), len(m.Blocks)))
		out.EndLabel = "at the end"
		if m.Op < ops {
			out.EndLabel = "before the final frees"
		}
	}
	return out
}

// segment is a stretch of the space drawn contiguously: [from, to) in
// space coordinates, starting at position at in the drawing.
type segment struct{ from, to, at uint64 }

// layout maps space coordinates to drawing positions: one segment for a
// space allocator, clusters with squeezed gaps for address allocators.
type layout struct {
	segs  []segment
	total uint64 // drawing length, in space bytes
	space uint64 // managed space (0: addresses)
	gapW  uint64 // drawing length of one squeezed gap
}

func newLayout(maps []*trace.Map) layout {
	var lay layout
	var spans []trace.Span
	for _, m := range maps {
		if m != nil {
			lay.space = max(lay.space, m.Space)
			spans = append(spans, m.Blocks...)
		}
	}
	if lay.space > 0 {
		var hi uint64
		for _, s := range spans {
			hi = max(hi, s.End())
		}
		if hi == 0 {
			hi = lay.space
		}
		lay.segs = []segment{{0, hi, 0}}
		lay.total = hi
		return lay
	}
	if len(spans) == 0 {
		return lay
	}
	sortSpans(spans)
	var live uint64
	for _, s := range spans {
		live += s.Len
	}
	// Gaps longer than this are other mappings or other size-class
	// spans: squeezed, or a map of a few KiB of blocks spread over
	// gigabytes of address space would show nothing.
	limit := max(64<<10, live/8)
	lay.gapW = max(1, live/200)
	cur := segment{from: spans[0].Off, to: spans[0].End()}
	for _, s := range spans[1:] {
		if s.Off > cur.to && s.Off-cur.to > limit {
			cur.at = lay.total
			lay.segs = append(lay.segs, cur)
			lay.total += cur.to - cur.from + lay.gapW
			cur = segment{from: s.Off, to: s.End()}
			continue
		}
		cur.to = max(cur.to, s.End())
	}
	cur.at = lay.total
	lay.segs = append(lay.segs, cur)
	lay.total += cur.to - cur.from
	return lay
}

func sortSpans(s []trace.Span) {
	slices.SortFunc(s, func(a, b trace.Span) int { return cmp.Compare(a.Off, b.Off) })
}

// pos returns the drawing position of space coordinate x (which lies in a
// segment).
func (l layout) pos(x uint64) uint64 {
	lo, hi := 0, len(l.segs)
	for lo < hi {
		m := (lo + hi) / 2
		if l.segs[m].to <= x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == len(l.segs) {
		return l.total
	}
	s := l.segs[lo]
	if x < s.from {
		return s.at
	}
	return s.at + (x - s.from)
}

// shade returns the colour for a bucket covered to fraction f by live blocks.
func shade(f float64) string {
	if f <= 0 {
		return "#e4e8ee"
	}
	// from light blue (a sliver live) to dark blue (all live)
	lo := [3]float64{0xb5, 0xcb, 0xee}
	hi := [3]float64{0x1f, 0x4e, 0x9c}
	var c [3]int
	for i := range c {
		c[i] = int(lo[i] + (hi[i]-lo[i])*f + 0.5)
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// drawMap renders one map on layout lay.
func drawMap(m *trace.Map, lay layout, caption string) template.HTML {
	const buckets = mapWidth * mapRows
	cover := make([]float64, buckets)
	per := float64(max(lay.total, 1)) / buckets // space bytes per bucket
	add := func(from, to uint64) {              // drawing positions
		a, b := float64(from)/per, float64(to)/per
		for k := int(a); k < buckets && float64(k) < b; k++ {
			lo, hi := max(a, float64(k)), min(b, float64(k+1))
			if hi > lo {
				cover[k] += hi - lo
			}
		}
	}
	for _, s := range m.Blocks {
		add(lay.pos(s.Off), lay.pos(s.Off)+s.Len)
	}
	var sb strings.Builder
	h := mapRows*(rowH+rowGap) - rowGap
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img">`, mapWidth, h+18, mapWidth, h+18)
	fmt.Fprintf(&sb, `<title>%s</title>`, template.HTMLEscapeString(caption))
	for r := 0; r < mapRows; r++ {
		y := r * (rowH + rowGap)
		fmt.Fprintf(&sb, `<rect x="0" y="%d" width="%d" height="%d" fill="#e4e8ee"/>`, y, mapWidth, rowH)
		for x := 0; x < mapWidth; {
			k := r*mapWidth + x
			q := quant(cover[k])
			end := x + 1
			for end < mapWidth && quant(cover[r*mapWidth+end]) == q {
				end++
			}
			if q > 0 {
				fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, x, y, end-x, rowH, shade(float64(q)/8))
			}
			x = end
		}
	}
	// squeezed gaps between address clusters
	for _, s := range lay.segs[min(1, len(lay.segs)):] {
		b := int(float64(s.at-lay.gapW) / per)
		if b >= 0 && b < buckets {
			fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="2" height="%d" fill="#d43c3c"/>`, b%mapWidth, (b/mapWidth)*(rowH+rowGap), rowH)
		}
	}
	extent := fmt.Sprintf("%s shown", bytesText(lay.total))
	if lay.space > 0 {
		extent = fmt.Sprintf("offsets 0 to %s of a %s space", bytesText(lay.total), bytesText(lay.space))
	} else if len(lay.segs) > 1 {
		extent += fmt.Sprintf(" in %d address clusters", len(lay.segs))
	}
	fmt.Fprintf(&sb, `<text x="0" y="%d" font-size="12" fill="#566275" font-family="sans-serif">%s; %s</text>`, h+14,
		template.HTMLEscapeString(caption), template.HTMLEscapeString(extent))
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// quant maps a bucket's live fraction to 0 (free) .. 8 (all live); any
// live byte at all shows as at least 1.
func quant(f float64) int {
	if f <= 0 {
		return 0
	}
	return max(1, min(8, int(f*8+0.5)))
}
