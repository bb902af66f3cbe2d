// Short names for the sentinels the tests compare with.

package bufheap

import (
	"errors"

	"github.com/memkit/memkit"
)

var (
	errCorrupt       = memkit.ErrCorrupt
	errInvalidConfig = memkit.ErrInvalidConfig
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }
