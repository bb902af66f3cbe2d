// Runnable examples: fragmentation survived, tracked slices, incremental defragmentation, Shared.

package compact_test

import (
	"errors"
	"fmt"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/compact"
)

// Eight 1 KiB blocks fill an 8 KiB heap; every other one is freed. 4 KiB
// are free, but in 1 KiB pieces: an allocator that cannot move blocks
// (Manual here) fails a 4 KiB request, while a Lazy heap slides the
// survivors together and serves it. Handles stay valid, contents intact.
func Example() {
	for _, pol := range []compact.Policy{compact.Manual, compact.Lazy} {
		h, _ := compact.New(make([]byte, 8<<10), compact.Config{Policy: pol})
		var blocks []compact.Handle
		for i := range 8 {
			hd, _ := h.Alloc(1 << 10)
			b, _ := h.Bytes(hd)
			b[0] = byte('a' + i)
			blocks = append(blocks, hd)
		}
		for i := 0; i < 8; i += 2 {
			h.Free(blocks[i])
		}
		st := h.Stats()
		fmt.Printf("%v: %d bytes free in %d holes, largest %d\n", pol, st.Total-st.Used, st.FreeHoles, st.LargestFree)
		big, err := h.Alloc(4 << 10)
		if errors.Is(err, memkit.ErrOutOfMemory) {
			fmt.Printf("%v: alloc(4096) failed: out of memory\n", pol)
			continue
		}
		b, _ := h.Bytes(blocks[7])
		fmt.Printf("%v: alloc(4096) ok after %d moves; block 7 still starts with %q\n", pol, h.Stats().Moves, b[0])
		h.Free(big)
	}
	// Output:
	// manual: 4096 bytes free in 4 holes, largest 1024
	// manual: alloc(4096) failed: out of memory
	// lazy: 4096 bytes free in 4 holes, largest 1024
	// lazy: alloc(4096) ok after 4 moves; block 7 still starts with 'h'
}

// A tracked slice is a variable the heap rewrites when its block moves
// (dalloc's model). The heap finds blocks from its own table, so the
// variable's value does not matter: here it was re-sliced before the move.
func ExampleHeap_AllocInto() {
	h, _ := compact.New(make([]byte, 4096), compact.Config{Policy: compact.Eager})
	var first, msg []byte
	h.AllocInto(&first, 1000)
	h.AllocInto(&msg, 5)
	copy(msg, "hello")
	msg = msg[3:] // the owner's variable no longer points at the block start

	h.FreeFrom(&first) // Eager: msg's block slides down at once
	fmt.Printf("first=%v msg=%q\n", first == nil, msg)

	var owner []byte
	h.Transfer(&msg, &owner) // ownership moves; msg is nil and untracked
	fmt.Println(msg == nil, h.Tracks(&msg), h.Tracks(&owner))
	if err := h.FreeFrom(&msg); errors.Is(err, memkit.ErrInvalidFree) {
		fmt.Println("free through the old owner: invalid free")
	}
	h.FreeFrom(&owner)
	fmt.Println(h)
	// Output:
	// first=true msg="hello"
	// true false true
	// free through the old owner: invalid free
	// used=0/4096 allocs=0 peak_used=1024 peak_allocs=2
}

// An incremental defragmentation loop, as a game or a device would run it:
// each frame moves at most 64 KiB, and the loop ends when a pass says Done.
func ExampleHeap_Defragment() {
	h, _ := compact.New(make([]byte, 1<<20), compact.Config{Policy: compact.Manual})
	var hs []compact.Handle
	for range 64 {
		hd, _ := h.Alloc(16 << 10)
		hs = append(hs, hd)
	}
	for i := 0; i < len(hs); i += 2 {
		h.Free(hs[i])
	}
	fmt.Printf("before: largest gap %d KiB\n", h.Stats().LargestFree>>10)
	for frame := 1; ; frame++ {
		r, err := h.Defragment(compact.Budget{MaxBytes: 64 << 10})
		if err != nil {
			fmt.Println(err)
			return
		}
		if r.Done {
			fmt.Printf("frame %d: %d moves, done\n", frame, r.Moves)
			break
		}
		if frame <= 2 {
			fmt.Printf("frame %d: %d moves, %d KiB\n", frame, r.Moves, r.BytesMoved>>10)
		}
	}
	fmt.Printf("after: largest gap %d KiB, %d holes\n", h.Stats().LargestFree>>10, h.Stats().FreeHoles)
	// Output:
	// before: largest gap 16 KiB
	// frame 1: 4 moves, 64 KiB
	// frame 2: 4 moves, 64 KiB
	// frame 8: 4 moves, done
	// after: largest gap 512 KiB, 1 holes
}

// Readers of a Shared heap either run a function under With, during which
// no block moves, or pin the block and read it without any lock.
func ExampleShared_With() {
	sh, _ := compact.NewShared(make([]byte, 4096), compact.Config{})
	hd, _ := sh.Alloc(5)
	sh.With(hd, func(b []byte) { copy(b, "hello") })

	b, _ := sh.Pin(hd) // b stays valid, whatever others do, until Unpin
	err := sh.Free(hd)
	fmt.Printf("%s; free while pinned: %v\n", b, errors.Is(err, memkit.ErrPinned))
	sh.Unpin(hd)
	fmt.Println(sh.Free(hd), sh.Check())
	// Output:
	// hello; free while pinned: true
	// <nil> <nil>
}
