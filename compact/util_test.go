// Small helpers shared by the tests.

package compact

import "errors"

func errorsIs(err, target error) bool { return errors.Is(err, target) }
