// Layout: the byte-level image format (control block, chunk headers, links) and its seals.

package bufheap

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/memkit/memkit"
	"github.com/memkit/memkit/internal/sizeclass"
)

var le = binary.LittleEndian

// Image constants. Every multi-byte field of the image is little-endian.
const (
	magic   = "memkitBH" // bytes 0..8 of every image
	version = 2          // 2: the first chunk of a list has no back link

	hdrSize = 8 // bytes of header in front of every payload

	flagAlloc    = 1 << 0 // chunk is allocated
	flagPrevFree = 1 << 1 // the chunk just before this one is free
	flagPersist  = 1 << 2 // allocated chunk is persistent (never a leak)

	unitShift = 3  // the size field starts at bit 3 of a header value
	unitBits  = 40 // width of the size field and of a link's target, in units
	maxUnits  = 1<<unitBits - 1

	hdrValBits  = unitShift + unitBits // bits 0..42 carry the value, 43..63 the check
	hdrValMask  = 1<<hdrValBits - 1
	linkValMask = 1<<unitBits - 1 // bits 0..39 carry the target, 40..63 the check

	minChunkBytes = 32 // header, two links, footer

	// Control block fields (byte offsets from buf[0]).
	ctlMagic   = 0  // [8]byte magic
	ctlVersion = 8  // u16 version
	ctlAlign   = 10 // u8 log2(Align)
	ctlSub     = 11 // u8 sub-class bits
	ctlClasses = 12 // u32 number of classes
	ctlSize    = 16 // u64 len(buf) at format time
	ctlFirst   = 24 // u64 offset of the first chunk header
	ctlEnd     = 32 // u64 offset of the end sentinel header
	ctlSeal    = 40 // u64 seal of bytes 0..40
	ctlPeak    = 48 // u64 peak allocated bytes (the only field written after New besides lists)
	ctlTop     = 56 // u64 top-level bitmap: bit i set when class word i is non-zero
	ctlWords   = 64 // [nWords]u64 class bitmap, then [classes-kmin]u64 list heads
	ctlFixed   = ctlWords

	// MinBufferSize is the smallest buffer New accepts.
	MinBufferSize = 256

	// MaxBufferSize is the largest buffer New accepts with Align 16:
	// 2^40 units of 16 bytes (16 TiB). With Align 8 it is half that. Only
	// 64-bit hosts can hold such buffers; on 32-bit hosts the limit is the
	// largest Go slice.
	MaxBufferSize = uint64(maxUnits) << 4
)

// The three 64-bit mixers behind the seals. A seal is the high bits of a
// multiply-xor hash of a word's value and its own position in the image,
// so a word copied elsewhere, a stale word or random bytes all fail it.
const (
	mulPos   = 0x9e3779b97f4a7c15
	mulLink  = 0xc2b2ae3d27d4eb4f
	mulMix   = 0xbf58476d1ce4e5b9
	mulFinal = 0x94d049bb133111eb
)

// Only the high bits of the products are used: every bit of the value and
// of the position reaches them through the carries of one multiplication,
// so any change of the value, or the same word at another position, changes
// them except with probability about 2^-(bits kept).
func mixHdr(pos int, v uint64) uint64 { return (v ^ uint64(pos)*mulPos) * mulMix }

func mixLink(pos int, v uint64) uint64 { return (v ^ uint64(pos)*mulLink) * mulMix }

// sealHdr returns the header word for value v (flags and size) at pos.
func sealHdr(pos int, v uint64) uint64 { return v | mixHdr(pos, v)&^hdrValMask }

// sealLink returns the link word at pos naming target value v (0: none).
func sealLink(pos int, v uint64) uint64 { return v | mixLink(pos, v)&^linkValMask }

// sealCtl returns the seal of the control block's immutable fields.
func sealCtl(b []byte) uint64 {
	var x uint64 = 0x6d656d6b6974
	for i := 0; i < ctlSeal; i += 8 {
		x = (x ^ le.Uint64(b[i:])) * mulMix
		x ^= x >> 31
	}
	return x * mulFinal
}

// geometry is what the control block's immutable fields determine.
type geometry struct {
	shift    uint // log2(Align)
	sub      int  // sub-class bits
	classes  int  // number of size classes; classes below kmin have no head
	kmin     int  // class of the smallest chunk
	nWords   int  // 64-bit words of the class bitmap
	headsOff int  // offset of the list heads
	first    int  // offset of the first chunk header
	end      int  // offset of the end sentinel header
}

// subBitsFor picks the number of classes per power of two: tiny buffers
// get fewer so their control block stays small.
func subBitsFor(size int) int {
	switch {
	case size < 1<<10:
		return 1
	case size < 16<<10:
		return 2
	case size < 256<<10:
		return 3
	}
	return 4
}

// layout computes the geometry of a buffer of size bytes whose first byte
// sits at an address ≡ addrMod (mod 1<<shift). Payloads (header + 8) land on
// addresses that are multiples of 1<<shift.
func layout(size int, addrMod uint64, shift uint, sub int) (geometry, error) {
	g := geometry{shift: shift, sub: sub}
	unit := 1 << shift
	cls := sizeclass.MustNew(sub)
	g.classes = cls.Down(uint64(size)>>shift) + 1
	g.kmin = cls.Down(minChunkBytes >> shift)
	g.nWords = (g.classes + 63) / 64
	g.headsOff = ctlWords + 8*g.nWords
	ctlEnd := g.headsOff + 8*(g.classes-g.kmin)
	// first ≥ ctlEnd with (addr + first + hdrSize) % unit == 0.
	mis := int((addrMod + uint64(ctlEnd) + hdrSize) & uint64(unit-1))
	g.first = ctlEnd
	if mis != 0 {
		g.first += unit - mis
	}
	if g.first+hdrSize > size {
		return g, fmt.Errorf("bufheap: %d-byte buffer cannot hold its %d-byte control block: %w", size, g.first, memkit.ErrInvalidConfig)
	}
	g.end = g.first + (size-hdrSize-g.first)&^(unit-1)
	if g.end-g.first < minChunkBytes {
		return g, fmt.Errorf("bufheap: %d-byte buffer leaves %d bytes after its %d-byte control block, want at least %d: %w",
			size, size-g.first, g.first, minChunkBytes+hdrSize, memkit.ErrInvalidConfig)
	}
	return g, nil
}

// alignShift returns log2 of a supported alignment.
func alignShift(align int) (uint, error) {
	switch align {
	case 0, 16:
		return 4, nil
	case 8:
		return 3, nil
	}
	return 0, fmt.Errorf("bufheap: Align %d, want 8 or 16: %w", align, memkit.ErrInvalidConfig)
}

func log2(x int) int { return bits.Len(uint(x)) - 1 }
