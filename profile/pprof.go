// Pprof export: live blocks as a gzipped pprof heap profile.

package profile

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"

	pprof "github.com/google/pprof/profile"

	"github.com/memkit/memkit"
)

// Block is one live allocation for a pprof export.
type Block struct {
	Addr  uint64    // address or offset of the block (samples aggregate blocks, so it only appears in errors)
	Size  int64     // bytes in use; must not be negative
	Site  Site      // allocation site (used when Stack is empty)
	Stack []uintptr // optional full call stack (runtime.Callers PCs), innermost first
}

// WritePprof writes a gzipped pprof profile (github.com/google/pprof/profile)
// of the given live blocks with the sample types inuse_objects/count and
// inuse_space/bytes (the default), one sample per distinct stack (or site,
// for blocks without a Stack), readable by "go tool pprof".
//
// A block with a Stack gets one location per PC, symbolized with
// runtime.CallersFrames (inlined calls become extra lines of the same
// location). A block without one gets a single location whose function is
// named after its site ("file.go:42"), so that pprof's listings show where
// the memory was allocated even when no PCs were recorded. Samples appear in
// the order of their first block. A negative Size is an error wrapping
// memkit.ErrInvalidSize and nothing is written.
func WritePprof(w io.Writer, blocks []Block) error {
	p, err := buildPprof(blocks)
	if err != nil {
		return err
	}
	return p.Write(w)
}

// pprofBuilder deduplicates functions and locations while a profile is built.
type pprofBuilder struct {
	p       *pprof.Profile
	funcs   map[[2]string]*pprof.Function // (name, file) -> function
	pcLocs  map[uintptr]*pprof.Location
	siteLoc map[Site]*pprof.Location
	samples map[string]*pprof.Sample // stack key -> sample
}

func buildPprof(blocks []Block) (*pprof.Profile, error) {
	b := &pprofBuilder{
		p: &pprof.Profile{
			SampleType: []*pprof.ValueType{
				{Type: "inuse_objects", Unit: "count"},
				{Type: "inuse_space", Unit: "bytes"},
			},
			DefaultSampleType: "inuse_space",
			PeriodType:        &pprof.ValueType{Type: "space", Unit: "bytes"},
			Period:            1,
		},
		funcs:   map[[2]string]*pprof.Function{},
		pcLocs:  map[uintptr]*pprof.Location{},
		siteLoc: map[Site]*pprof.Location{},
		samples: map[string]*pprof.Sample{},
	}
	for i, blk := range blocks {
		if blk.Size < 0 {
			return nil, fmt.Errorf("profile: block %d at 0x%x has size %d: %w", i, blk.Addr, blk.Size, memkit.ErrInvalidSize)
		}
		key := stackKey(blk)
		s, ok := b.samples[key]
		if !ok {
			s = &pprof.Sample{Value: []int64{0, 0}, Location: b.locations(blk)}
			b.samples[key] = s
			b.p.Sample = append(b.p.Sample, s)
		}
		s.Value[0]++
		s.Value[1] += blk.Size
	}
	if err := b.p.CheckValid(); err != nil {
		return nil, fmt.Errorf("profile: building pprof profile: %w", err)
	}
	return b.p, nil
}

// stackKey identifies the sample a block belongs to.
func stackKey(blk Block) string {
	var sb strings.Builder
	if len(blk.Stack) == 0 {
		sb.WriteString("s:")
		sb.WriteString(blk.Site.String())
		return sb.String()
	}
	sb.WriteString("p:")
	for _, pc := range blk.Stack {
		sb.WriteString(strconv.FormatUint(uint64(pc), 16))
		sb.WriteByte(',')
	}
	return sb.String()
}

func (b *pprofBuilder) locations(blk Block) []*pprof.Location {
	if len(blk.Stack) == 0 {
		loc, ok := b.siteLoc[blk.Site]
		if !ok {
			name := blk.Site.String()
			loc = b.newLocation(0, []pprof.Line{{Function: b.function(name, blk.Site.File), Line: int64(blk.Site.Line)}})
			b.siteLoc[blk.Site] = loc
		}
		return []*pprof.Location{loc}
	}
	locs := make([]*pprof.Location, 0, len(blk.Stack))
	for _, pc := range blk.Stack {
		loc, ok := b.pcLocs[pc]
		if !ok {
			loc = b.newLocation(uint64(pc), b.lines(pc))
			b.pcLocs[pc] = loc
		}
		locs = append(locs, loc)
	}
	return locs
}

// lines symbolizes one return PC, innermost inlined frame first.
func (b *pprofBuilder) lines(pc uintptr) []pprof.Line {
	var lines []pprof.Line
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		f, more := frames.Next()
		if f.Function != "" || f.File != "" {
			lines = append(lines, pprof.Line{Function: b.function(f.Function, f.File), Line: int64(f.Line)})
		}
		if !more {
			break
		}
	}
	if len(lines) == 0 {
		name := "0x" + strconv.FormatUint(uint64(pc), 16)
		lines = append(lines, pprof.Line{Function: b.function(name, "")})
	}
	return lines
}

func (b *pprofBuilder) newLocation(addr uint64, lines []pprof.Line) *pprof.Location {
	loc := &pprof.Location{ID: uint64(len(b.p.Location) + 1), Address: addr, Line: slices.Clip(lines)}
	b.p.Location = append(b.p.Location, loc)
	return loc
}

func (b *pprofBuilder) function(name, file string) *pprof.Function {
	k := [2]string{name, file}
	if f, ok := b.funcs[k]; ok {
		return f
	}
	f := &pprof.Function{ID: uint64(len(b.p.Function) + 1), Name: name, SystemName: name, Filename: file}
	b.funcs[k] = f
	b.p.Function = append(b.p.Function, f)
	return f
}
