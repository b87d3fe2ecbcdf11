package remote_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/trust"
)

// TestFIFOInFileStore: a named pipe as the head of a file:// store hung
// the poll for good, past its timeout (found by review): only regular
// files are read from a folder store, and the replica keeps serving.
func TestFIFOInFileStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := fileURL(dir)
	s := newSnapshot(4, 2)
	s.publish(t, url)
	r := newReplica(t, url, s.b.Pin(), t.TempDir())
	r.f.Timeout = time.Second
	if err := r.f.Poll(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, trust.HeadFile))
	if err := syscall.Mkfifo(filepath.Join(dir, trust.HeadFile), 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- r.f.Poll(ctx, "test") }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a poll of a store whose head is a named pipe succeeded")
		}
		if r.headSeq() == 0 {
			t.Error("the replica stopped serving its snapshot")
		}
	case <-time.After(5 * time.Second):
		t.Error("the poll (timeout 1 s) still hangs after 5 s on a FIFO head")
		// unblock
		f, _ := os.OpenFile(filepath.Join(dir, trust.HeadFile), os.O_WRONLY, 0)
		f.Close()
	}
}
