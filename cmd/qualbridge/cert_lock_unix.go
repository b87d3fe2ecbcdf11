//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockRegistry takes an exclusive lock on the registry directory for the
// read-check-append of issue and revoke: two runs at once could
// otherwise both pass the duplicate checks, and a registry with a
// certificate revoked twice is refused by the verifier as a whole.
func lockRegistry(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("registry %s is in use by another qualbridge run", dir)
	}
	return func() { f.Close() }, nil
}
