//go:build unix

package issuance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Lock takes the registry's lock for one changing run (issue, revoke,
// repair): two runs at once could both pass the duplicate checks. The
// lock file then says who holds it, so that a second run can tell the
// operator whom to wait for ([LockedError]). The lock is the kernel's
// (flock): a killed run releases it, and a stale file never blocks.
func Lock(dir, command string, now time.Time) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			data, _ := os.ReadFile(name)
			return nil, parseHolder(dir, data)
		}
		return nil, err
	}
	host, _ := os.Hostname()
	who := fmt.Sprintf("pid %d\nhost %s\ncommand %s\nsince %s\n", os.Getpid(), host, command, now.UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(who), 0)
	}
	return func() {
		f.Truncate(0)
		f.Close()
	}, nil
}

func parseHolder(dir string, data []byte) *LockedError {
	e := &LockedError{Dir: dir}
	for l := range strings.SplitSeq(string(data), "\n") {
		k, v, _ := strings.Cut(l, " ")
		switch k {
		case "pid":
			e.PID, _ = strconv.Atoi(v)
		case "host":
			e.Host = v
		case "command":
			e.Command = v
		case "since":
			e.Since, _ = time.Parse(time.RFC3339, v)
		}
	}
	return e
}
