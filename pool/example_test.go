// Runnable examples: an audio-style loop on a preset, typed objects, reading Stats.

package pool_test

import (
	"errors"
	"fmt"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/pool"
)

// An audio callback allocates its scratch buffers from a pool made once at
// start-up, so the real-time thread never calls into the Go allocator and
// every allocation costs the same few nanoseconds.
func Example_audio() {
	cfg := pool.Preset(pool.Audio)
	cfg.Stats = true // while tuning: counters, peaks, worst-case times
	size, err := pool.RequiredSize(cfg)
	if err != nil {
		panic(err)
	}
	p, err := pool.New(make([]byte, size), cfg)
	if err != nil {
		panic(err)
	}
	p.Prefault() // no page fault inside the callback later

	const frames = 512
	callback := func(in []float32) error {
		// 512 stereo float32 frames: 4096 bytes, the 4 KiB class.
		mix, err := pool.NewArray[float32](p, 2*frames)
		if err != nil {
			return err // ErrOutOfMemory: skip the block, never block
		}
		defer pool.FreeArray(p, mix)
		for i, v := range in {
			mix[2*i], mix[2*i+1] = v*0.5, v*0.5
		}
		return nil
	}
	in := make([]float32, frames)
	for range 100 {
		if err := callback(in); err != nil {
			panic(err)
		}
	}
	st := p.Stats()
	c := st.Classes[3]
	fmt.Printf("class %d B: %d allocs, %d frees, peak %d, in use %d, failed %d\n",
		c.Size, c.Allocs, c.Frees, c.Peak, c.InUse, c.Failed)
	fmt.Println("worst alloc measured:", c.AllocWorst > 0)
	fmt.Println("check:", p.Check())
	// Output:
	// class 4096 B: 100 allocs, 100 frees, peak 1, in use 0, failed 0
	// worst alloc measured: true
	// check: <nil>
}

// Typed objects: NewOf hands out a zeroed *T from the smallest class that
// holds a T. T must contain no pointers.
func ExampleNewOf() {
	type joint struct {
		Angle, Velocity, Torque float64
		ID                      uint16
	}
	cfg := pool.Preset(pool.Robotics)
	size, _ := pool.RequiredSize(cfg)
	p, err := pool.New(make([]byte, size), cfg)
	if err != nil {
		panic(err)
	}
	j, err := pool.NewOf[joint](p)
	if err != nil {
		panic(err)
	}
	j.ID, j.Angle = 3, 1.57
	fmt.Printf("joint %d at %.2f rad\n", j.ID, j.Angle)
	fmt.Println("free:", pool.FreeOf(p, j))
	err = pool.FreeOf(p, j)
	fmt.Println("again:", errors.Is(err, memkit.ErrDoubleFree))

	// A type holding a pointer is refused: the GC does not scan the pool.
	type named struct {
		Name string
	}
	_, err = pool.NewOf[named](p)
	fmt.Println(errors.Is(err, memkit.ErrInvalidConfig))
	// Output:
	// joint 3 at 1.57 rad
	// free: <nil>
	// again: true
	// true
}

// Reading Stats: per-class counters, failures, and totals.
func ExamplePool_Stats() {
	cfg := pool.Config{Stats: true, Classes: []pool.Class{{Size: 32, Count: 2}, {Size: 128, Count: 4}}}
	size, _ := pool.RequiredSize(cfg)
	p, _ := pool.New(make([]byte, size), cfg)

	a, _ := p.Alloc(20)
	b, _ := p.Alloc(30)
	_, err := p.Alloc(32) // the 32-byte class has two blocks
	fmt.Println(errors.Is(err, memkit.ErrOutOfMemory))
	c, _ := p.Alloc(100)
	p.Free(b)

	st := p.Stats()
	for _, cs := range st.Classes {
		fmt.Printf("size %3d: in use %d/%d, peak %d, allocs %d, frees %d, failed %d\n",
			cs.Size, cs.InUse, cs.Count, cs.Peak, cs.Allocs, cs.Frees, cs.Failed)
	}
	fmt.Printf("bytes %d, used %d, peak %d\n", st.Bytes, st.Used, st.Peak)
	p.Free(a)
	p.Free(c)
	fmt.Println(p.Check())
	// Output:
	// true
	// size  32: in use 1/2, peak 2, allocs 2, frees 1, failed 1
	// size 128: in use 1/4, peak 1, allocs 1, frees 0, failed 0
	// bytes 576, used 160, peak 192
	// <nil>
}

// Suggest fits classes to the request sizes a program was seen to make
// and sizes them to a byte budget.
func ExampleSuggest() {
	var seen []int
	for i := range 1000 {
		switch {
		case i%10 < 6:
			seen = append(seen, 48) // 60%: small messages
		case i%10 < 9:
			seen = append(seen, 200+i%50) // 30%: 200 to 249 bytes
		default:
			seen = append(seen, 1500) // 10%: packets
		}
	}
	cfg, err := pool.Suggest(seen, 64<<10)
	if err != nil {
		panic(err)
	}
	need, _ := pool.RequiredSize(cfg)
	for _, c := range cfg.Classes {
		fmt.Printf("%4d bytes × %d\n", c.Size, c.Count)
	}
	fmt.Println("fits 64 KiB:", need <= 64<<10)

	_, err = pool.Suggest(seen, 1024)
	fmt.Println(errors.Is(err, memkit.ErrInvalidConfig))
	// Output:
	//   48 bytes × 152
	//  248 bytes × 76
	// 1504 bytes × 25
	// fits 64 KiB: true
	// true
}
