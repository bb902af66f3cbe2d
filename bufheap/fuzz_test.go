// Fuzz targets: op streams, op streams with bytes of the buffer overwritten between ops, Open on any bytes.

package bufheap

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/alloctest"
)

var fuzzSizes = [...]int{256, 1 << 10, 4 << 10, 64 << 10}

func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f.Add([]byte{3, 0xff, 0x10, 0x80, 0x7f, 0x01, 0x02, 0x33, 0x44, 0x90, 0x91, 0x92, 0x93})
	f.Add(bytes.Repeat([]byte{0x21, 0x07, 0xe0}, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		size := fuzzSizes[data[0]&3]
		align := 8 << (data[0] >> 2 & 1)
		mix := alloctest.DefaultMix
		mix.Reset = 1
		mix.MaxSize = uint64(size / 4)
		g := newGuarded(size, 0)
		h, err := New(g.buf(), Config{Align: align})
		if err != nil {
			t.Fatal(err)
		}
		alloctest.Exec(t, newTarget(h), alloctest.Decode(data[1:], mix, 400), alloctest.Config{Space: uint64(size), Align: uint64(align)})
		if !g.intact() {
			t.Fatal("canaries around the buffer changed")
		}
	})
}

// corruptRun drives a heap with a stream decoded from data in which some
// steps overwrite a byte anywhere in the buffer. The model keeps a copy of
// every live block's bytes (overwrites inside a block update the copy: they
// are the user's own writes). Whatever the damage:
//   - no panic, no hang, the canaries around the buffer stay intact;
//   - no successful operation changes a live block's bytes, and a block
//     Alloc returns overlaps no live block;
//   - a live block's Free or Realloc fails only with ErrCorrupt, Alloc only
//     with ErrOutOfMemory or ErrCorrupt;
//   - if Check passes at the end, the heap is really sound: Walk lists
//     exactly the live blocks, Open accepts the image, and freeing them all
//     leaves a single free chunk.
func corruptRun(t testing.TB, data []byte) {
	if len(data) < 2 {
		return
	}
	size := fuzzSizes[data[0]&3]
	align := 8 << (data[0] >> 2 & 1)
	g := newGuarded(size, int(data[0]>>3&7))
	buf := g.buf()
	h, err := New(buf, Config{Align: align})
	if err != nil {
		t.Fatal(err)
	}
	emptyFree := h.Stats().FreeSize
	type block struct {
		b    []byte
		want []byte
	}
	var live []block
	verify := func(step int, op string) {
		for _, l := range live {
			if !bytes.Equal(l.b, l.want) {
				t.Fatalf("step %d (%s): a live block at %#x changed under a successful operation", step, op, addrOf(l.b)-addrOf(buf))
			}
		}
		if !g.intact() {
			t.Fatalf("step %d (%s): canaries around the buffer changed", step, op)
		}
	}
	overlaps := func(b []byte) bool {
		lo, hi := addrOf(b), addrOf(b)+uintptr(cap(b))
		for _, l := range live {
			if a := addrOf(l.b); a < hi && lo < a+uintptr(cap(l.b)) {
				return true
			}
		}
		return false
	}
	corrupt := func(err error) bool { return errors.Is(err, memkit.ErrCorrupt) }
	p := 1
	next := func() int {
		if p >= len(data) {
			return 0
		}
		p++
		return int(data[p-1])
	}
	for step := 0; p < len(data) && step < 300; step++ {
		op := next()
		arg := next()<<8 | next()
		switch op % 6 {
		case 0, 1: // alloc
			n := 1 + arg%(size/4)
			b, err := h.Alloc(n)
			if err != nil {
				if !corrupt(err) && !errors.Is(err, memkit.ErrOutOfMemory) {
					t.Fatalf("step %d: alloc(%d): %v", step, n, err)
				}
				verify(step, "failed alloc: "+err.Error())
				break
			}
			if overlaps(b) {
				t.Fatalf("step %d: alloc(%d) returned a block overlapping a live one", step, n)
			}
			verify(step, "alloc")
			for i := range b {
				b[i] = byte(step + i)
			}
			live = append(live, block{b, bytes.Clone(b)})
		case 2: // free
			if len(live) == 0 {
				break
			}
			i := arg % len(live)
			if err := h.Free(live[i].b); err != nil {
				if !corrupt(err) {
					t.Fatalf("step %d: free of a live block: %v", step, err)
				}
				verify(step, "failed free: "+err.Error())
				break
			}
			live = append(live[:i], live[i+1:]...)
			verify(step, "free")
		case 3: // realloc
			if len(live) == 0 {
				break
			}
			i, n := arg%len(live), 1+next()*(size/4)/256
			nb, err := h.Realloc(live[i].b, n)
			if err != nil {
				if !corrupt(err) && !errors.Is(err, memkit.ErrOutOfMemory) {
					t.Fatalf("step %d: realloc to %d: %v", step, n, err)
				}
				verify(step, "failed realloc: "+err.Error())
				break
			}
			keep := min(n, len(live[i].want))
			if !bytes.Equal(nb[:keep], live[i].want[:keep]) {
				t.Fatalf("step %d: realloc to %d did not keep the contents", step, n)
			}
			live = append(live[:i], live[i+1:]...)
			if overlaps(nb) {
				t.Fatalf("step %d: realloc returned a block overlapping a live one", step)
			}
			verify(step, "realloc")
			live = append(live, block{nb, bytes.Clone(nb)})
		case 4, 5: // overwrite
			verify(step, "before overwrite")
			pos := (arg<<8 | next()) % size
			v := byte(next())
			buf[pos] = v
			for _, l := range live {
				if a := int(addrOf(l.b) - addrOf(buf)); pos >= a && pos < a+len(l.b) {
					l.want[pos-a] = v
				}
			}
		}
	}
	if err := h.Check(); err != nil {
		if !corrupt(err) {
			t.Fatalf("Check: %v, want nil or ErrCorrupt", err)
		}
		h.Walk(func(Chunk) bool { return true })
		h.Stats()
		Open(buf, Config{})
		verify(-1, "end")
		return
	}
	// Check said fine: it must be.
	n := 0
	err = h.Walk(func(c Chunk) bool {
		if c.Allocated {
			n++
		}
		return true
	})
	if err != nil || n != len(live) {
		t.Fatalf("Check passed but Walk saw %d blocks (err %v), want %d", n, err, len(live))
	}
	if _, err := Open(buf, Config{}); err != nil {
		t.Fatalf("Check passed but Open failed: %v", err)
	}
	for _, l := range live {
		if err := h.Free(l.b); err != nil {
			t.Fatalf("Check passed but freeing a live block failed: %v", err)
		}
	}
	mustCheck(t, h)
	if s := h.Stats(); s.Chunks != 1 || s.FreeSize != emptyFree {
		t.Fatalf("after freeing everything: %d chunks, %d free bytes; want 1 chunk, %d bytes", s.Chunks, s.FreeSize, emptyFree)
	}
	if !g.intact() {
		t.Fatal("canaries around the buffer changed")
	}
}

