package issuance

import (
	"fmt"
	"time"
)

// LockedError says that another run holds the registry.
type LockedError struct {
	Dir     string
	PID     int
	Host    string
	Command string
	Since   time.Time
}

func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("登记库 %s 正被另一次 qualbridge 运行占用", e.Dir)
	}
	return fmt.Sprintf("登记库 %s 正被另一次 qualbridge 运行占用：主机 %s 上的进程 %d（qualbridge %s），自 %s 起",
		e.Dir, e.Host, e.PID, e.Command, localTime(e.Since))
}
