// Profiling: allocation sites of live blocks, the leak list and the pprof export.

package bufheap

import (
	"fmt"
	"io"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/profile"
)

// Block is a live block as LiveBlocks reports it.
type Block struct {
	Offset     int          // payload offset in the buffer
	Size       int          // usable bytes
	Persistent bool         // marked by Persistent
	Site       profile.Site // allocation site; zero when profiling is off
}

// LiveBlocks returns every live block in address order, with its
// allocation site when profiling is on (blocks that were live when the
// heap was opened carry the site of the Open call). Errors are Walk's.
func (h *Heap) LiveBlocks() ([]Block, error) {
	var out []Block
	err := h.walk(func(c Chunk) bool {
		if c.Allocated {
			out = append(out, Block{Offset: c.Offset, Size: c.Size, Persistent: c.Persistent, Site: h.sites[c.Offset]})
		}
		return true
	})
	return out, err
}

// Profiling reports whether Config.Profile was set.
func (h *Heap) Profiling() bool { return h.log != nil }

// WriteProfile writes a gzipped pprof profile of the live blocks grouped
// by allocation site (profile.WritePprof: sample types inuse_objects and
// inuse_space), readable by "go tool pprof". Sites are only recorded when
// Config.Profile is set; without it WriteProfile returns an error wrapping
// memkit.ErrInvalidConfig and writes nothing.
func (h *Heap) WriteProfile(w io.Writer) error {
	if h.log == nil {
		return fmt.Errorf("%w: %w", errProfileOff, memkit.ErrInvalidConfig)
	}
	live, err := h.LiveBlocks()
	if err != nil {
		return err
	}
	blocks := make([]profile.Block, len(live))
	for i, b := range live {
		blocks[i] = profile.Block{Addr: uint64(b.Offset), Size: int64(b.Size), Site: b.Site}
	}
	return profile.WritePprof(w, blocks)
}