func FuzzCorrupt(f *testing.F) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 8; i++ {
		seed := make([]byte, 64+i*32)
		for j := range seed {
			seed[j] = byte(r.Uint32())
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) { corruptRun(t, data) })
}

func TestCorruptStreams(t *testing.T) {
	const seed = 20261123
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	runs := 3000
	if testing.Short() {
		runs = 300
	}
	for i := 0; i < runs; i++ {
		data := make([]byte, 100+r.IntN(800))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		corruptRun(t, data)
	}
}

// FuzzOpen hands Open arbitrary bytes, starting from real images.
func FuzzOpen(f *testing.F) {
	for _, size := range []int{256, 4096} {
		h := mustNew(f, size, Config{Align: 8 << (size & 1)})
		var keep [][]byte
		for i := 1; i < 12; i++ {
			b, err := h.Alloc(i * size / 128)
			if err == nil {
				keep = append(keep, b)
			}
		}
		for i := 0; i < len(keep); i += 2 {
			h.Free(keep[i])
		}
		f.Add(bytes.Clone(h.Bytes()))
		f.Add(bytes.Clone(h.Bytes()[:size-8]))
	}
	f.Add(make([]byte, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		g := newGuarded(len(data), 0)
		copy(g.buf(), data)
		h, err := Open(g.buf(), Config{})
		if err != nil {
			if !errors.Is(err, memkit.ErrCorrupt) && !errors.Is(err, memkit.ErrInvalidConfig) {
				t.Fatalf("Open: %v, want ErrCorrupt or ErrInvalidConfig", err)
			}
			return
		}
		mustCheck(t, h)
		var blocks [][]byte
		h.Walk(func(c Chunk) bool {
			if c.Allocated {
				b, err := h.At(c.Offset)
				if err != nil {
					t.Fatalf("At(%#x) of a walked block: %v", c.Offset, err)
				}
				blocks = append(blocks, b)
			}
			return true
		})
		for i := 0; i < 8; i++ {
			if b, err := h.Alloc(1 + i*37); err == nil {
				blocks = append(blocks, b)
			}
		}
		for _, b := range blocks {
			if err := h.Free(b); err != nil {
				t.Fatalf("free: %v", err)
			}
		}
		mustCheck(t, h)
		if !g.intact() {
			t.Fatal("canaries changed")
		}
	})
}
