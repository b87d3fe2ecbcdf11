//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/trust"
)

// replica loads snapshots the way a verifier does: against the pinned
// root and the high-water marks kept in its state folder.
type replica struct {
	pin   *trust.Pin
	state string
}

// load returns the numbers of revocations and of sealed records (two
// a certificate) of the snapshot in snap, or the reason the replica
// refuses it.
func (r replica) load(t *testing.T, snap string) (revocations, records int, refused trust.Reason) {
	t.Helper()
	m, err := trust.ReadMarks(r.state)
	if err != nil {
		t.Fatal(err)
	}
	s, m, err := trust.Load(snap, r.pin, m, time.Now(), trust.Options{MaxSkew: 5 * time.Minute, MaxLifetime: 31 * 24 * time.Hour})
	if err != nil {
		return 0, 0, trust.ReasonOf(err)
	}
	if err := trust.WriteMarks(r.state, m); err != nil {
		t.Fatal(err)
	}
	return len(s.Cancellations), s.Records.Len(), ""
}

// TestBackupAndRestore follows docs/deploy.md, "Backups of the
// registry": a backup taken with tar under the registry's lock (which
// keeps qualbridge out while it runs), restored on another machine and
// checked; and the rollback trap: the restored registry lacks a
// revocation made after the backup, so verifiers that saw it refuse its
// snapshots, even once the revocation is made again, until their marks
// are reset; and a certificate issued after the backup is gone for good.
func TestBackupAndRestore(t *testing.T) {
	for _, tool := range []string{"tar", "flock"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	reg, snap := filepath.Join(dir, "centre", "registry"), filepath.Join(dir, "snapshot")
	root, signing, ts := filepath.Join(dir, "TEST-root.age"), filepath.Join(dir, "TEST-signing.age"), filepath.Join(dir, "TEST-timestamp.age")
	batch := filepath.Join(dir, "batch.csv")
	if err := os.WriteFile(batch, []byte(fictionalBatch(3)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustQB(t, "trust", "init", "-registry", reg, "-root-key", root, "-timestamp-key", ts, "-scrypt-work-factor", "10")
	mustQB(t, "keygen", "-registry", reg, "-key", signing, "-root-key", root, "-scrypt-work-factor", "10")
	mustQB(t, "issue", "-registry", reg, "-key", signing, "-recipient", testRecipient, "-catalog", testCatalog,
		"-no-print", "-date", "2025-12-31", "-verifier", "https://verify.example.org", batch)
	mustQB(t, "publish", "-registry", reg, "-timestamp-key", ts, "-out", snap)
	pinBytes, err := os.ReadFile(filepath.Join(reg, "trust-root.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pin, err := trust.ParsePin(pinBytes)
	if err != nil {
		t.Fatal(err)
	}
	v := replica{pin: pin, state: filepath.Join(dir, "verifier-state")}
	if n, recs, refused := v.load(t, snap); refused != "" || n != 0 || recs != 6 {
		t.Fatalf("first snapshot: %d revocations, %d records, refused %q", n, recs, refused)
	}

	// The backup, under the registry's lock: a revoke started meanwhile
	// is told the registry is busy rather than changing it mid-copy.
	backup := filepath.Join(dir, "registry.tar.gz")
	lock := filepath.Join(reg, ".lock")
	held := exec.Command("flock", lock, "sh", "-c", "sleep 2 && tar -C \"$1\" -czf \"$2\" registry", "sh", filepath.Dir(reg), backup)
	var heldOut strings.Builder
	held.Stdout, held.Stderr = &heldOut, &heldOut
	if err := held.Start(); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, lock)
	_, errs, err := qb(t, "revoke", "-registry", reg, "-key", signing, "-number", "S000035000001254000001", "-reason", "issued-in-error")
	if err == nil || !strings.Contains(errs, "正被另一次 qualbridge 运行占用") {
		t.Fatalf("revoke during the backup: %v\n%s", err, errs)
	}
	if err := held.Wait(); err != nil {
		t.Fatalf("backup: %v\n%s", err, heldOut.String())
	}

	// After the backup: one more certificate and a revocation,
	// published and seen by the replica.
	if err := os.WriteFile(batch, []byte(fictionalBatch(4)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustQB(t, "issue", "-registry", reg, "-key", signing, "-recipient", testRecipient, "-catalog", testCatalog,
		"-no-print", "-skip-issued", "-date", "2025-12-31", "-verifier", "https://verify.example.org", batch)
	mustQB(t, "revoke", "-registry", reg, "-key", signing, "-number", "S000035000001254000001", "-reason", "issued-in-error")
	revokedAt := time.Now()
	mustQB(t, "publish", "-registry", reg, "-timestamp-key", ts, "-out", snap)
	if n, recs, refused := v.load(t, snap); refused != "" || n != 1 || recs != 8 {
		t.Fatalf("after the revocation: %d revocations, %d records, refused %q", n, recs, refused)
	}

	// The registry is lost; the backup restored elsewhere checks whole.
	restored := filepath.Join(dir, "restored")
	if err := os.MkdirAll(restored, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-C", restored, "-xzf", backup).CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
	reg2 := filepath.Join(restored, "registry")
	if out := mustQB(t, "registry", "check", "-registry", reg2); !strings.Contains(out, "登记库完好：3 份证书") {
		t.Fatalf("registry check of the restored backup: %s", out)
	}

	// Its snapshots are refused. Not as a rollback: publish raises the
	// sequence above the head already in the snapshot. But the
	// revocation list lacks the revocation made after the backup, so it
	// does not extend the one the verifier has seen.
	mustQB(t, "publish", "-registry", reg2, "-timestamp-key", ts, "-out", snap)
	if _, _, refused := v.load(t, snap); refused != trust.ReasonRevocations {
		t.Fatalf("restored registry's first snapshot: refused %q, want %q", refused, trust.ReasonRevocations)
	}

	// The revocation made again from the operator's records is signed
	// anew (another second), so its bytes differ from the lost one's:
	// still refused.
	time.Sleep(time.Until(revokedAt.Truncate(time.Second).Add(1100 * time.Millisecond)))
	mustQB(t, "revoke", "-registry", reg2, "-key", signing, "-number", "S000035000001254000001", "-reason", "issued-in-error")
	mustQB(t, "publish", "-registry", reg2, "-timestamp-key", ts, "-out", snap)
	if _, _, refused := v.load(t, snap); refused != trust.ReasonRevocations {
		t.Fatalf("after the revocation was made again: refused %q, want %q", refused, trust.ReasonRevocations)
	}

	// Only a replica without the marks (a new one, or one whose
	// marks.json was removed) takes it: with the revocation, but without
	// the certificate issued after the backup, which nothing brings back.
	if err := os.Remove(filepath.Join(v.state, trust.MarksFile)); err != nil {
		t.Fatal(err)
	}
	if n, recs, refused := v.load(t, snap); refused != "" || n != 1 || recs != 6 {
		t.Fatalf("with the marks reset: %d revocations, %d records, refused %q", n, recs, refused)
	}
}

// waitLocked waits until another process holds the flock on name.
func waitLocked(t *testing.T, name string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		f, err := os.Open(name)
		if err == nil {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			if err == nil {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			}
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("flock did not take %s", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
