package issuance

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// testLookupParams are cheap argon2id costs for tests only: the
// verifier derives with seal.DefaultParams, so records sealed with these
// are found by token, not by manual lookup.
var testLookupParams = seal.Params{Time: 1, Memory: 64, Threads: 1}

// testKey is a TEST-ONLY key from a published seed.
func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("qualbridge issuance TEST-ONLY key: " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// trusted is a registry with a root of trust (TEST-ONLY keys).
type trusted struct {
	Options
	root, timestamp ed25519.PrivateKey
}

// newTrustedRegistry makes a registry as trust init and keygen
// -root-key do, and returns options to issue batch into it.
func newTrustedRegistry(t testing.TB, batch []byte) *trusted {
	t.Helper()
	dir := t.TempDir()
	reg := filepath.Join(dir, "reg")
	root := testKey("root")
	now := time.Now().UTC().Truncate(time.Second)
	tsFile := filepath.Join(dir, "TEST-ONLY-timestamp-key.age")
	if _, err := InitTrust(TrustInitOptions{Registry: reg, Root: root, TimestampKeyFile: tsFile, Recipients: testRecipients(t), Now: now.Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "TEST-ONLY-key.age")
	if _, err := CreateKey(KeyOptions{Registry: reg, KeyFile: keyFile, Recipients: testRecipients(t), NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), Root: root}); err != nil {
		t.Fatal(err)
	}
	open := func(name string) ed25519.PrivateKey {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		k, err := OpenKey(name, data, testIdentities(t)...)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	priv := open(keyFile)
	tr, err := OpenTrust(reg)
	if err != nil {
		t.Fatal(err)
	}
	return &trusted{
		Options: Options{
			Registry: reg, Catalog: os.DirFS(testCatalog), Input: "batch.csv", Applicants: batch,
			OpenKey:    func() (ed25519.PrivateKey, error) { return priv, nil },
			Recipients: testRecipients(t), Site: "000001", Today: testToday, Now: now,
			Trust:        tr,
			OpenPepper:   func() (seal.Pepper, error) { return OpenPepper(reg, testIdentities(t)...) },
			LookupParams: testLookupParams,
		},
		root: root, timestamp: open(tsFile),
	}
}

func (tr *trusted) publish(t *testing.T, out string) *trust.Head {
	t.Helper()
	h, err := Publish(PublishOptions{Registry: tr.Registry, Out: out, Timestamp: tr.timestamp, Now: time.Now()})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return h
}

func (tr *trusted) revoke(t *testing.T, number string) {
	t.Helper()
	if _, err := Revoke(RevokeOptions{Registry: tr.Registry, Number: number, Reason: record.IssuedInError, Date: testToday,
		OpenKey: tr.OpenKey, Now: time.Now(), Trust: tr.Trust}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
}

func loadSnapshot(t *testing.T, reg, dir string, m trust.Marks) (*trust.Snapshot, trust.Marks, error) {
	t.Helper()
	pinData, err := os.ReadFile(filepath.Join(reg, PinFile))
	if err != nil {
		t.Fatal(err)
	}
	pin, err := trust.ParsePin(pinData)
	if err != nil {
		t.Fatal(err)
	}
	return trust.Load(dir, pin, m, time.Now(), trust.DefaultOptions())
}

// TestIssuePublishVerify is the issuer's whole path as a verifier sees
// it: issued certificates open from the snapshot by their token, a
// revocation published later reaches it, and the older snapshot put
// back is refused.
func TestIssuePublishVerify(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 3))
	res, err := Issue(context.Background(), tr.Options)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "snapshot")
	if h := tr.publish(t, out); h.Seq != 1 || h.Records != 6 || h.Revocations != 0 {
		t.Fatalf("head %d: %d records, %d revocations; want 1: 6, 0", h.Seq, h.Records, h.Revocations)
	}
	snap, marks, err := loadSnapshot(t, tr.Registry, out, trust.Marks{})
	if err != nil {
		t.Fatalf("the verifier refuses the snapshot: %v", err)
	}
	for _, c := range res.Certificates {
		loc, key, _ := seal.TokenKeys(c.Public.Token)
		i, ok := snap.Records.Find(loc)
		if !ok {
			t.Fatalf("%s: not in the snapshot", c.Public.Number)
		}
		env, err := seal.Open(key, loc, seal.ByToken, snap.Records.Generation(i), snap.Records.Sealed(i))
		if err != nil {
			t.Fatalf("%s: %v", c.Public.Number, err)
		}
		cert, err := record.OpenCertificate(env, snap.List.PublicKey(trust.RoleSigning))
		if err != nil || cert.Number != c.Public.Number || cert.HolderMasked != c.Public.HolderMasked {
			t.Fatalf("%s: %+v %v", c.Public.Number, cert, err)
		}
		// The lookup copy is found from the printed number, name and
		// document number and the pepper.
		l, _ := seal.Normalize(c.Public.Number, c.Personal.Name, c.Personal.IDNumber)
		pepper, _ := tr.OpenPepper()
		lloc, lkey, _ := seal.LookupKeys(l, pepper, testLookupParams)
		j, ok := snap.Records.Find(lloc)
		if !ok {
			t.Fatalf("%s: no lookup copy", c.Public.Number)
		}
		if _, err := seal.Open(lkey, lloc, seal.ByLookup, 1, snap.Records.Sealed(j)); err != nil {
			t.Fatalf("%s: lookup copy: %v", c.Public.Number, err)
		}
	}
	old := filepath.Join(t.TempDir(), "old")
	copyDir(t, out, old)

	tr.revoke(t, res.Certificates[0].Public.Number)
	if h := tr.publish(t, out); h.Seq != 2 || h.Revocations != 1 {
		t.Fatalf("head %d with %d revocations, want 2 with 1", h.Seq, h.Revocations)
	}
	snap, marks, err = loadSnapshot(t, tr.Registry, out, marks)
	if err != nil {
		t.Fatal(err)
	}
	loc, _, _ := seal.TokenKeys(res.Certificates[0].Public.Token)
	if _, ok := snap.Cancellations[loc]; !ok || len(snap.Cancellations) != 1 {
		t.Fatalf("the revocation is not in the snapshot: %v", snap.Cancellations)
	}
	if _, _, err := loadSnapshot(t, tr.Registry, old, marks); trust.ReasonOf(err) != trust.ReasonRollback {
		t.Fatalf("the older snapshot put back: %v, want a rollback refusal", err)
	}
	if ds, _ := Check(tr.Registry); len(ds) > 0 {
		t.Fatalf("registry check:\n%s", listString(ds))
	}
	// Revoking again is refused and signs nothing.
	if _, err := Revoke(RevokeOptions{Registry: tr.Registry, Number: res.Certificates[0].Public.Number, Reason: record.IssuedInError,
		Date: testToday, OpenKey: tr.OpenKey, Now: time.Now(), Trust: tr.Trust}); !errors.Is(err, ErrAlreadyRevoked) {
		t.Fatalf("second revocation: %v", err)
	}
}

