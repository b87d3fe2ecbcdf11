//go:build unix

package publish

import (
	"os"
	"syscall"
)

// tryLock opens the marker name (not through a link) and locks it, unless
// a live build holds it: a stage whose marker can be locked is one whose
// build has died.
func tryLock(name string) (*os.File, bool) {
	f, err := os.OpenFile(name, os.O_RDWR|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, false
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// lockFile takes the lock that marks a stage as in use; the system drops
// it when the process ends, however it ends.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
