// Package malloc is a general-purpose allocator with the C API (Malloc,
// Calloc, Realloc, Free) over memory mapped from the OS, outside the Go
// heap.
//
// It is for Go programs that keep millions of byte blobs: the memory it
// hands out is never scanned by the garbage collector, so a collection
// costs the same with ten blocks or ten million. In exchange that memory
// must never hold Go pointers (the GC would not see them and could free
// what they point to): store bytes, integers, offsets. Blocks live until
// Free (or Reset or Close); a slice used after that is a use-after-free,
// which Debug mode reports.
//
// # Glossary
//
//   - arena: one mapping of Config.ArenaSize bytes (default 256 KiB) from
//     internal/osmem, owned by one shard, cut into 4 KiB pages.
//   - run: consecutive pages of one arena with one purpose: a slab run of
//     one size class, a medium run holding one block of whole pages, or
//     (Compact) a fit run. A slab run has the fewest pages (1 to 16) that
//     hold 8 slots (fewer for slots above 8 KiB) with at most 1/64 of it
//     left after the last slot: 1 page for most classes up to 512 bytes,
//     2 to 16 above.
//   - size class: one of 120 slot sizes for requests up to 32 KiB:
//     multiples of 16 up to 256, eight from 256 to 512, then sixteen per
//     power of two (at most 6.25% rounding above 512 bytes, against up to
//     50% for power-of-two slots).
//   - borrowing: a request whose class has no free slot takes one from
//     the smallest larger class, at most 1/4 larger, that has two or more
//     runs with free slots, before making a run. Neighbouring classes so
//     share their free slots, which absorbs the swings of each class's
//     population that would otherwise strand slots in every class.
//   - slot: one block-sized cell of a slab run.
//   - fit run (Config.Compact): a run in which requests of 1 KiB to 32 KiB
//     get exactly their size rounded to 16, cut from free blocks found by
//     two-level segregated fit and merged with both neighbours on free.
//   - large block: a request of at least Config.LargeThreshold bytes
//     (default 128 KiB), or larger than an arena: a mapping of its own.
//   - shard: an independent set of arenas, runs and counters. A
//     non-concurrent heap has one and takes no lock; a Concurrent heap has
//     2×GOMAXPROCS (a power of two, at most 64), each behind its own mutex.
//   - address table: a process-wide two-level table from 64 KiB granules of
//     the address space to the (at most two) arenas overlapping each, so the
//     arena of any address is found in O(1) without trusting the address.
//
// # Memory and metadata layout
//
// Mappings hold only the caller's bytes. All metadata is Go memory apart
// from them, so no overrun can corrupt it: per arena a page table (page ->
// run), a free-page bitmap, a dirty-page bitmap, a live-start bitmap (one
// bit per 16 bytes, set where a live block starts) and, for fit runs, a
// free-start bitmap; per run a stack of freed slot offsets; per shard a
// list of runs with free slots for every class. Metadata costs about 1.1%
// of the mapped bytes on the AllocFree churns (Stats.Metadata). Nothing
// is ever written into a block by the allocator, free or live (Debug mode
// writes its guards and poison, by design).
//
// # Allocation (Malloc(n))
//
//  1. n < 0 or n too large to round: ErrInvalidSize. Closed: ErrClosed.
//  2. n ≤ 32 KiB (≤ 1 KiB with Compact) and below LargeThreshold: class c =
//     sizeToClass[(n+15)/16] (a table lookup); pick the shard (Concurrent:
//     the goroutine's usual shard, picked by a hash of its stack address,
//     if its TryLock succeeds, else the next free one, else wait on it).
//  3. The class's current run (the last on its partial list) gives a slot;
//     when the class has none, a larger class lends its current run
//     (borrowing), else a run is made: first fit from the shard's lowest
//     arena with free pages (so runs pack into the oldest arenas), mapping
//     a new arena when none has them. The slot is the top of the run's free
//     stack, else the next never-used slot (which reads as zero if the
//     run's pages were clean: Calloc skips the clearing). A run that
//     becomes full leaves the partial list, and the fullest remaining run
//     becomes current.
//  4. Set the slot's live-start bit; count; return mem[off:off+n:off+slot].
//  5. Compact and 1 KiB < n ≤ 32 KiB: round n to 16; find the smallest
//     non-empty free-list class that certainly fits (a bitmap search); pop
//     an entry (entries made stale by merges are skipped); split off the
//     tail when at least 16 bytes remain.
//  6. Larger (medium): a run of ceil(n/4 KiB) pages, first fit in the
//     shard's arenas (a split when the free extent was longer).
//  7. Large: osmem.Map of n rounded to OS pages, filed in a map by address.
//
// # Free (Free(b))
//
//  1. addr := &b[0]. The address table gives the arena, which must belong
//     to this heap and contain addr; otherwise look addr up among the large
//     blocks; otherwise ErrInvalidFree.
//  2. Lock the arena's shard (Concurrent: frees go back to the owning
//     shard, whichever goroutine calls). addr must be 16-byte aligned and
//     its live-start bit set; else ErrDoubleFree when addr is a slot (or
//     free fit block) start, else ErrInvalidFree. Nothing has changed yet.
//  3. Slab: clear the bit, push the slot on the run's free stack; a run that
//     was full rejoins the partial list; a run that became empty gives its
//     pages back at once (runs are small, so small heaps stay small).
//  4. Fit: the block ends at the next live or free start; merge with a free
//     block after it and one before it (a backward bitmap search), file the
//     result; a fit run that became all free goes back to the arena when
//     the shard has another.
//  5. Medium: give the pages back (a merge with each free neighbour page).
//  6. Large: unmap.
//
// Realloc keeps the block when the new size fits its usable size (a
// shrink, or growth within the slot); medium and fit blocks also grow into
// a free neighbour and give a shrunk tail back. Otherwise it allocates,
// copies min(len(b), n) bytes and frees; a failure leaves b untouched.
//
// # Alignment and zeroing
//
// Every block starts on 16 bytes. len is the request, cap the usable size
// (UsableSize); Malloc(0) returns an empty slice with a 16-byte block.
// Malloc does not zero. Calloc zeroes unless the block is known to be
// fresh from the OS (never-used slots of runs made of clean pages, large
// mappings). Trim decommits free pages (they read as zero afterwards and
// are clean again).
//
// # Complexity
//
// Malloc and Free of slab and fit blocks are O(1) except when a run is
// made or released (a first-fit page search over the shard's arenas) or an
// arena mapped. Fit blocks scan the 16-byte bitmaps for their neighbours:
// O(size/1 KiB) word operations. Finding an arena is O(1). Check, Reset and
// Trim are O(mapped bytes / 16) bit operations. Large blocks cost a system
// call each.
//
// # Concurrency
//
// A Heap without Config.Concurrent must be used by one goroutine at a time.
// With it, every method is safe for concurrent use except Close, which must
// not overlap other calls. There is no global lock on the hot path:
// allocations spread over shards (a goroutine keeps to one while it is
// free), each with its own mutex, and a block is
// freed under its arena's shard lock. The address table is read with
// atomic loads and written (when arenas come and go) under one mutex.
// Large blocks share one mutex (they cost a system call anyway). The
// package-level Malloc, Calloc, Realloc and Free use a default Concurrent
// heap that is never closed.
//
// # Debug
//
// Config.Debug puts 16 guard bytes before each block and guard bytes from
// its end to the end of its slot (cap is exactly the request), checked on
// Free, Realloc and Check. Freed blocks are filled with a poison byte and
// wait in a FIFO quarantine (256 blocks or 4 MiB) before they are reused;
// Check, and their leaving the quarantine, report writes into them. Reports
// wrap memkit.ErrCorrupt and name the block's address and size. Realloc
// always moves in Debug mode, so stale slices land in the quarantine. With
// Debug off none of this code runs.
//
// # Statistics and checks
//
// Stats counts bytes by usable size. Check walks all metadata: pages and
// runs agree, every slot below a run's bump pointer is live or on its free
// stack exactly once, fit runs are tiled by blocks with no two free ones
// touching and every free one listed, and counters equal a recount.
package malloc
