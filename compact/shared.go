// Shared: the form of the heap that is safe for concurrent use.

package compact

import (
	"fmt"
	"io"
	"sync"

	"github.com/memkit/memkit"
)

// Shared is a Heap that is safe for concurrent use, built so that no
// goroutine can read a block while it moves. Its rule is a read-write lock:
//
//   - With runs a function on a block's bytes under the read lock: any
//     number of With calls run at once, and no block moves meanwhile.
//   - Pin returns a block's bytes and pins it; the caller may read and
//     write them without any lock until Unpin, because a pinned block never
//     moves and cannot be freed or resized (Free and Realloc fail with
//     ErrPinned), while other blocks may move around it: their bytes never
//     overlap its own.
//   - Everything that may move, allocate or free (Alloc, Free, Realloc,
//     Pin, Unpin, Defragment, Reset) takes the write lock, so it waits for
//     running With calls and excludes other writers.
//
// Tracked slices are not offered: the heap would rewrite a variable that
// other goroutines may read. Bytes is not offered either: use With or Pin.
// A function given to With must not call methods of the same Shared.
//
// The zero value is not usable; build one with NewShared.
type Shared struct {
	mu sync.RWMutex
	h  *Heap // guarded by mu
}

// NewShared is New for a Shared heap.
func NewShared(buf []byte, cfg Config) (*Shared, error) {
	h, err := New(buf, cfg)
	if err != nil {
		return nil, err
	}
	return &Shared{h: h}, nil
}

// Alloc is Heap.Alloc under the write lock.
func (sh *Shared) Alloc(n int) (Handle, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.h.Alloc(n)
}

// Free is Heap.Free under the write lock.
func (sh *Shared) Free(hd Handle) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.h.Free(hd)
}

// Realloc is Heap.Realloc under the write lock, except that a pinned block
// is refused with ErrPinned (another goroutine may be reading it).
func (sh *Shared) Realloc(hd Handle, n int) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s, err := sh.h.lookup("realloc", hd)
	if err != nil {
		return err
	}
	if p := sh.h.tab[s].pins; p > 0 {
		return fmt.Errorf("compact: realloc handle %v: pinned %d times: %w", hd, p, memkit.ErrPinned)
	}
	return sh.h.Realloc(hd, n)
}

// Pin pins the block and returns its bytes, valid until the matching Unpin.
func (sh *Shared) Pin(hd Handle) ([]byte, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if err := sh.h.Pin(hd); err != nil {
		return nil, err
	}
	return sh.h.Bytes(hd)
}

// Unpin is Heap.Unpin under the write lock.
func (sh *Shared) Unpin(hd Handle) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.h.Unpin(hd)
}

// With calls fn with the block's bytes under the read lock: the block
// stays in place for fn's duration. fn may write the bytes (With calls on
// the same block from several goroutines must then coordinate among
// themselves) and must not keep the slice after it returns.
func (sh *Shared) With(hd Handle, fn func(b []byte)) error {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	b, err := sh.h.Bytes(hd)
	if err != nil {
		return err
	}
	fn(b)
	return nil
}

// Defragment is Heap.Defragment under the write lock; pinned blocks stay.
func (sh *Shared) Defragment(b Budget) (Result, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.h.Defragment(b)
}

// Reset is Heap.Reset under the write lock, except that it fails with
// ErrPinned, changing nothing, while any block is pinned.
func (sh *Shared) Reset() error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.h.pinned > 0 {
		return fmt.Errorf("compact: reset: %d blocks pinned: %w", sh.h.pinned, memkit.ErrPinned)
	}
	sh.h.Reset()
	return nil
}

// Stats is Heap.Stats under the read lock.
func (sh *Shared) Stats() Stats {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.h.Stats()
}

// String is Heap.String under the read lock.
func (sh *Shared) String() string {
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.h.String()
}

// Check is Heap.Check under the write lock (it reads free bytes, which a
// pinned block's reader never touches but a concurrent zeroing would).
func (sh *Shared) Check() error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.h.Check()
}

// Dump is Heap.Dump under the write lock. Bytes of pinned blocks may be
// changing while they are dumped.
func (sh *Shared) Dump(w io.Writer) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.h.Dump(w)
}
