// The package's errors: malformed input (SyntaxError) and faults a replay found (VerifyError).

package trace

import (
	"errors"
	"fmt"
)

// ErrSyntax is wrapped by every error a reader returns for malformed input.
var ErrSyntax = errors.New("malformed trace")

// SyntaxError is a reader's error: the line (from 1) where the input went
// wrong and why. It wraps ErrSyntax.
type SyntaxError struct {
	Name string // input name, may be empty
	Line int
	Msg  string
}

// Error formats the error as "name:line: message" (or "line N: message"
// without a name).
func (e *SyntaxError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// ErrVerify is wrapped by every *VerifyError.
var ErrVerify = errors.New("verification failed")

// Problem is the kind of fault a verification found.
type Problem int

// The faults Replay detects.
const (
	Corrupt     Problem = iota + 1 // a live block's bytes changed
	Overlap                        // two live blocks overlap
	BadSpan                        // a block is shorter than asked, outside the space or misaligned
	FreeFailed                     // the target refused to free or resize a live block
	CheckFailed                    // the target's own Check failed
)

// String names the fault: "corrupt", "overlap", ...
func (p Problem) String() string {
	switch p {
	case Corrupt:
		return "corrupt"
	case Overlap:
		return "overlap"
	case BadSpan:
		return "bad span"
	case FreeFailed:
		return "free failed"
	case CheckFailed:
		return "check failed"
	}
	return fmt.Sprintf("Problem(%d)", int(p))
}

// VerifyError reports a fault found by Replay: which op (index from 0 into
// Trace.Ops; len(Ops) for the final check), which fault, and the details.
type VerifyError struct {
	Op      int
	Problem Problem
	Msg     string
}

// Error formats the fault as "op N: problem: details".
func (e *VerifyError) Error() string {
	return fmt.Sprintf("op %d: %s: %s", e.Op, e.Problem, e.Msg)
}

// Unwrap returns ErrVerify.
func (e *VerifyError) Unwrap() error { return ErrVerify }
