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
//     (Compact) a fit run. Each run has one 64-byte record (run.go) in its
//     shard's record store, named by a uint32 index. A slab run has the fewest pages (1 to 16) that
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
//   - slot: one block-sized cell of a slab run; a run has at most 256.
//   - live bitmap: one bit per slot in the run's record, set while the
//     slot is handed out. It is the free list (Malloc takes the lowest
//     clear bit), the double-free check and the live-block count at once.
//   - partial list: per class, the indexes of the runs with a free slot;
//     the last one (the current run) serves allocations.
//   - fit run (Config.Compact): a run in which requests of 1 KiB to 32 KiB
//     get exactly their size rounded to 16, cut from free blocks found by
//     two-level segregated fit and merged with both neighbours on free.
//   - large block: a request of at least Config.LargeThreshold bytes
//     (default 128 KiB), or larger than an arena: a mapping of its own.
//   - shard: an independent set of arenas, runs and counters. A
//     non-concurrent heap has one and takes no lock; a Concurrent heap has
//     2×GOMAXPROCS (a power of two, at most 64), each behind its own
//     mutex; a goroutine allocates from the shard of the P it runs on.
//   - address table: a process-wide two-level table from 64 KiB granules of
//     the address space to the (at most two) arenas overlapping each, so the
//     arena of any address is found in O(1) without trusting the address.
//   - page table: a process-wide two-level table with one 64-bit entry per
//     4 KiB page of every arena: the owning heap's id, the shard, the run's
//     record index, its class and the page's place in the run (ptable.go),
//     so Free of a slab block goes from its address to its run record with
//     one table load instead of four dependent loads through the arena.
//
// # Memory and metadata layout
//
// Mappings hold only the caller's bytes. All metadata is Go memory apart
// from them, so no overrun can corrupt it, and none of it holds a Go
// pointer per block or per run, so the garbage collector has almost
// nothing to scan or mark however many blocks are live:
//
//   - per shard, a record store: one []run of 64-byte plain values (index
//     0 unused), a []uint32 of unused record indexes, and per class a
//     partial list ([]uint32 of run indexes);
//   - per arena, a small struct, a page table ([]uint32: page -> run
//     index, 0 when free) and one []uint64 holding the free-page and
//     dirty-page bitmaps; an arena that gets a fit run also gets the fit
//     bitmaps (one bit per 16 bytes: live starts, free starts);
//   - a run record: the live bitmap (4 words), the run's first page, slot
//     size, length, arena index, partial-list position, live count, slot
//     count, bump (slots at and above it never handed out), class and a
//     clean-pages flag. Free reads and writes this one cache line;
//   - the process-wide address table: pointer-free leaves of uint64
//     entries (two arena ids per 64 KiB granule) and a registry of arenas;
//   - the process-wide page table: pointer-free leaves of uint64 entries,
//     8 bytes per mapped 4 KiB page (0.2%), and leaf numbers above them.
//
// The Go objects are thus a few per arena and a few per shard: a GC with
// ten million live blocks marks about as much as with one million
// (BenchmarkGC: 0.30 ms and 0.45 ms; the residue is the arena structs,
// about one per 256 KiB mapped, and the registry that points at them).
// Metadata costs about 0.5% of the mapped bytes on the AllocFree churns
// (Stats.Metadata). Nothing is ever written into a block by the allocator,
// free or live (Debug mode writes its guards and poison, by design).
//
// # Allocation (Malloc(n))
//
//  1. n < 0 or n too large to round: ErrInvalidSize. Closed: ErrClosed.
//  2. n ≤ 32 KiB (≤ 1 KiB with Compact) and below LargeThreshold: class c =
//     sizeToClass[(n+15)/16] (a table lookup); pick the shard (Concurrent:
//     the shard of the goroutine's P if its TryLock succeeds, else the
//     next free one, else wait on it).
//  3. The current run of class c (the last on its partial list) gives a
//     slot; when the class has none, a larger class lends its current run
//     (borrowing), else a run is made: first fit from the shard's lowest
//     arena with free pages (so runs pack into the oldest arenas), mapping
//     a new arena when none has them, and a record from the store.
//  4. The slot is the lowest clear bit of the run's live bitmap; set it.
//     A slot at the bump index was never handed out and reads as zero if
//     the run's pages were clean (Calloc skips the clearing). A run that
//     becomes full leaves the partial list.
//  5. Count; return mem[off:off+n:off+slot].
//  6. Compact and 1 KiB < n ≤ 32 KiB: round n to 16; find the smallest
//     non-empty free-list class that certainly fits (a bitmap search); pop
//     an entry (entries made stale by merges are skipped); split off the
//     tail when at least 16 bytes remain.
//  7. Larger (medium): a run of ceil(n/4 KiB) pages, first fit in the
//     shard's arenas (a split when the free extent was longer).
//  8. Large: osmem.Map of n rounded to OS pages, filed in a map by address.
//
// # Free (Free(b))
//
//  1. addr := &b[0]. Its page-table entry names this heap and a slab run:
//     lock the shard it names (Concurrent: frees go back to the owning
//     shard, whichever goroutine calls; the entry is read again under the
//     lock and must not have changed), take the record, and go to step 3
//     with the page's place in the run giving addr's offset in the run.
//     The slot must be live; anything else (a medium, fit or large block,
//     a foreign or freed address) takes the general path, steps 1a-2.
//     1a. The address table gives the arena, which must belong to this
//     heap and contain addr; otherwise look addr up among the large
//     blocks; otherwise ErrInvalidFree.
//  2. Lock the arena's shard. The arena's page array gives the run index,
//     the store its record.
//  3. Slab: the slot index is (addr-start)*classMagic>>32 (a multiply, not
//     a divide); addr must be exactly that slot's start and its live bit
//     set, else ErrDoubleFree when the slot was handed out before (below
//     bump), else ErrInvalidFree. Nothing has changed yet. Clear the bit; a
//     run that was full joins its partial list as the current run (its
//     record is in cache, and it fills again first); a run that became
//     empty gives its pages and record back at once (runs are small, so
//     small heaps stay small).
//  4. Fit: the block must start at a live fit start; it ends at the next
//     live or free start; merge with a free block after it and one before
//     it (a backward bitmap search), file the result; a fit run that
//     became all free goes back to the arena when the shard has another.
//  5. Medium: addr must be the run's start; give the pages back (a merge
//     with each free neighbour page).
//  6. Large: unmap.
//
// Realloc keeps the block when the new size fits its usable size (a
// shrink, or growth within the slot); medium and fit blocks also grow into
// a free neighbour and give a shrunk tail back. A large block that grows
// is remapped on Linux (osmem.Remap, mremap): the mapping extends where it
// lies or its pages move to a new address, with no copy and no page fault
// on the bytes it held, so a realloc chain of large blocks costs a system
// call every few pages instead of a copy of the whole block. Otherwise
// Realloc allocates, copies min(len(b), n) bytes and frees; a failure
// leaves b untouched.
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
// Malloc and Free of slab blocks are O(1): a table lookup, a record, at
// most four bitmap words, an append to or pop from a partial list; except
// when a run is made or released (a first-fit page search over the shard's
// arenas) or an arena mapped. Fit blocks scan the 16-byte bitmaps for
// their neighbours: O(size/1 KiB) word operations. Finding an arena is
// O(1). Check, Reset and Trim are O(mapped bytes / 16) bit operations.
// Large blocks cost a system call each.
//
// # Concurrency
//
// A Heap without Config.Concurrent must be used by one goroutine at a time.
// With it, every method is safe for concurrent use except Close, which must
// not overlap other calls. There is no global lock on the hot path:
// allocations go to the shard of the P (runtime.procPin, linked by name as
// sync.Pool does) the goroutine runs on, so goroutines running at the same
// moment use distinct shards and uncontended locks; a block is freed under
// its arena's shard lock, which only contends when goroutines free blocks
// another P allocated. The address table is read with atomic loads and
// written (when arenas come and go) under one mutex. Large blocks share
// one mutex (they cost a system call anyway). The package-level Malloc,
// Calloc, Realloc and Free use a default Concurrent heap that is never
// closed.
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
// runs agree, every record is in exactly one run or on the unused list,
// live bitmaps agree with live counts and bump indexes, partial lists hold
// exactly the runs with a free slot, fit runs are tiled by blocks with no
// two free ones touching and every free one listed, and counters equal a
// recount.
package malloc
