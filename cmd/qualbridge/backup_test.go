//go:build unix

package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/internal/weedtest"
	"github.com/qualbridge/qualbridge/verifier/remote"
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
// snapshots until registry recover takes the revocation back from the
// snapshot in force, byte for byte; made again instead, it is refused
// until the verifiers' marks are reset. A certificate issued after the
// backup is gone for good.
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

	// Published as it is, its snapshot would be refused. Not as a
	// rollback: publish raises the sequence above the head already
	// there. But the revocation list lacks the revocation made after the
	// backup, so it does not extend the one the verifier has seen. (Into
	// a scratch folder holding snap's head, so that publish raises the
	// sequence above it as in snap: published into snap it would replace
	// the head that recover takes the lost revocation from.)
	scratch := filepath.Join(dir, "scratch")
	copyHead(t, snap, scratch)
	mustQB(t, "publish", "-registry", reg2, "-timestamp-key", ts, "-out", scratch)
	if _, _, refused := v.load(t, scratch); refused != trust.ReasonRevocations {
		t.Fatalf("restored registry's snapshot: refused %q, want %q", refused, trust.ReasonRevocations)
	}

	// registry recover takes the lost revocation back, byte for byte,
	// from the snapshot in force; -dry-run first writes nothing.
	lost, err := os.ReadFile(filepath.Join(reg, "cancellations.log"))
	if err != nil {
		t.Fatal(err)
	}
	out, errs, err := qb(t, "registry", "recover", "-registry", reg2, "-from", snap, "-dry-run")
	if err != nil || !strings.Contains(out, "将从快照 "+snap+" 取回 1 条撤销（S000035000001254000001）") {
		t.Fatalf("recover -dry-run: %v\n%s%s", err, out, errs)
	}
	if _, err := os.Stat(filepath.Join(reg2, "cancellations.log")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("recover -dry-run wrote cancellations.log: %v", err)
	}
	out, errs, err = qb(t, "registry", "recover", "-registry", reg2, "-from", snap)
	if err != nil || !strings.Contains(out, "已从快照 "+snap+" 取回 1 条撤销（S000035000001254000001），发布序号 3 不变") {
		t.Fatalf("recover: %v\n%s%s", err, out, errs)
	}
	// The certificate issued after the backup is not in it: said, with
	// what its holder's QR code will answer.
	if !strings.Contains(errs, "warning: 快照有 1 份证书不在登记库中（快照 8 条封存记录，登记库发布 3 份证书、6 条）") ||
		!strings.Contains(errs, "二维码将显示“未知”") {
		t.Errorf("recover does not say the certificate issued after the backup is lost:\n%s", errs)
	}
	if got, err := os.ReadFile(filepath.Join(reg2, "cancellations.log")); err != nil || string(got) != string(lost) {
		t.Fatalf("cancellations.log after recover differs from the lost one (%v):\n%s\nwant\n%s", err, got, lost)
	}
	if out := mustQB(t, "registry", "recover", "-registry", reg2, "-from", snap); !strings.HasPrefix(out, "已是最新") {
		t.Fatalf("recover again: %s", out)
	}
	if out := mustQB(t, "registry", "check", "-registry", reg2); !strings.Contains(out, "登记库完好：3 份证书，0 处提醒") {
		t.Fatalf("registry check after recover: %s", out)
	}

	// Published now, the replica takes it with its marks kept: the
	// revocation is there (the same, by locator and reason), the
	// certificate issued after the backup is not.
	before := v.cancellations(t, snap)
	mustQB(t, "publish", "-registry", reg2, "-timestamp-key", ts, "-out", snap)
	if n, recs, refused := v.load(t, snap); refused != "" || n != 1 || recs != 6 {
		t.Fatalf("after recover: %d revocations, %d records, refused %q", n, recs, refused)
	}
	if after := v.cancellations(t, snap); after != before || !strings.Contains(after, "issued-in-error") {
		t.Fatalf("the replica's revocations after recover: %s, want %s", after, before)
	}

	// A second restore that made the revocation again on its own, before
	// recovering: signed anew (another second), so its bytes differ. Its
	// snapshot is refused, and recover refuses to merge the two lists.
	reg3 := filepath.Join(dir, "restored-again", "registry")
	if err := os.MkdirAll(filepath.Dir(reg3), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-C", filepath.Dir(reg3), "-xzf", backup).CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
	time.Sleep(time.Until(revokedAt.Truncate(time.Second).Add(1100 * time.Millisecond)))
	mustQB(t, "revoke", "-registry", reg3, "-key", signing, "-number", "S000035000001254000001", "-reason", "issued-in-error")
	copyHead(t, snap, scratch)
	mustQB(t, "publish", "-registry", reg3, "-timestamp-key", ts, "-out", scratch)
	if _, _, refused := v.load(t, scratch); refused != trust.ReasonRevocations {
		t.Fatalf("after the revocation was made again: refused %q, want %q", refused, trust.ReasonRevocations)
	}
	_, errs, err = qb(t, "registry", "recover", "-registry", reg3, "-from", snap)
	if err == nil || !strings.Contains(errs, "cancellations.log:1: 登记库的撤销与快照 "+snap+" 的不一致：登记库 1 条，快照 1 条，自第 1 条起不同；未写入任何内容") {
		t.Fatalf("recover of a registry that revoked on its own: %v\n%s", err, errs)
	}

	// Only a replica without the marks (a new one, or one whose
	// marks.json was removed: the last resort) takes that one.
	if err := os.Remove(filepath.Join(v.state, trust.MarksFile)); err != nil {
		t.Fatal(err)
	}
	if n, recs, refused := v.load(t, scratch); refused != "" || n != 1 || recs != 6 {
		t.Fatalf("with the marks reset: %d revocations, %d records, refused %q", n, recs, refused)
	}

	// Another root's snapshot is refused.
	other, otherSnap := filepath.Join(dir, "other"), filepath.Join(dir, "other-snapshot")
	mustQB(t, "trust", "init", "-registry", other, "-root-key", filepath.Join(dir, "TEST-other-root.age"),
		"-timestamp-key", filepath.Join(dir, "TEST-other-ts.age"), "-scrypt-work-factor", "10")
	mustQB(t, "publish", "-registry", other, "-timestamp-key", filepath.Join(dir, "TEST-other-ts.age"), "-out", otherSnap)
	_, errs, err = qb(t, "registry", "recover", "-registry", reg2, "-from", otherSnap)
	if err == nil || !strings.Contains(errs, otherSnap+": 快照不在本登记库的根信任（trust-root.pub）之下") {
		t.Fatalf("recover from another root's snapshot: %v\n%s", err, errs)
	}
}

