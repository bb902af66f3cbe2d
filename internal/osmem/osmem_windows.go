// Page mapping on windows, through golang.org/x/sys/windows VirtualAlloc.

//go:build windows

package osmem

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

const fallback = false

func pageSize() int { return os.Getpagesize() }

func mapPages(size int) ([]byte, error) {
	addr, err := windows.VirtualAlloc(0, uintptr(size), windows.MEM_RESERVE|windows.MEM_COMMIT, windows.PAGE_READWRITE)
	if err != nil {
		return nil, err
	}
	// The pages are outside the Go heap, so the GC neither moves nor frees
	// them; unsafe.Slice gives a []byte view valid until VirtualFree. The
	// address is read through a pointer cast because it is not derived from
	// a Go pointer (vet's uintptr rule does not apply to foreign memory).
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unsafe.Slice((*byte)(p), size), nil
}

func unmapPages(b []byte) error {
	return windows.VirtualFree(uintptr(unsafe.Pointer(unsafe.SliceData(b))), 0, windows.MEM_RELEASE)
}

func decommitPages(b []byte) error {
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if err := windows.VirtualFree(addr, uintptr(len(b)), windows.MEM_DECOMMIT); err != nil {
		return err
	}
	_, err := windows.VirtualAlloc(addr, uintptr(len(b)), windows.MEM_COMMIT, windows.PAGE_READWRITE)
	return err
}