// TestForgedKey is the forgery of issue 13 tried against the registry:
// a key added to the registry's trust list without the root. Issue,
// revoke and publish refuse it, and a verifier refuses a snapshot
// carrying that list.
func TestForgedKey(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 2))
	mustIssue(t, tr.Options)
	out := filepath.Join(t.TempDir(), "snapshot")
	tr.publish(t, out)
	_, marks, err := loadSnapshot(t, tr.Registry, out, trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}

	// The attacker's key, listed as a signing key by a list the attacker
	// signs (they have no root key).
	evil := testKey("attacker")
	l := *tr.Trust.List
	l.Seq++
	l.Keys = append(append([]trust.Key(nil), l.Keys...), trust.Key{KID: record.KeyID(evil.Public().(ed25519.PublicKey)), PublicKey: evil.Public().(ed25519.PublicKey),
		Role: trust.RoleSigning, Status: trust.Active, NotBefore: time.Now().Add(-time.Hour).Truncate(time.Second), NotAfter: time.Now().AddDate(1, 0, 0).Truncate(time.Second), Issuer: CentreName})
	forged, err := l.Sign(evil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tr.Registry, ListFile), forged, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenTrust(tr.Registry); err == nil || !strings.Contains(err.Error(), "未经根密钥签名") {
		t.Fatalf("a trust list signed without the root opens: %v", err)
	}
	// issue and revoke without the checked trust are refused outright.
	o := tr.Options
	o.Trust = nil
	o.Applicants = fictionalBatch(2, 1)
	if _, err := Issue(context.Background(), o); err == nil || !strings.Contains(err.Error(), "有根信任") {
		t.Fatalf("issue without the root-signed list: %v", err)
	}
	if _, err := Publish(PublishOptions{Registry: tr.Registry, Out: out, Timestamp: tr.timestamp, Now: time.Now()}); err == nil || !strings.Contains(err.Error(), "未经根密钥签名") {
		t.Fatalf("publish with a forged trust list: %v", err)
	}
	if ds, _ := Check(tr.Registry); !strings.Contains(listString(ds), "未经根密钥签名") {
		t.Fatalf("registry check does not report the forged list:\n%s", listString(ds))
	}
	// keygen without the root refuses too.
	if _, err := CreateKey(KeyOptions{Registry: tr.Registry, KeyFile: filepath.Join(t.TempDir(), "k.age"), Recipients: testRecipients(t),
		NotBefore: time.Now(), NotAfter: time.Now().AddDate(1, 0, 0)}); err == nil || !strings.Contains(err.Error(), "-root-key") {
		t.Fatalf("keygen without the root: %v", err)
	}
	// The attacker also writes the forged list into the snapshot.
	if err := os.WriteFile(trusttest.Object(t, out, trusttest.List), forged, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadSnapshot(t, tr.Registry, out, marks); trust.ReasonOf(err) != trust.ReasonTrustList {
		t.Fatalf("verifier on a snapshot with the forged list: %v, want a trust-list refusal", err)
	}

	// The old forgery: a key written into a version-1 trust.json. Nothing
	// reads that file any more: the key signs nothing, and check names
	// the file as a leftover.
	tr2 := newTrustedRegistry(t, fictionalBatch(0, 1))
	os.WriteFile(filepath.Join(tr2.Registry, "trust.json"), []byte(`{"version": 1, "keys": []}`), 0o644)
	o2 := tr2.Options
	o2.OpenKey = func() (ed25519.PrivateKey, error) { return evil, nil }
	if _, err := Issue(context.Background(), o2); err == nil || !strings.Contains(err.Error(), "拒绝签发") {
		t.Fatalf("issue with a key not in the root-signed list: %v", err)
	}
	if ds, _ := Check(tr2.Registry); !strings.Contains(listString(ds), "trust.json: error: 版本 1 的登记库文件") {
		t.Fatalf("registry check does not name the version-1 leftover:\n%s", listString(ds))
	}
}

