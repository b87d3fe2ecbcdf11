package issuance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// TestRecover: a registry restored from a backup taken before a batch
// and two revocations (one of a certificate of that batch) takes both
// revocations back, byte for byte, in order: the one of the lost
// certificate too, since the verifiers' list would not extend without
// it; the lost certificate is counted, not brought back. A verifier that
// saw the lost revocations accepts the next snapshot with its marks
// kept (once the trust list changed after the backup, which recover
// tells, is brought back too). A registry ahead of the snapshot has nothing to take back.
func TestRecover(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 2))
	mustIssue(t, tr.Options)
	snap := filepath.Join(t.TempDir(), "snap")
	tr.publish(t, snap)
	backup := filepath.Join(t.TempDir(), "reg")
	copyDir(t, tr.Registry, backup)
	// After the backup: a key added (the trust list changes), a batch,
	// two revocations.
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := CreateKey(KeyOptions{Registry: tr.Registry, KeyFile: filepath.Join(t.TempDir(), "TEST-ONLY-key2.age"), Recipients: testRecipients(t),
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), Root: tr.root}); err != nil {
		t.Fatal(err)
	}

	o := tr.Options
	o.Applicants, o.Input = fictionalBatch(2, 1), "batch2.csv"
	res := mustIssue(t, o)
	later := res.Certificates[0].Public.Number
	tr.revoke(t, later)
	tr.revoke(t, "S000035000001254000001")
	head := tr.publish(t, snap)
	_, marks, err := loadSnapshot(t, tr.Registry, snap, trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}
	lost := mustRead(t, filepath.Join(tr.Registry, CancellationsFile))

	bt, err := OpenTrust(backup)
	if err != nil {
		t.Fatal(err)
	}
	ro := RecoverOptions{Registry: backup, Trust: bt, Snapshot: snap, Now: time.Now(), DryRun: true}
	r, err := Recover(ro)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Added) != 2 || r.SeqTo != head.Seq {
		t.Fatalf("dry run: %d added, sequence %d, want 2 and %d", len(r.Added), r.SeqTo, head.Seq)
	}
	if _, err := os.Stat(filepath.Join(backup, CancellationsFile)); err == nil {
		t.Fatal("the dry run wrote cancellations.log")
	}

	ro.DryRun = false
	if r, err = Recover(ro); err != nil {
		t.Fatal(err)
	}
	if r.Added[0].Number != "" || r.Added[1].Number != "S000035000001254000001" || r.Orphans != 1 {
		t.Errorf("added %+v, %d orphans; want the lost certificate's first (no number), then S000035000001254000001", r.Added, r.Orphans)
	}
	if r.SnapshotListSeq <= r.ListSeq {
		t.Errorf("trust list %d in the snapshot, %d in the registry: the newer one not told", r.SnapshotListSeq, r.ListSeq)
	}
	if r.Lost != 1 || r.Certificates != 2 || r.SeqFrom != 1 || r.SeqTo != head.Seq {
		t.Errorf("lost %d of %d certificates, sequence %d → %d; want 1 of 2, 1 → %d", r.Lost, r.Certificates, r.SeqFrom, r.SeqTo, head.Seq)
	}
	if got := mustRead(t, filepath.Join(backup, CancellationsFile)); string(got) != string(lost) {
		t.Fatalf("cancellations.log:\n%s\nwant the lost one:\n%s", got, lost)
	}
	if r, err := Recover(ro); err != nil || !r.UpToDate() {
		t.Fatalf("again: %+v, %v; want up to date", r, err)
	}

	// Published with the older trust list, refused as a rollback of it;
	// with the later one brought back (docs/deploy.md), taken.
	early := filepath.Join(t.TempDir(), "snap")
	if _, err := Publish(PublishOptions{Registry: backup, Out: early, Timestamp: tr.timestamp, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadSnapshot(t, tr.Registry, early, marks); trust.ReasonOf(err) != trust.ReasonRollback {
		t.Fatalf("the older trust list: %v, want a rollback", err)
	}
	if err := os.WriteFile(filepath.Join(backup, ListFile), mustRead(t, filepath.Join(tr.Registry, ListFile)), 0o644); err != nil {
		t.Fatal(err)
	}
	snap2 := filepath.Join(t.TempDir(), "snap")
	if _, err := Publish(PublishOptions{Registry: backup, Out: snap2, Timestamp: tr.timestamp, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s, _, err := loadSnapshot(t, tr.Registry, snap2, marks)
	if err != nil {
		t.Fatalf("the verifier, its marks kept, refuses the recovered registry's snapshot: %v", err)
	}
	if len(s.Cancellations) != 2 || s.Records.Len() != 4 {
		t.Errorf("recovered snapshot: %d revocations, %d records; want 2 and 4", len(s.Cancellations), s.Records.Len())
	}

	// Ahead of the snapshot: a revocation of its own since; nothing to do.
	if _, err := Revoke(RevokeOptions{Registry: backup, Number: "S000035000001254000002", Reason: record.Withdrawn, Date: testToday,
		OpenKey: tr.OpenKey, Now: time.Now(), Trust: bt}); err != nil {
		t.Fatal(err)
	}
	if r, err := Recover(ro); err != nil || len(r.Added) != 0 {
		t.Fatalf("a registry ahead of the snapshot: %+v, %v", r, err)
	}

	// Diverged: the registry's first revocation is not the snapshot's.
	diverged := filepath.Join(t.TempDir(), "reg")
	copyDir(t, backup, diverged)
	dt, err := OpenTrust(diverged)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(lost), "\n")
	if err := os.WriteFile(filepath.Join(diverged, CancellationsFile), []byte(lines[1]+lines[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Recover(RecoverOptions{Registry: diverged, Trust: dt, Snapshot: snap, Now: time.Now()})
	if err == nil || !strings.Contains(err.Error(), "cancellations.log:1: error: 登记库的撤销与快照") || !strings.Contains(err.Error(), "登记库 2 条，快照 2 条，自第 1 条起不同") {
		t.Fatalf("diverged: %v", err)
	}
}
