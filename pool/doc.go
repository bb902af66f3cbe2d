// Package pool is memkit's deterministic allocator: fixed-size blocks in a
// few classes, carved out of one caller buffer, with constant-time Alloc
// and Free, measured worst-case times, validation of every free, presets
// for typical real-time workloads, configurations suggested from observed
// sizes, hooks, and a lock-free concurrent mode. It is for loops with
// deadlines (audio callbacks, control loops, packet paths) that must never
// search, never make a system call, never wait for the garbage collector
// and never wait for a lock held by a descheduled thread.
//
// # Glossary
//
//   - Class: Count blocks of one Size. A Pool has 1 to MaxClasses classes
//     of strictly ascending size. A request of n bytes is served by the
//     smallest class whose size is ≥ n, and by no other.
//   - Block size, stride: the block size is Class.Size rounded up to
//     Config.Align; it is the capacity of the slices Alloc returns. The
//     stride is the distance between blocks: the block size, or the block
//     size rounded up to 64 with CacheAligned.
//   - Block index: a block's number in its class, 0 to Count-1. All
//     bookkeeping names blocks by index, never by pointer.
//   - Free list: per class, a LIFO stack of free block indexes, linked
//     through next[index], an array of uint32 in the metadata. The head is
//     one uint64: a 32-bit generation (bumped by every change in
//     Concurrent mode) above a 32-bit index (2^32-1: empty).
//   - Shard: in Concurrent mode each class has four free lists, each with
//     its own head and counters on its own cache line. Alloc pops from the
//     shard of the P it runs on (runtime.procPin, linked by name as
//     sync.Pool's is; then the other shards), so goroutines running on
//     different cores work on different lines; Free pushes a block back to
//     the shard whose range holds it, so blocks never drift between
//     shards. Sequential pools have one.
//   - Usage bitmap: per class, one bit per block, set while the block is
//     allocated. It is the truth Free checks against. Sequential pools
//     keep the bits in index order. Concurrent pools cut each class into
//     four ranges of 2^k blocks (range s is shard s's initial stock) and
//     give each range's bits their own cache lines, so goroutines on
//     different shards do not false-share bitmap words.
//   - Size table: one byte per Align bytes of request size, up to the
//     largest block: table[(n+Align-1)/Align] is n's class.
//   - Ticks: the unit of the operation clock: TSC cycles on amd64 with an
//     invariant TSC, nanoseconds elsewhere (see Timing).
//
// # Memory layout
//
// Everything mutable lives in the buffer given to New; the *Pool itself
// holds only immutable geometry (offsets, sizes, the slices that view the
// buffer) and the hooks. From the first address aligned to
// max(Align, 64) (RequiredSize reserves up to that many bytes of slack):
//
//	offset 0   pool record, 64 B: bytes in use, their peak, a magic word
//	           for each class:
//	             class record, 64 B: blocks in use, their peak (Stats)
//	             1 or 4 shard records, 64 B each: tagged head, allocs,
//	             frees, failures, total and worst alloc ticks, total and
//	             worst free ticks
//	           for each class:
//	             next[Count] uint32 (padded to 8 bytes)
//	             the usage bitmap: (Count+63)/64 uint64, or in
//	             Concurrent mode 4 ranges × a multiple of 8 uint64
//	           size table: largest block/Align + 1 bytes
//	           for each class, aligned to the block alignment:
//	             Count × stride bytes of blocks
//
// Metadata words are 8-byte aligned (64 for the records), so the atomic
// operations of Concurrent mode are valid on every platform, 32-bit ones
// included. The free-list links are outside the blocks, so a write into a
// freed block (a use after free) cannot corrupt the allocator: it damages
// only data that nobody owns. The metadata is 128 bytes per class in
// sequential mode (320 in Concurrent mode), 4⅛ bytes per block, the size
// table and padding; Stats.Metadata reports the exact figure.
//
// # Alignment and zeroing
//
// Every block starts at an address that is a multiple of Align (default
// 8, at most 4096), or of 64 with CacheAligned. Alloc does not zero:
// a block holds what its previous owner left. Calloc zeroes the whole
// block (its capacity); NewOf and NewArray zero the T values they return.
//
// # Allocation path (Alloc)
//
//  1. Refuse n < 1 or n > the largest block size with ErrInvalidSize:
//     requests beyond the largest class are a configuration error, not a
//     shortage, and they are never served.
//  2. Class = size table[(n + Align-1) >> log2(Align)]: one byte load.
//  3. With Stats, read the clock.
//  4. Pop: i = head's index; if the list is empty, count a failure and
//     return the class's ErrOutOfMemory error, built by New, so the failure
//     path allocates nothing. There is no fall-back to a larger class: a
//     burst of small requests cannot drain the large blocks another part
//     of the program relies on, and each class's worst case stays its own.
//     Size the classes (Suggest, Stats.Peak and Failed help) instead.
//     Otherwise head = next[i].
//     Concurrent: start at the shard of the current P, pop with a CAS on
//     the tagged head, and if that shard is empty try the other three.
//  5. Set bit i of the usage bitmap (Concurrent: atomic OR).
//  6. With Stats, read the clock again; count the allocation, its ticks,
//     the worst ticks, blocks in use and their peak, bytes in use and
//     their peak.
//  7. Call OnAlloc, if set.
//  8. Return the block sliced to length n, capacity the block size.
//
// # Free path (Free, FreeOf, FreeArray)
//
//  1. Hint: the class that a request of cap(b) bytes would use (FreeOf:
//     of sizeof(T); FreeArray: of cap(s)×sizeof(T)).
//  2. off = address of b's first byte − address of the metadata start, as
//     an unsigned number (an address below the buffer wraps to a huge
//     one). Only compared, never dereferenced.
//  3. If off is outside the hint's block area (b was re-sliced to a
//     smaller capacity), find the class by a fixed six-step binary search
//     over the class start offsets. Outside every block area:
//     ErrInvalidFree (foreign slice, Go heap, metadata, nil).
//  4. Block index = (off − class start) / stride: a shift for a power-of-two
//     stride, otherwise a multiplication by a precomputed reciprocal that
//     is exact for 32-bit offsets and also yields whether the remainder is
//     zero (Lemire, Kaser and Kurz, "Faster remainder by direct
//     computation", 2019). Non-zero remainder: ErrInvalidFree (interior
//     or misaligned slice).
//  5. Test and clear the usage bit (Concurrent: one atomic AND that
//     returns the old word). Bit already clear: ErrDoubleFree, and nothing
//     was changed. In Concurrent mode this AND is the commit point: of two
//     racing frees of one block exactly one sees the bit set.
//  6. Push i: next[i] = head; head = i (Concurrent: CAS on the tagged head
//     of the shard whose range holds block i).
//  7. With Stats, count as in step 6 of Alloc; call OnFree, if set.
//
// A failed Free changes nothing, and every check above is O(1), so the
// validation is always on.
//
// # Complexity
//
// Sequential mode: Alloc and Free contain no loop at all (the class search
// of Free step 3 is six fixed steps, whatever the number of classes);
// their cost does not depend on the pool's state. Concurrent mode: each
// CAS loop retries only when another goroutine's operation succeeded in
// between (lock-free: some operation always completes), and an allocation
// probes at most four shards. With Stats in Concurrent mode, worst times
// and peaks are raised by CAS-max loops with the same property. New,
// RequiredSize, Validate, Stats and Prefault are linear in the number of
// blocks; Suggest in the sample size plus the square of its distinct
// sizes (capped at 128).
//
// # Concurrency contract
//
// Without Config.Concurrent a Pool must be used by one goroutine at a time.
// With it, Alloc, Calloc, Free, UsableSize, the typed helpers, SetHooks,
// Stats, ResetStats and WriteTo are safe for concurrent use and lock-free:
// no operation waits for another goroutine, and a goroutine descheduled in
// the middle of an operation holds nothing that others need (every state
// change is a single CAS, AND or OR). The free-list heads carry a 32-bit
// generation, so the ABA case (a head popped and pushed back between a
// goroutine's load and its CAS) fails the CAS; a wrong link could only be
// installed if one goroutine stalled across exactly 2^32 changes of one
// shard's head. Validate and Prefault must run while the pool is quiet.
// A double free racing with a reallocation of the same block cannot be
// told from a legitimate free of the new owner's block (no allocator that
// hands out plain addresses can); every other double free is caught.
//
// # Hooks
//
// Hooks run after the operation has completed, outside any critical
// section (there are none), on the calling goroutine. A hook may allocate
// from and free to the same pool: no state is held across the call, so
// recursion is safe, and each nested operation calls the hooks again;
// bounding that recursion is the hook's business. See Hooks.
//
// # Timing
//
// With Config.Stats, each operation reads the operation clock twice and
// keeps total and worst ticks per shard; Stats converts ticks to
// durations. On amd64 (unless built with the purego tag) the clock is the
// time-stamp counter, read by one RDTSC instruction, when CPUID says the
// TSC is invariant (constant rate, synchronized across cores); its rate is
// measured once against the monotonic clock, over at least 20 ms since the
// package was initialized, the first time Stats needs it. Elsewhere it is
// time.Since of a monotonic time, which reads only the runtime's
// monotonic clock. The read (now) is written in assembly, so it costs one
// call and the instruction; a Go wrapper would cost two calls, because
// the compiler does not inline a call to assembly. With Stats off no clock
// is read and no counter but Failed is touched.
//
// Sequential Pools with Stats take the same inline pop and push as without
// (popSeq, freeSeq), between the two reads, and count with branch-free
// updates of three cache lines (the shard's, the class record, the pool
// record). Concurrent Pools count with atomic adds and CAS-max loops.
//
// What Stats costs, and why it is more than 15 ns per pair on the
// reference machine (2 vCPU KVM guest, AMD EPYC, clocksource kvm-clock):
// one RDTSC costs about 11 ns there (BenchmarkClock, clock=op) and the
// TSC advances in steps of about 10 ns; the instruction is microcoded and
// the processor does not overlap it with the work around it, so the four
// reads of an alloc+free pair take about 44 ns by themselves, and the
// pair with Stats takes 44 to 46 ns whatever the bookkeeping costs. The
// bookkeeping alone, measured in a local build whose clock returned 0
// without executing RDTSC, adds 7.5 ns per pair (it was 13 ns before the
// sequential Stats path was written out). The alternatives, measured on
// the same machine: LFENCE; RDTSC about 20 ns, runtime.nanotime (the vDSO
// clock_gettime over kvm-clock, itself an RDTSC plus scaling) about 27 ns,
// time.Since about 30 ns; the guest's CPUID offers no RDTSCP (nor RDPRU).
// Reading the clock for only some operations, or once between two
// operations, would make it cheaper and would no longer time each
// operation, so Stats does neither.
//
// # Latency
//
// BenchmarkLatency times 10M single operations one by one: three clock
// reads per free+alloc pair, the first fenced so that the benchmark's own
// loads cannot run into the region they feed, small log-linear histograms,
// a 4 KiB victim stream, no Go allocation, the collector off, the
// scavenger emptied beforehand and a Gosched every 16384 pairs so that
// the runtime never preempts the loop by signal. Every eighth pair is
// followed by an empty region as a control. An interrupt, preemption or
// exit of the virtual machine shows as a region or gap of 1 µs or more;
// the region it lands in and the two operations after it, which find
// their cache lines and TLB entries gone, are reported apart (quiet-*,
// disturbed/Mop). Findings on the reference machine:
//
//   - The median operation is one clock step (10 ns, clock included),
//     like the empty control's.
//   - Sequential operations contain no loop and no data-dependent branch
//     besides the empty-list and hint checks, and the slow operations do
//     not cluster on any block: permuting which block each of the
//     benchmark's slots holds moved the slow frees with the slot, not
//     with the block.
//   - The previous harness's p99.99 (110 to 140 ns) was its own: the
//     operation after each wrap of its 256 KiB victim stream was slow on
//     nearly every pass, its slot array's loads ran into the timed
//     regions (RDTSC does not wait for earlier loads), and at about 110 ns
//     of loop per operation 1.5 to 3 operations in 10^4 followed an
//     external event. The current loop spends about 25 ns per operation.
//   - p99.99 over all operations still depends on the machine's load. In
//     runs with fewer than about 100 disturbed operations per million it
//     was two clock steps (21 ns, twice the median); with more, it is the
//     disturbed population's (75 to 125 ns). At load averages above 6
//     even operations far from any detected event show a p99.99 of 30 to
//     110 ns: shorter disturbances (refills of cache lines and TLB entries
//     after other processes ran, under 1 µs and so not counted as events)
//     grow with the load, and the empty control, which touches no memory,
//     cannot see them.
//   - Concurrent operations (a locked CAS, OR or AND each, one or two
//     clock steps at the median) have a quiet p99.99 of 50 to 150 ns on
//     the loaded machine; their bar is throughput, not this one.
//   - The maximum (tens of µs to ms) is always an event: a preemption of
//     the whole thread; the benchmark reports the process's context
//     switches and page faults next to it.
//
// # Presets
//
// Preset returns one of these tables (sizes in bytes; RequiredSize
// includes all metadata and the alignment slack):
//
//	Audio: Align 16, CacheAligned, Concurrent; 368 KiB of blocks, RequiredSize 382847
//	  size   64  256  1024  4096  16384
//	  count 256  128    64    32      8
//	64: MIDI and parameter-change events; 256: small control blocks and 64
//	mono float32 frames; 1024: a 256-frame mono float32 buffer, the most
//	common host period; 4096: 512 stereo float32 frames; 16384: 2048 stereo
//	frames, the largest common period, or FFT scratch. Align 16 for SIMD
//	loads of four float32; CacheAligned so buffers shared by the audio
//	thread and the UI or disk threads do not false-share; Concurrent
//	because blocks are often allocated on one thread and released on
//	another, and the audio thread must never wait for a lock.
//
//	Robotics: Align 8, CacheAligned, Concurrent; 232 KiB of blocks, RequiredSize 254463
//	  size   32   64  128  256  512  2048  8192
//	  count 256  256  128  128   64    32     8
//	32 and 64: setpoints, joint commands and IMU samples, the
//	high-rate traffic of a control loop; 128 and 256: poses and twists
//	with headers and timestamps, multi-joint states; 512: a 6×6 float64
//	covariance (288 B) with its header; 2048: laser-scan segments and short
//	trajectories; 8192: map patches and long trajectories. Concurrent and
//	CacheAligned because drivers, estimators and controllers run on
//	different threads and pass messages between them.
//
//	Networking: Align 64, CacheAligned, Concurrent; 2.94 MiB of blocks, RequiredSize 3093311
//	  size   128  512  2048  9216
//	  count 1024  512  1024    64
//	128: ACKs and control frames (a minimum 64 B Ethernet frame plus
//	metadata); 512: DNS and small UDP datagrams; 2048: a full 1500 B MTU
//	frame with its Ethernet header and headroom for encapsulation (the
//	data room DPDK uses by default); 9216: 9000 B jumbo frames with
//	headroom. Align 64 so headers start on a cache line; Concurrent
//	because receive and transmit run on different goroutines and a
//	received buffer is often freed after transmission.
//
//	Embedded: Align 8, sequential; 9 KiB of blocks, RequiredSize 10799
//	  size  16  32  64  128  256
//	  count 64  64  32   16    8
//	Small messages and queue items of a single control loop on a device
//	with tens of kilobytes of RAM: no cache-line padding (memory is
//	scarce), no Concurrent mode (one loop allocates; interrupt handlers
//	should hand data over, not allocate), 1.5 KiB of metadata.
//
// DefaultConfig (Align 8, sequential; 408 KiB of blocks, RequiredSize 429039):
//
//	size   16   32   64  128  256  512 1024 2048 4096
//	count 512  512  512  256  256  128   64   32   16
//
// # Benchmarks
//
// Reference machine: 2 vCPU KVM guest, AMD EPYC (Turin-class), Go 1.26,
// shared with other jobs (load average 3 to 12 on 2 cores), so wall times
// are inflated and noisy; cpu-ns/op (process CPU time per op, which
// excludes waiting for a core) is the stable figure. One alloc+free pair
// of 64 bytes per op; medians of 6 runs of two test binaries run in
// turn, the pool as of commit 52e9be9 (before) and as now (after), and
// of the same two built with RDTSC replaced by an instruction that zeroes
// the result (no clock: what Stats costs besides the clock):
//
//	go test -c -o after.test ./pool   # and before.test from 52e9be9
//	for i in 1 2 3 4 5 6; do for v in before after; do
//	  ./$v.test -test.run '^$' -test.bench 'AllocFree' -test.count 1; done; done
//
//	impl (cpu-ns/op)        before   after   before, no clock   after, no clock
//	pool                      9.3      9.2          -                 -
//	syncpool (Get+Put)       11.0     11.2          -                 -
//	pool-stats               44.7     45.9         22.3              16.8
//	pool-concurrent          39.5     42.3          -                 -
//	pool-concurrent-stats    99.9     95.1         93.9              94.1
//
// Stats adds about 36 ns per pair, and the four RDTSC of the pair cost
// about 44 ns by themselves (BenchmarkClock, clock=op: 11 to 12 ns per
// read): see Timing. Latency (p50 and p99.99 of single operations, ns;
// the old harness in the same command for comparison):
//
//	go test ./pool -run '^$' -bench Latency -benchtime 1x -count 5
//
//	                       load    p50    p99.99 (5 runs)              events/s
//	pool, this harness     6-8     10.1   20.6 20.6 20.6 107 122       1000-2200
//	pool, old harness      6-8     10.1   181 242 242 725 27926        (not counted)
//	pool, this harness     6-9     10.0   76 83 83 106 106             1000-1600
//
// The last row is from a later run of
// go test ./pool -run '^$' -bench 'AllocFree|Clock|Latency' -count 5
// (no old harness; at the default benchtime Latency ran 2 or 3 iterations,
// 20 to 30M operations per figure, at 34 to 66 ns of wall time per
// operation on the loaded machine, against about 25 ns when it is quiet).
//
// See Latency above for what the tail is.
package pool
