// Remapping elsewhere: no call moves pages without copying them.

//go:build !linux

package osmem

import "errors"

func remapPages(b []byte, size int) ([]byte, error) { return nil, errors.ErrUnsupported }
