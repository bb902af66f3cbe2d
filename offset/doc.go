// Package offset allocates ranges of an external address space (SPI RAM, a
// GPU or DMA heap, free space in a file) and keeps all of its bookkeeping
// in ordinary Go memory, apart from the space it manages. It hands out
// offsets; it never reads or writes the space itself.
//
// # Glossary
//
//   - space: the managed range [0, Size), Size a multiple of Align (Config.Size
//     is rounded down) and at most 1<<62 bytes.
//   - block: a range of the space, free or live. Blocks tile the space in
//     address order; every block starts and ends on a multiple of Align.
//   - node: GoodFit's 24-byte metadata record of one block, in a flat []node
//     indexed by uint32. Fields: the block's offset with a free bit, the
//     indexes of its address neighbours (prev, next), and two policy links
//     (a, b). A block's size is not stored: it is the next block's offset
//     minus its own. Node 0 is the sentinel: link value 0 means "none", and
//     node 0 closes the address chain into a ring (next: the first block,
//     prev: the last, off: the space's size, never free), so a block's end
//     is always nodes[next].off and a missing neighbour reads as live.
//     Unused nodes hold off = 1<<62 and form a doubly linked list.
//   - home window: GoodFit's 4 consecutive nodes starting at a hash of a
//     block's offset. A block's node is taken from its window when one
//     there is unused, so Free finds it by reading the window (one or two
//     cache lines, no dependent load).
//   - node budget: Config.MaxNodes, the number of blocks (free or live) the
//     Allocator can hold. With a budget, New allocates the metadata for the
//     worst case of that many blocks and nothing else allocates Go memory on
//     success; without one, the metadata doubles when full.
//   - class: GoodFit's size class, internal/sizeclass with 32 classes per
//     power of two over sizes in units of Align. A free block is filed
//     under Down(size), the largest class whose smallest member is ≤ size.
//   - index: GoodFit's open-addressed hash table from a block's offset to
//     its node, for the blocks whose node lies outside their home window
//     (about a quarter of them under random churn with two thirds of the
//     budget in use). 3/2 uint32 slots per node, linear probing,
//     backward-shift deletion. A slot packs the node index with the
//     entry's distance from its home slot, so probes skip entries of other
//     homes and deletions move entries without reading their nodes.
//   - B+-tree: FirstFit's index of every block (free and live) by offset
//     (btree.go). It has no nodes in the sense above: its leaves and inner
//     nodes live in two pools of fixed-size structs referenced by uint32.
//   - leaf: 128 bytes (two cache lines): the start offsets of up to 13
//     consecutive blocks, each with the free bit, and the leaf's end (the
//     next leaf's first offset, or the space's size), so every block's size
//     is the next offset minus its own without leaving the leaf. Leaves are
//     chained in address order (next, prev). A non-root leaf holds 6 to 13
//     blocks.
//   - inner node: 384 bytes: for each of up to 16 children, the first offset
//     in the child's subtree (the key a lookup compares), the largest free
//     block in it (the maximum an allocation compares) and its index: six
//     cache lines, so in a line-aligned pool (any of 32 KiB or more) each
//     array starts a line. A non-root inner node has 8 to 16 children. All leaves are at the same depth, the height.
//   - path: the inner nodes and child slots of the last descent, root
//     first, kept so that a change to a leaf is repaired bottom-up without
//     a second descent.
//   - tail: the last block of the space when it is free. FirstFit's maxima
//     leave it out: it is the lowest fit exactly when no counted block fits
//     (then it is found at the end of the rightmost path), and carving it,
//     as a filling space does on every call, then changes no maximum
//     instead of every level's.
//
// # Choosing a policy
//
// GoodFit (the default) is O(1) per Alloc and Free whatever the number of
// blocks: pick it for throughput. FirstFit always returns the lowest offset
// that fits, in O(log n): pick it to keep a file or a device's upper part
// empty, or when placement must be predictable.
//
// # Alloc (GoodFit)
//
//  1. Round the size up to Align (0 or larger than the space:
//     ErrInvalidSize). Let c = Down(size/Align).
//  2. Take the head of class c's list if it fits. A block of exactly the
//     request lies in class c, below the classes a rounded-up search
//     starts from; looking here first is what keeps uniform sizes that fall
//     between classes from wasting a third of the space (OffsetAllocator's
//     known hole).
//  3. Else ask the bitmap for the first non-empty class at or above
//     Up(size/Align) and take its head: every block there fits.
//  4. Else look at up to 16 more blocks of class c. None fits: fail with
//     ErrOutOfMemory, or ErrNoMetadata when the node budget is spent.
//  5. Unlink the block from its list. If it is larger than the request and
//     a node is free, the rest becomes a new free block after it, filed
//     under its class; its node comes from the rest's home window when one
//     there is unused (else it goes into the index). With no node left, the
//     caller gets the whole block (Stats.WholeBlocks counts these).
//
// # Alloc (FirstFit)
//
//  1. Round as above. If the tree's largest free block (kept at the root)
//     is below the size, take the tail if it fits (down the rightmost path),
//     else fail.
//  2. Descend by maximum: in each inner node take the first child whose
//     largest free block fits; in the leaf take the first free block that
//     fits. Children and blocks are in address order, so this is the
//     lowest-addressed fit. Record the path. Each level compares every
//     slot into a bit mask and takes its lowest bit: no branch on the data.
//  3. Clear the block's free bit. If it is larger than the request and the
//     budget holds one more block, insert the free rest as a new entry
//     right after it (a shift inside the leaf; a full leaf of 13 splits
//     into two of 7, and a full inner node into 9 and 8, up to a new root).
//     Otherwise the caller gets the whole block.
//  4. Repair the maxima bottom-up along the path, stopping at the first
//     level where nothing changes. A level's old maximum is what its parent
//     stores for it, so the new one is known without reading its other
//     entries, unless the child that changed held the maximum alone and
//     shrank; likewise the leaf is rescanned only when the block taken was
//     its largest. Alloc never changes a first key (the entry it inserts is
//     never a leaf's first), so the repair reads no key line.
//
// # Free (both)
//
//  1. Reject offsets past the end or not a multiple of Align
//     (ErrInvalidFree).
//  2. Find the block: GoodFit reads the home window, then probes the index
//     (O(1) expected); FirstFit descends the B+-tree by key (O(log n)),
//     recording the path. No block starts there: ErrInvalidFree; a free
//     block does: ErrDoubleFree. A failed Free changes nothing.
//  3. Mark the block free and merge it at once with a free previous and a
//     free next neighbour. GoodFit: merged-away nodes leave the address
//     chain (and the index, if they sat outside their window) and go back
//     to the unused-node list. FirstFit: merged-away blocks are entries
//     deleted from the leaf (the block before takes their bytes); when
//     both neighbours are in the same leaf this is one shift and the path
//     repair of step 4, else each merge across a leaf boundary is one
//     more descent by key. A leaf left with fewer than 6 entries borrows
//     from or merges with a sibling (shared evenly when together they
//     exceed 13), and an inner node left with fewer than 8 children
//     likewise; a root with one child is replaced by it.
//  4. File the merged block: GoodFit pushes it on its class's list (last in,
//     first out); FirstFit repairs the maxima along the recorded path as in
//     Alloc step 4.
//
// # AllocAligned
//
// A request with an alignment above Align searches for size+align-Align
// bytes, so that any padding fits, and falls back to checking a few
// candidates of the request's own size. The padding before the aligned
// offset stays a free block when a node is available; otherwise it is
// absorbed into the live block before it (whose SizeOf grows). An aligned
// request may therefore fail, or use a higher block than FirstFit's lowest
// fit, when only a tight block would do. FirstFit takes the lowest block of
// the padded size, else checks the lowest block of the request's own size.
//
// # Metadata layout and cost
//
// GoodFit, per node slot (Stats.NodeCap of them): 24 bytes of node + 6
// bytes of index = 30 bytes. The index is sized for the worst case (every
// block outside its window) although it usually holds a fraction of the
// blocks. GoodFit adds, once, a 520-byte bitmap and a 4-byte list head per
// class up to the space's size (1 KiB for 4096 units of Align, 3 KiB for
// 2 GiB in 16-byte units, 7.5 KiB at most). An index slot packs a node
// index in its low bits (as many as the node table needs) and the entry's
// probe distance, saturated, in the rest.
//
// FirstFit keeps no node per block: a block is one 8-byte leaf entry. The
// pools are sized for the worst case of a budget of n blocks, every
// non-root node at its minimum fill:
//
//	leaves  ≤ max(1, ⌊n/6⌋)                         × 128 B = 21.3 B per block
//	inner   ≤ leaves/8 + leaves/64 + … ≈ n/42       × 384 B =  9.1 B per block
//	total                                                    ≈ 30.5 B per block
//
// (plus one unused entry per pool). Both bounds hold after every call:
// Check verifies the fill of every node, a split leaves two halves of at
// least the minimum, a merge or a borrow never leaves less, and only the
// root may be smaller; so n blocks always fit, and a growing Allocator
// doubles n and reallocates both pools at once. The height is at most 10
// for MaxNodes blocks. A random churn keeps leaves about two thirds full
// (8 to 9 of 13), so the memory touched is nearer 18 bytes per block. A
// minimum of 7 per leaf would cost 26.1 bytes per block at worst, but
// under churn leaves fall below it more often, and the borrows and merges
// that follow made the 10^4-block churn about 4% slower.
//
// Both: Stats.MetadataBytes counts the capacity of every slice. Nothing
// holds a Go pointer, so the GC never scans the metadata. Entries past the
// high-water mark of those ever handed out stay zero, so a large budget
// costs address space and no work until it is used. A fixed budget needs
// at most one node per block: n live blocks need at most 2n+1 nodes (free
// blocks never touch, so they are at most one more than the live ones).
//
// # Alignment and zeroing
//
// Every offset and every block size is a multiple of Align (default 16;
// any power of two, 1 included); AllocAligned raises that per call. Sizes
// round up to Align, so SizeOf reports the rounded size (or more, for a
// whole-block handout or absorbed padding). The allocator never touches the
// space, so nothing is zeroed: the caller owns the contents.
//
// # Complexity
//
// GoodFit: Alloc, AllocAligned and Free O(1) (hash lookups expected O(1));
// Stats O(blocks in the largest class). FirstFit: Alloc, AllocAligned,
// Free and SizeOf O(log n) worst case for n blocks (height at most
// log_8(n/6) + 1, each level a scan of at most 16 entries; a Free that
// merges across leaves costs one or two more descents), Stats O(1). Both:
// Check, Walk, MarshalBinary O(n); UnmarshalBinary O(n) for GoodFit,
// O(n log n) for FirstFit; Reset O(index size + nodes ever used). A growing node table doubles, so its cost is
// amortized O(1); after it doubles, the home windows move and every block
// sits in the index until churn replaces its node.
//
// # Cost per call
//
// GoodFit's speed is bound by dependent loads, mispredicted branches and
// instruction count, in about equal parts (cachegrind and pprof at 10^4
// live blocks), so its hot paths are shaped for all three:
//
//   - Free reads the block's home window (four consecutive nodes, loaded
//     together, the match picked with conditional moves), then both
//     address neighbours at once; the sentinel makes a missing neighbour
//     read as live, so there is no nil test. Only a block outside its
//     window costs an index probe (a slot, then a node).
//   - Alloc reads its class head and that head's next node for the size;
//     the remainder's node is the lowest unused one of its window, picked
//     from a four-bit mask. Index insertions and removals happen only for
//     blocks outside their windows (about a quarter), so merges and splits
//     rarely touch the index.
//   - Branches that go either way at random are replaced where it is cheap:
//     the class of a size is one formula (no small-size case), the class
//     bitmap's clear-if-empty is arithmetic, list-link writes to a missing
//     neighbour go to the sentinel instead of being skipped.
//   - listPush and the index placement test are written out in Free and
//     Alloc (their calls cost more than their bodies), and hot functions
//     keep slices in locals so stores through them do not force reloads.
//
// Last in, first out lists keep a just-freed block warm for its class's
// next request. The windows trade cache lines for shorter chains: a window
// spans two or three lines where an index slot and its node took two, and
// the remainder's node is a random one rather than the just-released one.
// While the metadata fits in L2 (about 10^4 blocks) that is a clear win;
// at 10^5 blocks and beyond the extra misses eat the gain (cachegrind, L2
// of 1 MiB, 10^5 live: 10.5 lines missed per free+alloc pair against 6.6
// with an index of every block).
//
// For scale, the design of sebbbi's OffsetAllocator modelled in Go
// (internal/peers, impl=offsetalloc-model in BenchmarkAllocFree, same loop,
// same process) takes 54, 53, 89 and 201 ns per pair at 10^3 to 10^6 live
// blocks, against GoodFit's 69, 74, 93 and 466. It frees by the node its
// alloc returned, so it needs no lookup by offset (alone about 18 ns at
// 10^4 blocks, BenchmarkSizeOf), and takes the remainder's node from a
// stack of recently released ones instead of a window; in exchange it
// leaves freed blocks of a size between two of its bins unused: a third of
// the space in BenchmarkUtilization, where GoodFit stays at 100%.
//
// FirstFit's cost is its descents: 4 nodes at 10^4 live blocks (about
// 1.5*10^4 blocks, leaves about 70% full; a treap needed about 20 levels),
// each a scan of one node's keys or maxima. The scans are written out slot
// by slot with constant shifts and no branch on the data: a key lookup
// compares three group keys, then three keys of the group; an allocation
// builds a bit mask of the fitting slots and takes its lowest bit (unused
// slots hold a key above every offset and a maximum of 0, so they drop
// out). A Free costs one descent unless a merge crosses a leaf boundary
// into a leaf under another parent (a sibling under the same parent is
// reached through the recorded path). The repair after a call walks the
// recorded path upwards and stops at the first level that does not
// change. Measured at 10^4 live blocks (pprof), about 45% of the time goes
// to the scans, 12% to the repairs, the rest to the leaf edits, merges and
// splits. The first B+-tree with plain loops ran the churn at about 4x
// GoodFit's time; branch-free written-out scans, group-of-four key
// lookups, repairs that read no keys after an allocation and merges into a
// sibling leaf through the recorded path brought it under 3x. (Under that
// churn the tail is rarely reached, so leaving it out of the maxima makes
// no measurable difference there.)
//
// # Errors
//
// Errors wrap memkit's sentinels (test with errors.Is) and name the values
// involved: "offset: free 0x1f0: not the start of a block: memkit: invalid
// free". A failed Alloc returns an *Error owned by the Allocator, so the
// out-of-memory path allocates nothing; it is overwritten by the next
// failure (Locked returns copies).
//
// # Snapshots
//
// MarshalBinary writes the configuration, the counters and each block's
// size and state (a varint per block). UnmarshalBinary validates all of it
// (sizes tile the space, no unmerged free neighbours, the budget holds the
// blocks, no trailing bytes) and runs Check before it replaces anything;
// bad input returns ErrCorrupt. A restored FirstFit allocator makes the
// same choices as the original; a restored GoodFit one may pick other
// blocks of the same class, since list order is not saved.
//
// # Concurrency
//
// An Allocator is not safe for concurrent use: calls must be serialized by
// the caller. Locked wraps one in a mutex and has the same methods.
package offset
