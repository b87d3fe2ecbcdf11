package issuance

import (
	"path/filepath"
	"testing"
	"time"
)

// TestRecoverExpiredHead: a registry restored after the last head
// expired (heads live days, restores can come later) still takes back
// its revocations, which do not expire, and says the head had expired.
func TestRecoverExpiredHead(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 2))
	mustIssue(t, tr.Options)
	snap := filepath.Join(t.TempDir(), "snap")
	tr.publish(t, snap)
	backup := filepath.Join(t.TempDir(), "reg")
	copyDir(t, tr.Registry, backup)
	tr.revoke(t, "S000035000001254000001")
	tr.publish(t, snap)
	bt, err := OpenTrust(backup)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Recover(RecoverOptions{Registry: backup, Trust: bt, Snapshot: snap, Now: time.Now().Add(8 * 24 * time.Hour)})
	if err != nil {
		t.Fatalf("recover 8 days after the last publish: %v", err)
	}
	if len(r.Added) != 1 || r.Added[0].Number != "S000035000001254000001" {
		t.Errorf("taken back %+v, want the one revocation made after the backup", r.Added)
	}
	if r.Expired.IsZero() || !r.Expired.Before(time.Now().Add(8*24*time.Hour)) {
		t.Errorf("Expired = %v, want the head's past expiry", r.Expired)
	}
}
