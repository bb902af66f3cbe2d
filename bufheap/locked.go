// Locked: the form of Heap that is safe for concurrent use.

package bufheap

import (
	"io"
	"sync"

	"github.com/memkit/memkit/profile"
)

// Locked is a Heap behind a mutex: every method is Heap's, called with the
// mutex held, so a Locked is safe for concurrent use. Blocks it hands out
// are ordinary slices of the buffer: goroutines may use different blocks
// at the same time, but a single block needs the caller's own
// synchronization. The zero Locked is not usable; call NewLocked.
type Locked struct {
	mu sync.Mutex
	h  *Heap // guarded by mu
}

// NewLocked returns a Locked that owns h. h must not be used directly
// afterwards except through Do.
func NewLocked(h *Heap) *Locked { return &Locked{h: h} }

func (l *Locked) site() profile.Site {
	if l.h.log != nil {
		return profile.Caller(2)
	}
	return profile.Site{}
}

// Alloc is Heap.Alloc under the lock.
func (l *Locked) Alloc(n int) ([]byte, error) {
	at := l.site()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.allocAt(n, at)
}

// Calloc is Heap.Calloc under the lock.
func (l *Locked) Calloc(n int) ([]byte, error) {
	at := l.site()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.callocAt(n, at, false)
}

// Realloc is Heap.Realloc under the lock.
func (l *Locked) Realloc(b []byte, n int) ([]byte, error) {
	at := l.site()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.reallocAt(b, n, at)
}

// Free is Heap.Free under the lock.
func (l *Locked) Free(b []byte) error {
	at := l.site()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.freeAt(b, at)
}

// Strdup is Heap.Strdup under the lock.
func (l *Locked) Strdup(s string) ([]byte, error) {
	at := l.site()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.strdupAt(s, at)
}

// CallocInto is Heap.CallocInto under the lock.
func (l *Locked) CallocInto(p *[]byte, n int) error {
	at := l.site()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.callocInto(p, n, at, false)
}

// Persistent is Heap.Persistent under the lock.
func (l *Locked) Persistent(p *[]byte, n int) error {
	at := l.site()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.callocInto(p, n, at, true)
}

// FreeAndNil is Heap.FreeAndNil under the lock.
func (l *Locked) FreeAndNil(p *[]byte) error {
	at := l.site()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.freeAndNil(p, at)
}

// Offset is Heap.Offset under the lock.
func (l *Locked) Offset(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.Offset(b)
}

// At is Heap.At under the lock.
func (l *Locked) At(off int) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.At(off)
}

// Stats is Heap.Stats under the lock.
func (l *Locked) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.Stats()
}

// Check is Heap.Check under the lock.
func (l *Locked) Check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.Check()
}

// Reset is Heap.Reset under the lock.
func (l *Locked) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.Reset()
}

// WriteProfile is Heap.WriteProfile under the lock.
func (l *Locked) WriteProfile(w io.Writer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h.WriteProfile(w)
}

// Do calls fn with the heap while holding the lock, for sequences that
// must be atomic (Walk, LiveBlocks, several operations in a row). fn must
// not keep h after it returns. Sites logged inside fn are fn's own lines.
func (l *Locked) Do(fn func(h *Heap) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fn(l.h)
}
