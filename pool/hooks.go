// Hooks: user callbacks run after each successful allocation and free.

package pool

// Event describes one successful operation to a hook.
type Event struct {
	Class int     // class index in Config.Classes
	Size  int     // requested bytes for an allocation, block size for a free
	Addr  uintptr // address of the block, as a number (not a pointer)
}

// Hooks are called after each successful operation of a Pool, on the
// goroutine that made the call, once the operation is complete: the block
// is already on (or off) its free list and every counter is updated, so no
// internal state is held across the call and there is no lock to hold.
// Consequently a hook MAY allocate from and free to the same Pool; each such
// nested operation calls its own hook, and bounding that recursion is the
// hook's business. In Concurrent mode hooks run concurrently and must be
// safe for that. An OnFree hook must not touch the block: by the time it
// runs, another goroutine may own it. Failed operations call no hook. A
// nil field is skipped; the zero Hooks calls nothing.
type Hooks struct {
	OnAlloc func(Event)
	OnFree  func(Event)
}

// SetHooks installs h for every later operation (the zero Hooks removes
// them). It is safe to call while other goroutines use a Concurrent Pool:
// each operation sees either the old or the new hooks. SetHooks allocates;
// the operations that call the hooks do not.
func (p *Pool) SetHooks(h Hooks) {
	if h.OnAlloc == nil && h.OnFree == nil {
		p.hooks.Store(nil)
		return
	}
	p.hooks.Store(&h)
}
