// Locked: the Allocator behind a mutex, for concurrent use.

package offset

import "sync"

// Locked is an Allocator safe for concurrent use: each method takes a mutex
// and calls the Allocator method of the same name, so the two share one
// documentation. Unlike Allocator's, the error of a failed Alloc is a fresh
// copy (the failure path allocates), since another goroutine's failure
// would overwrite the shared one. Its zero value refuses every allocation,
// like the zero Allocator, until UnmarshalBinary restores a snapshot into
// it; build one with NewLocked.
type Locked struct {
	mu sync.Mutex
	a  *Allocator // guarded by mu
}

// NewLocked is like New except that it returns a Locked.
func NewLocked(cfg Config) (*Locked, error) {
	a, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Locked{a: a}, nil
}

// detach copies an Allocator-owned *Error so it stays valid after unlock.
func detach(err error) error {
	if e, ok := err.(*Error); ok {
		c := *e
		return &c
	}
	return err
}

// Alloc is Allocator.Alloc under the lock.
func (l *Locked) Alloc(size uint64) (Offset, error) {
	l.mu.Lock()
	off, err := l.get().Alloc(size)
	l.mu.Unlock()
	return off, detach(err)
}

// AllocAligned is Allocator.AllocAligned under the lock.
func (l *Locked) AllocAligned(size, align uint64) (Offset, error) {
	l.mu.Lock()
	off, err := l.get().AllocAligned(size, align)
	l.mu.Unlock()
	return off, detach(err)
}

// Free is Allocator.Free under the lock.
func (l *Locked) Free(off Offset) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get().Free(off)
}

// SizeOf is Allocator.SizeOf under the lock.
func (l *Locked) SizeOf(off Offset) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get().SizeOf(off)
}

// Stats is Allocator.Stats under the lock.
func (l *Locked) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get().Stats()
}

// Check is Allocator.Check under the lock.
func (l *Locked) Check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get().Check()
}

// Reset is Allocator.Reset under the lock.
func (l *Locked) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.get().Reset()
}

// Grow is Allocator.Grow under the lock.
func (l *Locked) Grow(newSize uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get().Grow(newSize)
}

// Walk is Allocator.Walk under the lock; fn runs with the lock held and
// must not call l's methods.
func (l *Locked) Walk(fn func(b Block) bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.get().Walk(fn)
}

// MarshalBinary is Allocator.MarshalBinary under the lock.
func (l *Locked) MarshalBinary() ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get().MarshalBinary()
}

// UnmarshalBinary is Allocator.UnmarshalBinary under the lock.
func (l *Locked) UnmarshalBinary(data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get().UnmarshalBinary(data)
}

// get returns the Allocator, creating the empty one for a zero Locked.
func (l *Locked) get() *Allocator {
	if l.a == nil {
		l.a = new(Allocator)
	}
	return l.a
}
