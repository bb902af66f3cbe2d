// Size classes for small blocks and the shape of the runs that serve them.

package malloc

// Small requests are rounded up to one of numClasses sizes: multiples of 16
// up to 256, eight classes from 256 to 512, then sixteen per power of two
// up to smallMax (steps of 1/16 of the power: at most 6.25% and on average
// about 2% of rounding waste on the AllocFree churns, against up to 50%
// for power-of-two slots). Finer classes alone would strand more free
// slots per class; borrow (heap.go) pools neighbouring classes' slots to
// make up for it. Every class is a multiple of 16, so every slot is
// 16-byte aligned.
const (
	align           = 16
	alignShift      = 4
	smallMax        = 32 << 10
	perDoubling     = 8
	fineFrom        = 512
	finePerDoubling = 16
	numClasses      = 16 + perDoubling + finePerDoubling*6 // 16..256, then perDoubling per doubling from 256 to 512, finePerDoubling from 512 to 32 KiB
	pageShift       = 12                                   // the arena's page, the unit of runs: 4 KiB
	pageSize        = 1 << pageShift
	maxRunPages     = 16  // fits the smallest arena (64 KiB)
	minSlots        = 8   // the fewest slots a run aims at
	maxSlots        = 256 // the most slots of a run (one page of 16-byte slots): its live bitmap has maxSlots bits
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

// classMagic[c] is ceil(2^32 / classSize[c]): for every offset x inside a
// run (x < 2^16), x*classMagic[c]>>32 == x/classSize[c], so Free finds a
// slot's index with a multiplication instead of a division (the error
// x*(classMagic*s-2^32)/2^32 stays below 1/s; a test checks every x).
var classMagic [numClasses]uint64

func init() {
	c := 0
	for s := uint32(16); s <= 256; s += 16 {
		classSize[c] = s
		c++
	}
	for p := uint32(256); p < smallMax; p *= 2 {
		n := uint32(perDoubling)
		if p >= fineFrom {
			n = finePerDoubling
		}
		for i := uint32(1); i <= n; i++ {
			classSize[c] = p + i*p/n
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
		classMagic[c] = (1<<32 + uint64(s) - 1) / uint64(s)
	}
}

// runShape picks the pages of a run for slot size s: the fewest pages
// that hold at least minSlots slots (as many as maxRunPages hold when that
// is fewer, at least one) with at most 1/64 of the run left over as a
// tail, trying up to about twice that many pages, else the count with the
// least tail waste. Small runs matter at a few thousand live blocks, where
// one partly used 64 KiB run per class was a quarter of the mapped bytes.
func runShape(s uint32) (pages, slots uint32) {
	want := max(1, min(minSlots, maxRunPages*pageSize/s))
	kmin := (want*s + pageSize - 1) / pageSize
	kmax := max(kmin, min(maxRunPages, 2*kmin+4))
	best, bestWaste := kmin, uint32(1<<31)
	for k := kmin; k <= kmax; k++ {
		bytes := k * pageSize
		waste := bytes % s
		if waste*64 <= bytes {
			return k, bytes / s
		}
		// compare waste/bytes across k without division
		if uint64(waste)*uint64(best*pageSize) < uint64(bestWaste)*uint64(bytes) {
			best, bestWaste = k, waste
		}
	}
	return best, best * pageSize / s
}
