// Typed helpers: NewOf, NewArray, FreeOf, FreeArray for pointer-free types.

package pool

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/memkit/memkit"
)

// verdicts caches, per type, nil when the type may live in a Pool or the
// error saying why not. sync.Map's Load is lock-free and allocation-free
// for keys already stored, so only a type's first use pays for reflect.
var verdicts sync.Map // reflect.Type -> error (nil: pointer-free)

// typeError returns nil when T holds no pointers (so it may live in memory
// the garbage collector does not scan), or an error naming the offending
// part of T.
func typeError[T any]() error {
	t := reflect.TypeFor[T]()
	if v, ok := verdicts.Load(t); ok {
		if v == nil {
			return nil
		}
		return v.(error)
	}
	var err error
	if where := pointerIn(t, t.String()); where != "" {
		err = fmt.Errorf("pool: type %v holds a pointer (%s); pool memory is not scanned by the garbage collector: %w", t, where, memkit.ErrInvalidConfig)
	}
	if err == nil {
		verdicts.Store(t, nil)
	} else {
		verdicts.Store(t, err)
	}
	return err
}

// pointerIn returns the path of the first pointer-holding part of t, or "".
func pointerIn(t reflect.Type, path string) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Array:
		if t.Len() == 0 {
			return ""
		}
		return pointerIn(t.Elem(), path+"[0]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if w := pointerIn(f.Type, path+"."+f.Name); w != "" {
				return w
			}
		}
		return ""
	}
	return fmt.Sprintf("%s is a %v", path, t.Kind())
}

// NewOf allocates a zeroed T from the smallest class that holds it and
// returns a pointer to it. T must contain no pointers (no pointer, slice,
// string, map, chan, func or interface anywhere in it): otherwise NewOf
// returns an error wrapping ErrInvalidConfig. A T of size zero or of
// alignment above the Pool's returns ErrInvalidSize.
func NewOf[T any](p *Pool) (*T, error) {
	if err := typeError[T](); err != nil {
		return nil, err
	}
	size, align := sizeOf[T]()
	if size == 0 || align > p.lay.align || size > p.maxSize {
		return nil, fmt.Errorf("pool: NewOf a %d-byte type aligned to %d (classes hold 1 to %d bytes aligned to %d): %w",
			size, align, p.maxSize, p.lay.align, memkit.ErrInvalidSize)
	}
	c := p.classOf(size)
	off, err := p.alloc(c, p.start())
	if err != nil {
		return nil, err
	}
	clear(p.mem[off : off+size])
	if h := p.hooks.Load(); h != nil && h.OnAlloc != nil {
		h.OnAlloc(Event{Class: c.index, Size: size, Addr: addrIn(p.mem, off)})
	}
	return typedAt[T](p.mem, off), nil
}

// NewArray is like NewOf except that it allocates n zeroed elements and
// returns them as a slice of length and capacity n. n must be at least 1.
func NewArray[T any](p *Pool, n int) ([]T, error) {
	if err := typeError[T](); err != nil {
		return nil, err
	}
	size, align := sizeOf[T]()
	if n < 1 || size == 0 || align > p.lay.align || n > p.maxSize/size {
		return nil, fmt.Errorf("pool: NewArray of %d elements of %d bytes aligned to %d (classes hold 1 to %d bytes aligned to %d): %w",
			n, size, align, p.maxSize, p.lay.align, memkit.ErrInvalidSize)
	}
	bytes := n * size
	c := p.classOf(bytes)
	off, err := p.alloc(c, p.start())
	if err != nil {
		return nil, err
	}
	clear(p.mem[off : off+bytes])
	if h := p.hooks.Load(); h != nil && h.OnAlloc != nil {
		h.OnAlloc(Event{Class: c.index, Size: bytes, Addr: addrIn(p.mem, off)})
	}
	return typedSliceAt[T](p.mem, off, n), nil
}

// FreeOf is like Free for a pointer returned by NewOf.
func FreeOf[T any](p *Pool, x *T) error {
	t0 := p.start()
	hint := 0
	if size, _ := sizeOf[T](); uint(size-1) < uint(p.maxSize) {
		hint = int(p.lut[(size+p.alignMask)>>p.shift])
	}
	return p.free(typedOffset(p.mem, x), hint, t0)
}

// FreeArray is like Free for a slice returned by NewArray (or a re-slice
// of it that starts at the same element).
func FreeArray[T any](p *Pool, s []T) error {
	t0 := p.start()
	hint := 0
	if size, _ := sizeOf[T](); size > 0 && cap(s) <= p.maxSize/size && cap(s) > 0 {
		hint = int(p.lut[(cap(s)*size+p.alignMask)>>p.shift])
	}
	return p.free(typedSliceOffset(p.mem, s), hint, t0)
}
