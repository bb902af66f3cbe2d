// Runnable examples: external SRAM, free space in a file, Walk and snapshots.

package offset_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/offset"
)

// An external SRAM mapped at a bus address: the allocator hands out
// offsets, the driver adds the base. Nothing is ever written to the SRAM
// to keep track of blocks.
func Example_sram() {
	const base = 0x6000_0000 // where the SRAM appears on the bus
	sram, err := offset.New(offset.Config{Size: 256 << 10, Align: 32, MaxNodes: 64})
	if err != nil {
		fmt.Println(err)
		return
	}
	dma, _ := sram.Alloc(1500) // rounded up to 1504
	frame, _ := sram.AllocAligned(4096, 4096)
	fmt.Printf("dma buffer at %#x, %d bytes\n", base+uint64(dma), must(sram.SizeOf(dma)))
	fmt.Printf("frame at %#x\n", base+uint64(frame))

	// Too big: the error says why, and nothing changed.
	if _, err := sram.Alloc(1 << 20); errors.Is(err, memkit.ErrInvalidSize) {
		fmt.Println("refused:", err)
	}
	// Freeing an address the allocator did not hand out is caught.
	if err := sram.Free(dma + 32); errors.Is(err, memkit.ErrInvalidFree) {
		fmt.Println("refused:", err)
	}

	_ = sram.Free(dma)
	_ = sram.Free(frame)
	s := sram.Stats()
	fmt.Printf("live %d, free %d of %d bytes, largest free %d\n", s.Live, s.Free, s.Size, s.LargestFree)
	// Output:
	// dma buffer at 0x60000000, 1504 bytes
	// frame at 0x60001000
	// refused: offset: alloc 1048576: memkit: invalid size
	// refused: offset: free 0x20: not the start of a block: memkit: invalid free
	// live 0, free 262144 of 262144 bytes, largest free 262144
}

// Free space inside a file: records are placed with WriteAt at offsets the
// allocator chooses, read back with ReadAt, and their space reused after a
// free. FirstFit keeps the file compact by always taking the lowest hole.
func Example_file() {
	f, err := os.CreateTemp("", "offset-example-*.dat")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()

	space, _ := offset.New(offset.Config{Size: 1 << 20, Align: 512, Policy: offset.FirstFit})
	put := func(rec string) offset.Offset {
		off, err := space.Alloc(uint64(len(rec)))
		if err != nil {
			panic(err)
		}
		if _, err := f.WriteAt([]byte(rec), int64(off)); err != nil {
			panic(err)
		}
		return off
	}
	get := func(off offset.Offset) string {
		n, _ := space.SizeOf(off)
		buf := make([]byte, n)
		k, _ := f.ReadAt(buf, int64(off))
		return string(buf[:k])
	}

	a := put("alpha")
	b := put("bravo")
	fmt.Println(a, b, get(b)[:5])
	_ = space.Free(a)
	c := put("charlie") // reuses alpha's sector
	fmt.Println(c, get(c)[:7])

	_ = space.Free(b)
	_ = space.Free(c)
	fmt.Println("blocks in use:", space.Stats().Live)
	// Output:
	// 0 512 bravo
	// 0 charlie
	// blocks in use: 0
}

// The allocator as Walk shows it, with a snapshot saved and restored.
func ExampleAllocator_Walk() {
	a, _ := offset.New(offset.Config{Size: 1024})
	x, _ := a.Alloc(100)
	_, _ = a.Alloc(200)
	_ = a.Free(x)
	snap, _ := a.MarshalBinary()

	var b offset.Allocator
	if err := b.UnmarshalBinary(snap); err != nil {
		fmt.Println(err)
		return
	}
	b.Walk(func(blk offset.Block) bool {
		fmt.Printf("0x%03x %4d free=%v\n", uint64(blk.Off), blk.Size, blk.Free)
		return true
	})
	// Output:
	// 0x000  112 free=true
	// 0x070  208 free=false
	// 0x140  704 free=true
}

func must(n uint64, err error) uint64 {
	if err != nil {
		panic(err)
	}
	return n
}
