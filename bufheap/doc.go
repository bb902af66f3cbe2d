// Package bufheap is a whole heap inside one byte slice: its control block,
// free lists and chunk headers all live in the buffer, as offsets only, so
// the same heap works in a static buffer, a saved image or a memory-mapped
// file, and survives a restart (Open). It comes with the utilities embedded
// applications lean on (zeroed allocation into a variable, string copies,
// persistent blocks, free-and-nil), corruption checks on every chunk it
// touches, and allocation profiling in the line format that
// "memkit analyze" reads.
//
// The model is the heap of Ledger's secure-element SDK, without its limits:
// buffers from 256 bytes to 16 TiB (8 TiB with Align 8; on 32-bit hosts
// the largest Go slice), payloads aligned to 8 or 16 bytes in memory
// whatever the buffer's own address, every exactly sized freed chunk found
// again, and a nil free that is a no-op.
//
// # Glossary
//
//   - unit: Config.Align bytes (8 or 16). Chunk sizes are whole units.
//   - chunk: a header word followed by a payload; chunks tile the chunk
//     area from first to end without gaps.
//   - header: the 8-byte word in front of every payload (the only per-block
//     overhead of a live block).
//   - free chunk: header, next link, prev link, ..., footer (a copy of the
//     header in its last 8 bytes). At least 32 bytes.
//   - class: a size class of chunk sizes in units, from internal/sizeclass
//     (2^sub classes per power of two, sub = 1 for buffers under 1 KiB, 2
//     under 16 KiB, 3 under 256 KiB, 4 above). Free chunk of u units: class
//     Down(u).
//   - list: the doubly linked LIFO list of the free chunks of one class; its
//     head sits in the control block. The first chunk of a list has no back
//     link (its prev word is unspecified and never read), so taking the
//     first chunk touches neither its successor nor anything but the head.
//   - bitmap: one bit per class (set: list not empty) in 64-bit words, and a
//     top word with one bit per non-empty class word: O(1) search.
//   - seal: the high bits of a word, a hash of the word's value and of its
//     own position in the buffer; a header or link whose seal does not
//     match is corrupt.
//   - sentinel: an allocated header of size 0 at end that stops merges and
//     walks.
//   - tombstone: the sealed header value "free, persistent" (which no real
//     chunk has) written over headers absorbed by coalescing, so a later
//     Free of the old block is a double free, not corruption.
//
// # Image layout (byte by byte, every field little-endian)
//
// The control block starts at buf[0]:
//
//	0   [8]byte  magic "memkitBH"
//	8   u16      format version (2; version 1 kept a zero back link in
//	             the first chunk of each list)
//	10  u8       log2(Align): 3 or 4
//	11  u8       sub: class bits (1..4)
//	12  u32      classes: Down(len(buf) >> log2(Align)) + 1
//	16  u64      len(buf) when formatted
//	24  u64      first: offset of the first chunk header
//	32  u64      end: offset of the end sentinel header
//	40  u64      seal of bytes 0..40 (a multiply-xor hash)
//	48  u64      peak allocated bytes
//	56  u64      top bitmap: bit i set when class word i is non-zero
//	64  u64 × W  class bitmap, W = ceil(classes/64); bit k of word k/64
//	    u64 × C  list heads for classes kmin..classes-1 (kmin: class of a
//	             32-byte chunk), each a link word
//
// then padding up to first, the smallest offset after the control block at
// which first+8 is a multiple of Align in memory (so buf may start at any
// address; Open requires the same address modulo Align, which a mapped
// file, a page-aligned buffer or a Go allocation of 16 bytes or more gives).
// Chunks tile [first, end); end+8 ≤ len(buf), and any bytes after the
// sentinel are unused.
//
// A header word, at the chunk's offset h:
//
//	bit  0      allocated
//	bit  1      the previous chunk is free (its footer sits just before h)
//	bit  2      persistent (allocated chunks only)
//	bits 3..42  size of the chunk in units, header included (40 bits)
//	bits 43..63 seal: high 21 bits of ((value XOR h·K1)·K2)
//
// A link word (list heads; next at h+8 and prev at h+16 in a free chunk,
// prev only when the chunk is not the first of its list):
//
//	bits 0..39  0 for none, else (target header offset − first)/unit + 1
//	bits 40..63 seal: high 24 bits of ((value XOR p·K3)·K2), p the word's own offset
//
// K1 = 0x9e3779b97f4a7c15, K2 = 0xbf58476d1ce4e5b9, K3 = 0xc2b2ae3d27d4eb4f.
// The payload of the chunk at h starts at h+8; its usable size is
// size·unit − 8. testdata/golden-align{8,16}.img are reference images with
// their readings in the .txt files next to them; the tests rebuild and read
// them on every architecture (CI: 386 and big-endian s390x).
//
// The 40-bit size and link fields bound a heap to 2^40 units: 16 TiB with
// Align 16, 8 TiB with Align 8 (MaxBufferSize). The header is 8 bytes for
// every chunk; a request of n bytes takes max(32, roundup(n+8, Align))
// bytes.
//
// # Alloc(n)
//
//  1. need = max(ceil((n+8)/unit), 32/unit) units; d = Down(need).
//  2. If the head of class d is a chunk of at least need units, take it:
//     the cheapest good fit, and how a freed chunk of exactly the requested
//     size is always found again even when its size lies between two class
//     minimums (Ledger's and most TLSF implementations miss it there).
//  3. Else find the first non-empty class ≥ Up(need) with the bitmap
//     (every chunk there fits) and take its head.
//  4. Else, rather than fail, walk the rest of class d's list for a chunk
//     that fits (the only search that is not O(1); it happens only when
//     nothing larger exists at all).
//  5. Validate what will change: the chunk's next link; unless it is the
//     first of its list, its back link and its list neighbours' links; and
//     either the head of the remainder's class or the next chunk's header. Then unlink; if the remainder is at least 32 bytes,
//     split it off as a free chunk on its class list, else clear the next
//     chunk's prev-free bit; write the allocated header.
//
// # Free(b)
//
//  1. Find b's data pointer in buf (unsafe.go): outside the chunk area or
//     not on a unit boundary is ErrInvalidFree. The header before it must
//     carry its seal: a tombstone means ErrDoubleFree; otherwise a walk from
//     first (O(chunks), on this error path only) tells an interior slice
//     (ErrInvalidFree) from a damaged header (ErrCorrupt). A valid free
//     header is ErrDoubleFree.
//  2. Validate the next chunk's header (its prev-free bit must be clear);
//     if it is free, validate its list links for unlinking. (Free loads
//     the word at b's payload offset + cap(b), where Alloc's cap puts the
//     next header, before step 1, so that its cache miss overlaps the
//     one on b's header; it is used only when b's validated header puts
//     the next chunk there, and validated like any header. A slice whose
//     cap was cut just costs the load.)
//  3. If our prev-free bit is set, read the footer before the header, find
//     the previous chunk, check that its header equals the footer and that
//     it is free, and validate its links.
//  4. Validate the head of the merged chunk's class (and, when unlinking a
//     neighbour makes its successor the head, that successor's header).
//  5. Only now change anything: unlink the free neighbours, tombstone the
//     absorbed headers, write the merged header and footer, push it on its
//     list, set the next chunk's prev-free bit.
//
// Realloc shrinks in place by splitting off the tail (merged with a free
// next neighbour), grows in place into a free next neighbour when it is
// large enough, and otherwise allocates, copies min(n, cap) bytes and frees
// (so a failure leaves b as it was).
//
// # Corruption
//
// Every word the heap follows is validated before use: headers by their
// seal, their position (inside the chunk area, on a unit boundary) and size
// (at least 32 bytes, not past end); links by their seal and range; a list
// neighbour by its header and its link back to the chunk; the first chunk
// of a list by its header, whenever an operation reaches it through the
// head; a free previous chunk by its footer equal to its header. Every loop is bounded by the chunk count. So
// whatever bytes the buffer holds, an operation never panics, never loops
// forever and never reads or writes outside buf: it succeeds with a
// consistent result or returns an error wrapping memkit.ErrCorrupt having
// changed nothing. A random overwrite of a header or link passes its seal
// with probability 2^-21 (headers) or 2^-24 (links). Damage that no
// operation touches is found by Check or Open, which validate everything.
// Bytes inside live blocks are the user's and are never interpreted.
//
// # Alignment and zeroing
//
// Payload addresses are multiples of Align in memory. Alloc and Realloc do
// not zero; Calloc, CallocInto and Persistent zero the whole block (up to
// its cap). A block's cap is its usable size, which may exceed the request.
//
// # Profiling
//
// With Config.Profile set, every operation writes one line through
// profile.Writer with the file:line of the caller of the heap's method:
// New and Reset write "init;0x0;<len(buf)>"; Alloc, Calloc, Strdup,
// CallocInto write "alloc;<n>;0x<offset>;<site>"; Persistent writes
// "persist;..."; Free and FreeAndNil write "free;0x<offset>;<site>" (also
// when they refuse a slice inside the buffer as a double or invalid free,
// so that the analyzer reports it with its site); Realloc
// writes the free of the old block and the alloc of the new one, in place
// or not. Addresses are payload offsets in buf (not memory addresses), so
// logs are identical from run to run and remain valid across Open. Open
// writes "init" followed by one alloc or persist line per live block,
// attributed to the caller of Open. Allocation sites are then also kept in
// a Go map keyed by offset (outside the buffer) for WriteProfile and
// bufheaptest; without Config.Profile nothing is kept, and the only cost
// left is one predictable nil check per call (see BenchmarkAllocFree's
// impl=bufheap and impl=bufheap-profiled).
//
// # Complexity
//
// Alloc (except step 4 above), Free and Realloc: O(1), with no Go
// allocation. Errors that need to tell an interior slice from damage:
// O(chunks). Walk, Check, LiveBlocks, Open: O(chunks + classes). Stats:
// O(1) except LargestFree, which scans the highest non-empty list. Reset:
// O(classes).
//
// What an O(1) operation costs is instructions and memory latency, in
// about equal parts. A Free and an Alloc read a few words each that lie
// far apart in the buffer: the chunk's header, its neighbours in address
// order, their neighbours on their lists, the head of the class it goes
// to. The checks read words on the lines the operation writes anyway (a
// header and its links share a line three times in four), each header or
// link is decoded and validated once per operation, and taking the first
// chunk of a list (what Alloc does) touches neither its successor nor its
// back link. The hot paths validate with small inlined functions (hdrWord,
// hdrFast, linkFast) that accept exactly what the full validators accept;
// the full ones (chunk, link, checkUnlinkSlow, ...) run only to name what
// is wrong. On the 2-core development host (a Zen 5 VM) a free+alloc pair
// of random 1-4096 byte blocks takes about 110 cpu-ns when the heap fits
// in L2 (100 blocks), 50 ns for the cache-hot 64-byte churn of
// BenchmarkProfilingOff, and 180 ns in a 256 MiB buffer holding 10000
// blocks (BenchmarkAllocFree, modernc.org/memory 33.5 ns in the same run).
// The TLSF design without any checks, modelled in Go over the same buffer
// (impl=tlsf-model, internal/peers), takes about 125 ns there and 75 ns at
// 1000 blocks: the checks above cost bufheap about 1.5x on this loop.
// There the extra time is misses on the random victim's header and the
// next header after it (which Free loads together, step 2) and, when a
// neighbour is free, on its list neighbours; the heads of the lists were
// touched recently and are usually cached. TLB misses are not the
// problem: the same run in a buffer backed by transparent huge pages
// (madvise MADV_HUGEPAGE) measured the same. The first header written into
// a page the process has never touched (a buffer just obtained from make
// or mmap) also pays the kernel's page fault, several microseconds: code
// that times operations should touch the buffer's pages once beforehand.
//
// # Concurrency
//
// A Heap is not safe for concurrent use. Locked wraps one behind a mutex;
// blocks it hands out may be used by different goroutines at once, each
// block by one at a time. (A hand-made slice of Bytes passed to Free may
// make Free load a word of another block early, see Free step 2: not a
// slice to free.) Two Heaps on the same bytes (including an Open of
// a buffer another Heap still uses) are undefined behaviour. No Go pointer
// is ever stored in the buffer.
package bufheap
