//go:build unix

package issuance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestLockSaysWho: a second run on a registry in use is refused, and
// told who holds it (process, host, command) and since when.
func TestLockSaysWho(t *testing.T) {
	o := newRegistry(t, fictionalBatch(0, 1))
	since := time.Date(2025, 12, 31, 1, 2, 3, 0, time.UTC)
	unlock, err := Lock(o.Registry, "issue", since)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Issue(context.Background(), o)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second run: %v", err)
	}
	host, _ := os.Hostname()
	want := fmt.Sprintf("登记库 %s 正被另一次 qualbridge 运行占用：主机 %s 上的进程 %d（qualbridge issue），自 2025-12-31 09:02:03 起", o.Registry, host, os.Getpid())
	if msg, hint := Explain(err); msg != want || !strings.Contains(hint, "等那次运行结束") {
		t.Errorf("told %q / %q\nwant %q", msg, hint, want)
	}
	unlock()
	mustIssue(t, o)
	assertExactlyOnce(t, o.Registry, 1)
}