// TestClockBehind: the issuer refuses to sign when its clock is behind
// the registry's last signature.
func TestClockBehind(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 1))
	mustIssue(t, tr.Options)
	o := tr.Options
	o.Applicants = fictionalBatch(1, 1)
	o.Now = o.Now.Add(-10 * time.Minute)
	if _, err := Issue(context.Background(), o); err == nil || !strings.Contains(err.Error(), "本机时钟") {
		t.Fatalf("issue with the clock behind: %v", err)
	}
}

// TestRetiredKey: a retired key signs no more, and what it signed stays
// in the snapshot and verifies.
func TestRetiredKey(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 1))
	mustIssue(t, tr.Options)
	priv, _ := tr.OpenKey()
	kid := record.KeyID(priv.Public().(ed25519.PublicKey))
	if _, err := SetStatus(tr.Registry, testKey("not the root"), kid, trust.Retired, time.Now()); err == nil {
		t.Fatal("a key that is not the root changed the trust list")
	}
	if _, err := SetStatus(tr.Registry, tr.root, kid, trust.Retired, time.Now()); err != nil {
		t.Fatal(err)
	}
	o := tr.Options
	o.Trust, _ = OpenTrust(tr.Registry)
	o.Applicants = fictionalBatch(1, 1)
	o.Now = time.Now()
	if _, err := Issue(context.Background(), o); err == nil || !strings.Contains(err.Error(), "拒绝签发") {
		t.Fatalf("issue with a retired key: %v", err)
	}
	out := filepath.Join(t.TempDir(), "snapshot")
	tr.publish(t, out)
	if snap, _, err := loadSnapshot(t, tr.Registry, out, trust.Marks{}); err != nil || snap.Records.Len() != 2 {
		t.Fatalf("snapshot after retiring: %v", err)
	}
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, r), 0o755)
		}
		return os.WriteFile(filepath.Join(to, r), mustRead(t, p), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReissue: the certificates a compromised key signed are re-signed
// by a new key, after approval, under the same token, at generation 2;
// the verifier then finds them genuine; nothing is signed unapproved.
func TestReissue(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 3))
	res := mustIssue(t, tr.Options)
	oldKey, _ := tr.OpenKey()
	oldKID := record.KeyID(oldKey.Public().(ed25519.PublicKey))
	newFile := filepath.Join(t.TempDir(), "TEST-ONLY-new.age")
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := CreateKey(KeyOptions{Registry: tr.Registry, KeyFile: newFile, Recipients: testRecipients(t), NotBefore: now.Add(-time.Minute), NotAfter: now.AddDate(1, 0, 0), Root: tr.root}); err != nil {
		t.Fatal(err)
	}
	newKey, err := OpenKey(newFile, mustRead(t, newFile), testIdentities(t)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SetStatus(tr.Registry, tr.root, oldKID, trust.Compromised, time.Now()); err != nil {
		t.Fatal(err)
	}
	tl, _ := OpenTrust(tr.Registry)
	o := ReissueOptions{Registry: tr.Registry, KID: oldKID, Trust: tl, Identities: testIdentities(t),
		OpenKey: func() (ed25519.PrivateKey, error) { return newKey, nil }, OpenPepper: tr.OpenPepper,
		Now: time.Now(), LookupParams: testLookupParams}
	var shown int
	o.Approve = func(p *ReissuePlan) bool { shown = len(p.Certificates); return false }
	if _, err := Reissue(context.Background(), o); !errors.Is(err, ErrNotApproved) || shown != 3 {
		t.Fatalf("unapproved: %v, %d shown", err, shown)
	}
	if names, _ := filepath.Glob(filepath.Join(tr.Registry, ReissuedDir, "*")); len(names) != 0 {
		t.Fatalf("an unapproved run wrote %v", names)
	}
	o.Approve = func(*ReissuePlan) bool { return true }
	done, err := Reissue(context.Background(), o)
	if err != nil || len(done.Certificates) != 3 {
		t.Fatalf("reissue: %v, %v", done, err)
	}
	// Nothing left signed by the compromised key.
	if _, err := Reissue(context.Background(), o); err == nil || !strings.Contains(err.Error(), "没有由密钥") {
		t.Fatalf("second reissue: %v", err)
	}
	if ds, _ := Check(tr.Registry); len(ds) > 0 {
		t.Fatalf("check after reissue:\n%s", listString(ds))
	}
	out := filepath.Join(t.TempDir(), "snapshot")
	tr.publish(t, out)
	snap, _, err := loadSnapshot(t, tr.Registry, out, trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Certificates {
		loc, key, _ := seal.TokenKeys(c.Public.Token)
		i, ok := snap.Records.Find(loc)
		if !ok || snap.Records.Generation(i) != 2 {
			t.Fatalf("%s: not found at generation 2", c.Public.Number)
		}
		env, err := seal.Open(key, loc, seal.ByToken, 2, snap.Records.Sealed(i))
		if err != nil {
			t.Fatal(err)
		}
		cert, err := record.OpenCertificate(env, snap.List.PublicKey(trust.RoleSigning))
		if err != nil || cert.Generation != 2 || cert.KID == oldKID || cert.Number != c.Public.Number {
			t.Fatalf("%s: %+v %v", c.Public.Number, cert, err)
		}
		if err := snap.List.May(cert.KID, trust.RoleSigning, cert.SignedAt); err != nil {
			t.Fatalf("%s: %v", c.Public.Number, err)
		}
	}
}

// TestTornCancellations: a torn last line of cancellations.log stops
// publish with a hint; repair cuts it off (keeping it beside), and
// publish goes on.
func TestTornCancellations(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 2))
	res := mustIssue(t, tr.Options)
	tr.revoke(t, res.Certificates[0].Public.Number)
	name := filepath.Join(tr.Registry, CancellationsFile)
	f, _ := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("00112233 half-a-li")
	f.Close()
	out := filepath.Join(t.TempDir(), "snapshot")
	if _, err := Publish(PublishOptions{Registry: tr.Registry, Out: out, Timestamp: tr.timestamp, Now: time.Now()}); err == nil || !strings.Contains(err.Error(), "registry repair") {
		t.Fatalf("publish over a torn line: %v", err)
	}
	if _, err := Repair(nil, tr.Registry, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name + ".torn"); err != nil {
		t.Fatalf("the cut bytes are not kept: %v", err)
	}
	if h := tr.publish(t, out); h.Revocations != 1 {
		t.Fatalf("%d revocations published, want 1", h.Revocations)
	}
}

