package remote_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/deploy"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// TestForgedRootVersionDoesNotStick: a forged head naming root version 2
// made the mirror write the store's roots/000002.root (garbage) into its
// cache for good, and every later genuine head was refused over it (found
// by review). Root sets above the head's version now leave the cache.
func TestForgedRootVersionDoesNotStick(t *testing.T) {
	ctx := context.Background()
	url := fileURL(t.TempDir())
	s := newSnapshot(4, 2)
	good := s.publish(t, url)
	state := t.TempDir()
	r := newReplica(t, url, s.b.Pin(), state)
	if err := r.f.Poll(ctx, "test"); err != nil || r.outcome(s.tok(0)) != "valid" {
		t.Fatalf("first poll: %v", err)
	}
	b, err := deploy.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := *good.Head
	h.RootVersion = 2
	h.Seq += 100
	forged, err := h.Sign(trusttest.Key("attacker"))
	if err != nil {
		t.Fatal(err)
	}
	b.WriteAll(ctx, trust.RootFile(2), []byte("garbage root set"), nil)
	b.WriteAll(ctx, trust.HeadFile, forged, nil)
	r.f.Poll(ctx, "test")
	// The store is cleaned up; the centre publishes again.
	b.Delete(ctx, trust.RootFile(2))
	next := s.publish(t, url)
	time.Sleep(10 * time.Millisecond)
	r.f.Poll(ctx, "test")
	if r.headSeq() != next.Seq {
		t.Errorf("after the store was cleaned, the genuine head %d is not taken (in force %d)\n%s", next.Seq, r.headSeq(), r.logs.String())
	}
	if _, err := os.Stat(filepath.Join(state, "mirror", "roots", "000002.root")); err == nil {
		t.Error("the forged head's root set 2 is still in the cache")
	}
}
