// Size classes for small blocks and the shape of the runs that serve them.

package malloc

// Small requests are rounded up to one of numClasses sizes: multiples of 16
// up to 128, then eight classes per power of two up to smallMax (steps of
// 1/8 of the power: at most 12.5% and on average about 6% of rounding
// waste, against up to 50% for power-of-two slots). Every class is a
// multiple of 16, so every slot is 16-byte aligned.
const (
	align         = 16
	alignShift    = 4
	smallMax      = 32 << 10
	perDoubling   = 8
	numClasses    = 16 + perDoubling*7 // 16..256, then perDoubling per doubling from 256 to 32 KiB
	pageShift     = 12                 // the arena's page, the unit of runs: 4 KiB
	pageSize      = 1 << pageShift
	maxRunPages   = 16
	fixedRunPages = 16
	fixedMax      = 4096
)

// classSize[c] is the slot size of class c.
var classSize [numClasses]uint32

// sizeToClass[(n+15)>>4] is the class of a request of n bytes, n ≤ smallMax.
var sizeToClass [smallMax>>alignShift + 1]uint8

// classPages[c] is the number of pages of one run of class c and
// classSlots[c] the number of slots in it.
var (
	classPages [numClasses]uint32
	classSlots [numClasses]uint32
)

func init() {
	c := 0
	for s := uint32(16); s <= 256; s += 16 {
		classSize[c] = s
		c++
	}
	for p := uint32(256); p < smallMax; p *= 2 {
		for i := uint32(1); i <= perDoubling; i++ {
			classSize[c] = p + i*p/perDoubling
			c++
		}
	}
	c = 0
	for i := range sizeToClass {
		for uint32(i)<<alignShift > classSize[c] {
			c++
		}
		sizeToClass[i] = uint8(c)
	}
	for c, s := range classSize {
		classPages[c], classSlots[c] = runShape(s)
	}
}

// runShape picks the pages of a run for slot size s: at least enough for
// one slot, aiming at 8 slots or more, at most 16 pages unless one slot
// needs more, and the first count whose tail waste is at most 1/64 (else
// the one with the least waste).
func runShape(s uint32) (pages, slots uint32) {
	if s <= fixedMax {
		return fixedRunPages, fixedRunPages * pageSize / s
	}
	kmin := (s + pageSize - 1) / pageSize
	kmax := max(kmin, min(maxRunPages, (8*s+pageSize-1)/pageSize))
	best, bestWaste := kmin, uint32(1<<31)
	for k := kmin; k <= kmax; k++ {
		bytes := k * pageSize
		waste := bytes % s
		if waste*64 <= bytes && bytes/s >= min(8, 16*pageSize/s) {
			return k, bytes / s
		}
		// compare waste/bytes across k without division
		if uint64(waste)*uint64(best*pageSize) < uint64(bestWaste)*uint64(bytes) {
			best, bestWaste = k, waste
		}
	}
	return best, best * pageSize / s
}
