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
// monotonic clock. On the reference machine (2 vCPU KVM guest, AMD EPYC,
// clocksource kvm-clock) one TSC read costs about 11 ns and the TSC
// advances in steps of about 10 ns; a monotonic read costs about 29 ns.
// With Stats off no clock is read and no counter but Failed is touched.
//
// # Latency
//
// BenchmarkLatency times 10M single operations one by one and, as a
// control, an empty timed region after each, under identical conditions.
// On the reference machine (shared, load average about 10 on 2 vCPUs) the
// median operation is one clock step (10 ns, clock included), p99 two or
// three steps, and the control's median is the same step. The tail beyond
// that is the machine's, not the allocator's:
//
//   - Sequential operations contain no loop and no data-dependent branch
//     besides the empty-list check, and the single-goroutine benchmark has
//     no contention, so no CAS loop runs twice.
//   - Regions slower than 1 µs occur in the empty control too, at a rate
//     of the same order per second spent inside regions (about 1000/s for
//     the control, 500 to 1600/s for sequential operations, 1800 to
//     3000/s for Concurrent ones, whose locked instructions make the
//     windows longer and apparently more exposed): timer and
//     inter-processor interrupts, exits of the virtual machine to its
//     host, and cache refills after another process ran on the core. In
//     some runs the control's own p99.99 is the same 23 µs as the
//     operations'; p99.99 flips between about 300 ns and 24 µs from run
//     to run depending on whether such events exceed 1 in 10^4 regions.
//   - The maximum (milliseconds) is a preemption of the whole thread by
//     the operating system in the middle of a timed region; the benchmark
//     reports the process's involuntary context switches (hundreds per
//     second here) next to it.
//   - Page faults are excluded by Prefault (the benchmark reports faults
//     during the loop: zero in most runs), the garbage collector by the
//     absence of Go allocation, and the clock's granularity is visible as
//     the 10 ns steps of every percentile.
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
// shared with other jobs (load average 9 to 17 on 2 cores), so wall times
// were inflated 2 to 4 times and noisy; cpu-ns/op (process CPU time per
// op, which excludes waiting for a core) is the stable figure. Medians of
// 6 runs, one alloc+free pair of 64 bytes per op:
//
//	go test ./pool -run XXX -bench 'AllocFree|Concurrent' -cpu 2 -count 6
//
//	impl                    cpu-ns/op   wall ns/op (same run)
//	pool                        9.7        22
//	syncpool (Get+Put)         11.4        24
//	pool-stats                 46.7        91
//	pool-concurrent            43.0        82
//	pool-concurrent-stats     102         197
//	Concurrent goroutines=1    40.9       (too noisy)
//	Concurrent parallel        40.4       (too noisy)
//
// Stats costs four clock reads per pair (one TSC read: 11.3 ns CPU here,
// BenchmarkClock; time.Since: 29.6 ns), about 37 ns in all. The parallel
// run spends the same CPU time per operation as one goroutine: no
// contention cost, so two free cores would double throughput; the wall
// clock of an overloaded machine could not show it. Latency:
//
//	go test ./pool -run XXX -bench Latency -benchtime 1x -count 3
//
// See Latency above for its figures.
package pool
