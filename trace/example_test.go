// Runnable examples of the trace package.

package trace_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/memkit/memkit/offset"
	"github.com/memkit/memkit/trace"
)

// offsetTarget adapts memkit's offset allocator: blocks are offsets of an
// external space, so Bytes is nil and only spans are checked.
type offsetTarget struct{ a *offset.Allocator }

func (o offsetTarget) Alloc(n uint64) (trace.Block, error) {
	off, err := o.a.Alloc(n)
	return trace.Block(off), err
}
func (o offsetTarget) Free(b trace.Block) error { return o.a.Free(offset.Offset(b)) }
func (o offsetTarget) Bytes(trace.Block) []byte { return nil }
func (o offsetTarget) Space() uint64            { return o.a.Stats().Size }
func (o offsetTarget) Span(b trace.Block) trace.Span {
	n, _ := o.a.SizeOf(offset.Offset(b))
	return trace.Span{Off: uint64(b), Len: n}
}

func ExampleReplay() {
	const rep = "0\n3\n6\n1\na 0 100\na 1 5000\nf 0\na 2 40\nf 1\nf 2\n"
	t, err := trace.ReadRep(strings.NewReader(rep), "small.rep")
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := offset.New(offset.Config{Size: 1 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := trace.Replay(t, offsetTarget{a}, trace.Options{})
	if err != nil {
		fmt.Println(err) // a *VerifyError: which op, which fault
		return
	}
	fmt.Printf("%d ops, peak live %d bytes, peak footprint %d bytes, utilization %.1f%%\n",
		r.Ops, r.PeakLive, r.PeakFootprint, 100*r.Utilization)
	// Output: 6 ops, peak live 5100 bytes, peak footprint 5120 bytes, utilization 99.6%
}

func ExampleReadRep() {
	_, err := trace.ReadRep(strings.NewReader("0\n1\n2\n1\na 0 16\nf 1\n"), "bad.rep")
	fmt.Println(err)
	fmt.Println(errors.Is(err, trace.ErrSyntax))
	// Output:
	// bad.rep:6: f 1: id 1 is not live
	// true
}

func ExampleReadProfile() {
	log := `test_one
seproxyhal: printf: ==MP init;0x20000000;4096
==MP alloc;64;0x20000010;main.c:12
==MP free;0x20000010;main.c:20
`
	t, err := trace.ReadProfile(strings.NewReader(log), "app.log")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := trace.WriteRep(os.Stdout, t); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 4096
	// 1
	// 2
	// 1
	// a 0 64
	// f 0
}

func ExampleWriteRep() {
	t := &trace.Trace{Ops: []trace.Op{
		{Kind: trace.Alloc, ID: 0, Size: 24},
		{Kind: trace.Realloc, ID: 0, Size: 48},
		{Kind: trace.Free, ID: 0},
	}}
	var buf bytes.Buffer
	if err := trace.WriteRep(&buf, t); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(buf.String())
	// Output:
	// 48
	// 1
	// 3
	// 1
	// a 0 24
	// r 0 48
	// f 0
}
