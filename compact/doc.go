// Package compact is a relocating heap over one caller-given buffer: it
// moves blocks to close the gaps that frees leave, so that free space that
// exists is free space that can be used, and it keeps every reference to a
// moved block valid.
//
// It realizes dalloc (a heap that slides blocks down on every free and
// rewrites the owners' pointers) without its flaws (a fixed table of 100
// allocations searched linearly, a crash when an owner's variable was nilled
// or advanced, a lock that guards metadata but not the memory readers are
// reading during a move), and offers Vulkan Memory Allocator's style too:
// stable handles and explicit defragmentation passes with budgets.
//
// # Glossary
//
//   - space: the caller's buffer from its first address aligned to Align,
//     cut to a whole number of alignment units. Offsets count from there.
//   - block: a live allocation: offset, size (bytes requested, what Bytes
//     returns) and reservation (size rounded up to Align).
//   - handle table: a Go slice of entries, one per slot; slot 0 is a
//     sentinel block of reservation 0 at offset 0. Free slots form a stack.
//   - Handle: slot number (low 32 bits) and the slot's generation (high 32:
//     an 8-bit heap tag and a 24-bit counter bumped on every free). A handle
//     is valid while the slot is live with the same generation: stale,
//     double-freed and foreign handles are refused, never misread.
//   - address list: live blocks in address order, a circular doubly linked
//     list through the entries, closed by the sentinel.
//   - gap: the free bytes between a block's end and the next block's start
//     (or the end of the space). Every gap belongs to the block below it,
//     the sentinel owning the one at offset 0.
//   - gap index: non-empty gaps filed by size class (internal/sizeclass,
//     16 classes per power of two, in alignment units) in per-class doubly
//     linked lists, with a two-level bitmap of non-empty classes.
//   - pinned block: a block with a pin count > 0. It never moves and cannot
//     be freed.
//   - segment: a run of unpinned blocks between two pinned blocks (or an
//     end of the space).
//   - compact mark: the block up to whose end the space is known to be
//     compact: no gap except just below pinned blocks. Compaction resumes
//     there; an operation opening a gap below it lowers it.
//   - tracked slice: a []byte variable whose address the heap holds (in a
//     Go map and in the block's entry), rewritten on every move.
//
// # Memory and metadata layout
//
// The space holds user bytes only: no header, no link, no Go pointer is
// ever stored in it. All metadata is Go memory outside it: the handle table
// (about 80 bytes per slot), the class heads (976 int32), the bitmap, and
// for tracked slices a map[*[]byte]Handle. With MaxAllocations > 0 the table
// is allocated once in New and the handle API never allocates Go memory.
//
// # Allocation (Alloc)
//
//  1. Refuse n < 1 or n > the space (ErrInvalidSize), or a full fixed table
//     (ErrNoMetadata). need = n rounded up to Align.
//  2. Find a gap: the first gap of the smallest class whose every member
//     holds need (O(1) through the bitmap); failing that, the first few
//     gaps of need's own class, where members may or may not fit.
//  3. Failing that, scan all of need's class (slow path, before giving up).
//  4. Failing that, under Lazy and Eager, if the free space holds need and
//     (with pinned blocks) a planning walk shows that a full slide would
//     leave a gap of need, run the slide (below) and take that gap.
//     Otherwise fail with ErrOutOfMemory having moved nothing.
//  5. Take a slot, place the block at the start of the chosen gap (so gaps
//     are consumed from below), link it after the gap's owner, refile the
//     owner's and the new block's gaps.
//
// Bump allocation is the special case of step 2 where the gap is the one at
// the end. When does a request fail although enough bytes are free? Under
// Lazy and Eager, only when pinned blocks cut the free space: after a full
// slide the free space lies in one gap just below each pinned block and one
// at the end, and the request fails if none of those holds it. Blocks never
// jump over a pinned block (that would change their order), so a free 64
// KiB split 32+32 around a pinned block does not serve 40 KiB. Under
// Manual, whenever no single gap holds it.
//
// # Free
//
//  1. Look the handle up (stale: ErrInvalidFree; the slot's generation is
//     one past the handle's and the slot free: ErrDoubleFree); refuse a
//     pinned block (ErrPinned).
//  2. Zero its bytes (unless KeepFreed), nil its tracked slice.
//  3. Unlink it; its predecessor's gap grows to cover it: refile that gap.
//     Lower the compact mark if the block lay below it.
//  4. Bump the slot's generation, push the slot on the free stack.
//  5. Eager only: slide from the predecessor.
//
// # Compaction (the slide)
//
// One pass up the address list from the compact mark with a cursor: an
// unpinned block with a gap below it is moved (copy, i.e. memmove) down to
// the cursor; a pinned block stays and the cursor jumps to its end. Blocks
// only move down and in address order, so a block never crosses a pinned
// one, never overlaps a block not yet moved, and each live byte moves at
// most once. Neighbours that slide by the same distance (no gap between
// them) are copied in one memmove. Gaps are refiled as the pass goes. After each run of unpinned
// blocks, the only old bytes not covered by a new place (the tops of the
// old places at and above the cursor) are zeroed (unless KeepFreed), so
// zeroing costs at most the bytes moved. Defragment runs the same pass
// within a Budget and resumes at the mark on the next call. Eager runs it
// from the gap just opened and stops at the first block already in place.
//
// # Realloc
//
// Same handle, contents kept. A shrink, or a growth that fits the gap above
// the block, is in place. Otherwise the block moves to a gap that holds its
// new size, if any (any policy). Otherwise, under Lazy and Eager, the
// block's segment is squeezed: if the gaps above the block in its segment
// are too small, the blocks below it and the block itself slide down; then
// the blocks above it move up, the highest first, just as far as needed.
// This succeeds whenever the segment's free space holds the growth (without
// pins: whenever the heap's free space does). A pinned block is only
// resized in place (else ErrPinned). On failure nothing has changed.
//
// # Alignment and zeroing
//
// Offsets and reservations are multiples of Align (default 16), and the
// space starts at an address aligned to Align, so Bytes slices are aligned
// in memory. Unless KeepFreed, every byte of the space outside the live
// blocks' requested bytes is zero at all times (Check verifies it): new
// blocks and grown tails read as zeros, and no freed or vacated contents
// linger. With KeepFreed they keep whatever was there.
//
// # Complexity
//
//   - Alloc: O(1) when a gap fits (steps 2 and 5). When none does, Lazy
//     compacts: O(blocks above the compact mark) plus a memmove of the bytes
//     that have gaps below them. Amortized, a compaction that moves L bytes
//     leaves all free space F in one gap, which serves F bytes of requests
//     before the next: O(1 + L/F) per allocated byte, i.e. O(1) at a fixed
//     fill ratio (BenchmarkAllocFree reports bytes moved per op).
//   - Free: O(1) under Lazy and Manual (plus zeroing the block). Under Eager
//     it costs a memmove of the bytes behind the freed block up to the next
//     pinned block or the end: linear in them (BenchmarkEagerFree, on a
//     loaded 2-vCPU VM: ~3 µs with 64 KiB behind, ~0.05-0.15 ms with 1 MiB,
//     ~1-2.5 ms with 16 MiB).
//   - Realloc: O(1) in place or to a gap; a squeeze costs O(blocks in the
//     segment) plus the bytes it moves.
//   - Pin, Unpin, Bytes: O(1) (Unpin under Eager: like Eager's Free).
//   - Tracked slices: a map lookup by the variable's address; never a scan.
//   - Stats: O(1) plus the gaps of the largest class. Check, Dump: O(space).
//
// # Concurrency
//
// A Heap is not safe for concurrent use. Shared is: it guards a Heap with a
// read-write lock so that no goroutine can read a block while it moves.
// Readers either run a function under With (read lock: no block moves while
// any With runs) or Pin a block and read it without the lock until Unpin
// (a pinned block never moves, cannot be freed or resized, and other blocks
// moving around it never touch its bytes). Everything that moves, allocates
// or frees takes the write lock.
package compact
