//go:build !unix

package issuance

import (
	"fmt"
	"time"
)

// Lock does nothing where flock is missing; run one issuer at a time.
func Lock(dir, command string, now time.Time) (unlock func(), err error) { return func() {}, nil }

// LockedError says that another run holds the registry.
type LockedError struct {
	Dir     string
	PID     int
	Host    string
	Command string
	Since   time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("登记库 %s 正被另一次 qualbridge 运行占用", e.Dir)
}
