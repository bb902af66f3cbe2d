// Site: a source position and the helper that captures the caller's.

package profile

import (
	"runtime"
	"strconv"
)

// Site is a source position, printed as FILE:LINE. The zero Site is
// "unknown position" and prints as "?:0".
type Site struct {
	File string `json:"file"` // source file as the producer named it (a path or a base name)
	Line int    `json:"line"` // 1-based line number; 0 when unknown
}

// String returns "FILE:LINE" ("?:0" for the zero Site).
func (s Site) String() string {
	f := s.File
	if f == "" {
		f = "?"
	}
	return f + ":" + strconv.Itoa(s.Line)
}

// Caller returns the Site of the caller skip frames above Caller's caller,
// the way runtime.Caller counts: Caller(0) is the line that called Caller,
// Caller(1) the line that called that function. It returns the zero Site
// when the stack is not that deep.
func Caller(skip int) Site {
	_, file, line, ok := runtime.Caller(skip + 1)
	if !ok {
		return Site{}
	}
	return Site{File: file, Line: line}
}