// TestRotateRoot: a new root, signed by the old and itself; the
// registry keeps issuing and publishing, and a verifier pinned to
// version 1 follows the chain. A key that is not the root cannot rotate.
func TestRotateRoot(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 1))
	mustIssue(t, tr.Options)
	newRoot := testKey("root 2")
	if _, err := RotateRoot(tr.Registry, testKey("not the root"), newRoot, time.Now()); err == nil {
		t.Fatal("rotated with a key that is not the root")
	}
	rs, err := RotateRoot(tr.Registry, tr.root, newRoot, time.Now())
	if err != nil || rs.Version != 2 {
		t.Fatalf("rotate: %v", err)
	}
	// The old root no longer changes the list; the new one does.
	if _, err := SetStatus(tr.Registry, tr.root, "nosuchkey", trust.Retired, time.Now()); err == nil || !strings.Contains(err.Error(), "没有密钥") && !strings.Contains(err.Error(), "当前的根") {
		t.Fatalf("old root: %v", err)
	}
	o := tr.Options
	if o.Trust, err = OpenTrust(tr.Registry); err != nil {
		t.Fatal(err)
	}
	o.Applicants, o.Now = fictionalBatch(1, 1), time.Now()
	mustIssue(t, o)
	out := filepath.Join(t.TempDir(), "snapshot")
	tr.publish(t, out)
	snap, _, err := loadSnapshot(t, tr.Registry, out, trust.Marks{})
	if err != nil || snap.Root.Version != 2 || snap.Records.Len() != 4 {
		t.Fatalf("snapshot after rotation: %v", err)
	}
}