// cancellations returns the revocations of the snapshot in snap as the
// replica would take them (its marks are neither used nor changed), one
// "locator reason" a line, sorted.
func (r replica) cancellations(t *testing.T, snap string) string {
	t.Helper()
	s, _, err := trust.Load(snap, r.pin, trust.Marks{}, time.Now(), trust.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for loc, c := range s.Cancellations {
		lines = append(lines, loc.String()+" "+string(c.Reason))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// copyHead puts the head of the snapshot folder from into the folder to.
func copyHead(t *testing.T, from, to string) {
	t.Helper()
	head, err := os.ReadFile(filepath.Join(from, trust.HeadFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, trust.HeadFile), head, 0o644); err != nil {
		t.Fatal(err)
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

// TestRecoverFromStore is the rollback trap through a real S3-compatible
// store (SeaweedFS, package weedtest): a registry restored from a backup
// taken before a revocation takes it back with registry recover -from
// the store URL, and a replica following the store, its marks kept,
// accepts the next publish with the revocation in it.
func TestRecoverFromStore(t *testing.T) {
	srv := weedtest.Start(t)
	bucket := srv.Bucket(t, "snapshot")
	url := bucket.URL()
	dir := t.TempDir()
	reg := filepath.Join(dir, "registry")
	root, signing, ts := filepath.Join(dir, "TEST-root.age"), filepath.Join(dir, "TEST-signing.age"), filepath.Join(dir, "TEST-timestamp.age")
	batch := filepath.Join(dir, "batch.csv")
	if err := os.WriteFile(batch, []byte(fictionalBatch(2)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustQB(t, "trust", "init", "-registry", reg, "-root-key", root, "-timestamp-key", ts, "-scrypt-work-factor", "10")
	mustQB(t, "keygen", "-registry", reg, "-key", signing, "-root-key", root, "-scrypt-work-factor", "10")
	mustQB(t, "issue", "-registry", reg, "-key", signing, "-recipient", testRecipient, "-catalog", testCatalog,
		"-no-print", "-date", "2025-12-31", "-verifier", "https://verify.example.org", batch)
	mustQB(t, "publish", "-registry", reg, "-timestamp-key", ts, "-to", url)
	seq, err := os.ReadFile(filepath.Join(reg, "publish.seq")) // the backup, as far as it differs
	if err != nil {
		t.Fatal(err)
	}
	mustQB(t, "revoke", "-registry", reg, "-key", signing, "-number", "S000035000001254000002", "-reason", "withdrawn")
	mustQB(t, "publish", "-registry", reg, "-timestamp-key", ts, "-to", url)

	pinBytes, err := os.ReadFile(filepath.Join(reg, "trust-root.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pin, err := trust.ParsePin(pinBytes)
	if err != nil {
		t.Fatal(err)
	}
	v := replica{pin: pin, state: filepath.Join(dir, "verifier-state")}
	cache := filepath.Join(dir, "verifier-cache")
	m, err := remote.NewMirror(bucket.Open(t), cache, pin, trust.DefaultOptions(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	follow := func() (int, trust.Reason) {
		t.Helper()
		if _, err := m.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		n, _, refused := v.load(t, cache)
		return n, refused
	}
	if n, refused := follow(); n != 1 || refused != "" {
		t.Fatalf("before the loss: %d revocations, refused %q", n, refused)
	}

	// Restored: the revocation and the publish sequence lost.
	if err := os.Remove(filepath.Join(reg, "cancellations.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(reg, "publish.seq"), seq, 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustQB(t, "registry", "recover", "-registry", reg, "-from", url)
	if !strings.Contains(out, "已从快照 s3://snapshot 取回 1 条撤销（S000035000001254000002），发布序号提高到 2") {
		t.Fatalf("recover -from the store: %s", out)
	}
	mustQB(t, "publish", "-registry", reg, "-timestamp-key", ts, "-to", url)
	if n, refused := follow(); n != 1 || refused != "" {
		t.Fatalf("after recover and publish: %d revocations, refused %q", n, refused)
	}
}
