//go:build !linux

package publish

import "errors"

// canExchange: without an atomic exchange of directories, publish falls
// back to two renames and a [Stage] always starts empty.
const canExchange = false

// exchange is not available here.
func exchange(a, b string) error {
	return errors.ErrUnsupported
}

// overwrite is not used here.
func overwrite(name string, data []byte) error {
	return errors.ErrUnsupported
}
