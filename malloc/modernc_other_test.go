//go:build !unix && !windows

// Where modernc.org/memory does not build, its baseline is left out.

package malloc

import (
	"testing"

	"github.com/memkit/memkit/internal/workload"
)

func moderncChurnUtil(workload.Churn, int) float64 { return 0 }

func moderncTraceUtil(testing.TB, []repOp, int) float64 { return 0 }
