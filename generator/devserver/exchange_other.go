//go:build !linux

package devserver

import "errors"

// exchange is not available here: writeSite falls back to two renames.
func exchange(a, b string) error {
	return errors.ErrUnsupported
}
