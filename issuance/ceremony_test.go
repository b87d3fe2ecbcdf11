package issuance

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/verifier"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// The key ceremony as an operator goes through it, and as an attacker
// holding an old key tries it: a compromise, a new timestamp key, an
// expired trust list.

// answer is what the real verifier service answers for a scan of tok
// over snap: the outcome and, for a record it shows, its generation.
func answer(t *testing.T, snap *trust.Snapshot, tok record.Token) (string, int) {
	t.Helper()
	store := &verifier.Store{}
	store.Set(verifier.NewSnapshot(snap, nil, time.Now()))
	h, err := verifier.NewServer(slog.New(slog.NewTextHandler(io.Discard, nil)), verifier.Config{BaseURL: "https://verify.example.org"},
		store, verifier.NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/verify/"+string(tok), nil))
	var a struct {
		Outcome     string `json:"outcome"`
		Certificate struct {
			Generation int `json:"generation,string"`
		} `json:"certificate"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %q: %v", rec.Body.String(), err)
	}
	return a.Outcome, a.Certificate.Generation
}

func kid(k ed25519.PrivateKey) string { return record.KeyID(k.Public().(ed25519.PublicKey)) }

// newSigningKey adds a signing key through the root and opens it.
func (tr *trusted) newSigningKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	f := filepath.Join(t.TempDir(), "TEST-ONLY-new-key.age")
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := CreateKey(KeyOptions{Registry: tr.Registry, KeyFile: f, Recipients: testRecipients(t), NotBefore: now.Add(-time.Minute), NotAfter: now.AddDate(1, 0, 0), Root: tr.root}); err != nil {
		t.Fatal(err)
	}
	k, err := OpenKey(f, mustRead(t, f), testIdentities(t)...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestCompromiseKeepsRevocations: a revoked certificate stays revoked
// through a compromise of the key that signed it and its revocation.
// The verifier skips what a compromised key signed; reissue must not
// re-sign the revoked certificate (it would answer valid), and must sign
// its revocation again, so that it answers revoked — not valid, not
// "key compromised" — while the others answer valid at generation 2.
func TestCompromiseKeepsRevocations(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 3))
	res := mustIssue(t, tr.Options)
	revoked := res.Certificates[1].Public
	tr.revoke(t, revoked.Number)
	oldKey, _ := tr.OpenKey()
	out := filepath.Join(t.TempDir(), "snapshot")
	tr.publish(t, out)
	snap, marks, err := loadSnapshot(t, tr.Registry, out, trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := answer(t, snap, revoked.Token); o != "revoked" {
		t.Fatalf("before the compromise: %s", o)
	}

	// The key is stolen: mark it, make a new one.
	if _, err := SetStatus(tr.Registry, tr.root, kid(oldKey), trust.Compromised, time.Now()); err != nil {
		t.Fatal(err)
	}
	newKey := tr.newSigningKey(t)
	tl, err := OpenTrust(tr.Registry)
	if err != nil {
		t.Fatal(err)
	}
	// Before reissue, publish refuses: the snapshot would answer "key
	// compromised" for every certificate.
	if _, err := Publish(PublishOptions{Registry: tr.Registry, Out: out, Timestamp: tr.timestamp, Now: time.Now()}); err == nil {
		t.Fatal("published certificates signed by a compromised key")
	}

	o := ReissueOptions{Registry: tr.Registry, KID: kid(oldKey), Trust: tl, Identities: testIdentities(t),
		OpenKey: func() (ed25519.PrivateKey, error) { return newKey, nil }, OpenPepper: tr.OpenPepper,
		Now: time.Now(), LookupParams: testLookupParams}
	var shown *ReissuePlan
	o.Approve = func(p *ReissuePlan) bool { shown = p; return true }
	done, err := Reissue(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	numbers := func(ss []Sealed) (out []string) {
		for _, s := range ss {
			out = append(out, s.Number)
		}
		return out
	}
	want := []string{res.Certificates[0].Public.Number, res.Certificates[2].Public.Number}
	if got := numbers(shown.Certificates); !slices.Equal(got, want) {
		t.Fatalf("shown for re-signing %v, want %v (never the revoked one)", got, want)
	}
	if got := numbers(shown.Skipped); !slices.Equal(got, []string{revoked.Number}) {
		t.Fatalf("shown as skipped %v, want the revoked %s", got, revoked.Number)
	}
	if len(shown.Revocations) != 1 || shown.Revocations[0].Number != revoked.Number || shown.Revocations[0].Old.KID != kid(oldKey) {
		t.Fatalf("revocations shown: %+v", shown.Revocations)
	}
	if len(done.Certificates) != 2 || len(done.Revocations) != 1 {
		t.Fatalf("done: %d certificates, %d revocations", len(done.Certificates), len(done.Revocations))
	}
	// The log only grows: the old line stays, the new one follows.
	cs, err := readCancellations(tr.Registry)
	if err != nil || len(cs) != 2 || cs[0].Locator != cs[1].Locator {
		t.Fatalf("cancellations.log after reissue: %d lines, %v", len(cs), err)
	}
	if ds, _ := Check(tr.Registry); ds.Count(diag.Error) > 0 {
		t.Fatalf("check after reissue:\n%s", listString(ds))
	}

	tr.publish(t, out)
	snap, _, err = loadSnapshot(t, tr.Registry, out, marks)
	if err != nil {
		t.Fatalf("the verifier refuses the snapshot after reissue: %v", err)
	}
	if snap.Untrusted != 1 {
		t.Errorf("%d revocations skipped, want the compromised key's 1", snap.Untrusted)
	}
	for _, c := range res.Certificates {
		o, gen := answer(t, snap, c.Public.Token)
		switch {
		case c.Public.Number == revoked.Number && o != "revoked":
			t.Errorf("revoked %s answers %s", c.Public.Number, o)
		case c.Public.Number != revoked.Number && (o != "valid" || gen != 2):
			t.Errorf("%s answers %s at generation %d, want valid at 2", c.Public.Number, o, gen)
		}
	}

	// Nothing left to do: a second run says so and signs nothing.
	if _, err := Reissue(context.Background(), o); err == nil || !strings.Contains(err.Error(), "都已撤销") {
		t.Fatalf("second reissue: %v", err)
	}
	if cs, _ := readCancellations(tr.Registry); len(cs) != 2 {
		t.Fatalf("a second run appended revocations: %d lines", len(cs))
	}
}

// TestRetiredRevocationResigned: a revocation by a key that is only
// retired still stands, but reissue signs it again all the same (the
// key may be compromised later); the snapshot then holds both.
func TestRetiredRevocationResigned(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 2))
	res := mustIssue(t, tr.Options)
	tr.revoke(t, res.Certificates[0].Public.Number)
	oldKey, _ := tr.OpenKey()
	newKey := tr.newSigningKey(t)
	if _, err := SetStatus(tr.Registry, tr.root, kid(oldKey), trust.Retired, time.Now()); err != nil {
		t.Fatal(err)
	}
	tl, _ := OpenTrust(tr.Registry)
	done, err := Reissue(context.Background(), ReissueOptions{Registry: tr.Registry, KID: kid(oldKey), Trust: tl, Identities: testIdentities(t),
		OpenKey: func() (ed25519.PrivateKey, error) { return newKey, nil }, OpenPepper: tr.OpenPepper,
		Approve: func(*ReissuePlan) bool { return true }, Now: time.Now(), LookupParams: testLookupParams})
	if err != nil || len(done.Certificates) != 1 || len(done.Revocations) != 1 || len(done.Skipped) != 1 {
		t.Fatalf("reissue: %+v, %v", done, err)
	}
	out := filepath.Join(t.TempDir(), "snapshot")
	tr.publish(t, out)
	snap, _, err := loadSnapshot(t, tr.Registry, out, trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := answer(t, snap, res.Certificates[0].Public.Token); o != "revoked" {
		t.Errorf("revoked certificate (retired key) answers %s", o)
	}
	if o, gen := answer(t, snap, res.Certificates[1].Public.Token); o != "valid" || gen != 2 {
		t.Errorf("other certificate answers %s at %d", o, gen)
	}
}

// TestTimestampKeyRotation: a new timestamp key goes in through the
// root; publishing with it is accepted by a verifier that holds marks
// from the old key's heads; the old key, compromised, is refused by the
// publisher with a hint, and a head it signs is refused by the verifier.
func TestTimestampKeyRotation(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 1))
	res := mustIssue(t, tr.Options)
	out := filepath.Join(t.TempDir(), "snapshot")
	tr.publish(t, out)
	_, marks, err := loadSnapshot(t, tr.Registry, out, trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}
	old := tr.timestamp

	// Not without the root; not with another root.
	f := filepath.Join(t.TempDir(), "TEST-ONLY-ts2.age")
	now := time.Now().UTC().Truncate(time.Second)
	ko := KeyOptions{Registry: tr.Registry, KeyFile: f, Recipients: testRecipients(t), NotBefore: now.Add(-time.Minute), NotAfter: now.AddDate(1, 0, 0), Role: trust.RoleTimestamp}
	if _, err := CreateKey(ko); err == nil || !strings.Contains(err.Error(), "根密钥") {
		t.Fatalf("timestamp key without the root: %v", err)
	}
	ko.Root = testKey("not the root")
	if _, err := CreateKey(ko); err == nil {
		t.Fatal("timestamp key through another root")
	}
	if _, err := os.Stat(f); err == nil {
		t.Fatal("a refused key left its file")
	}
	ko.Root = tr.root
	newKID, err := CreateKey(ko)
	if err != nil {
		t.Fatal(err)
	}
	tl, _ := OpenTrust(tr.Registry)
	if k, ok := tl.List.Key(newKID); !ok || k.Role != trust.RoleTimestamp || k.Status != trust.Active {
		t.Fatalf("new timestamp key in the list: %+v %v", k, ok)
	}
	if _, err := os.Stat(filepath.Join(tr.Registry, "trust.json")); err == nil {
		t.Fatal("keygen wrote a version-1 trust.json")
	}
	newTS, err := OpenKey(f, mustRead(t, f), testIdentities(t)...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SetStatus(tr.Registry, tr.root, kid(old), trust.Compromised, time.Now()); err != nil {
		t.Fatal(err)
	}
	tl, _ = OpenTrust(tr.Registry)
	err = tl.CheckTimestampKey(old, time.Now())
	var d diag.Diagnostic
	if !errors.As(err, &d) || !strings.Contains(d.Message, "已标记为泄露") || !strings.Contains(d.Hint, "-role timestamp") {
		t.Fatalf("the compromised timestamp key: %v", err)
	}
	if _, err := Publish(PublishOptions{Registry: tr.Registry, Out: out, Timestamp: old, Now: time.Now()}); err == nil {
		t.Fatal("published with the compromised timestamp key")
	}
	if err := tl.CheckTimestampKey(newTS, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(PublishOptions{Registry: tr.Registry, Out: out, Timestamp: newTS, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	snap, marks, err := loadSnapshot(t, tr.Registry, out, marks)
	if err != nil {
		t.Fatalf("the verifier refuses the new timestamp key's head: %v", err)
	}
	if o, _ := answer(t, snap, res.Certificates[0].Public.Token); o != "valid" {
		t.Fatalf("after rotation: %s", o)
	}

	// The thief of the old key signs a newer head over the same objects.
	h := *snap.Head
	h.Seq++
	h.SignedAt = time.Now().UTC().Truncate(time.Second)
	b, err := h.Sign(old)
	if err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(t.TempDir(), "forged")
	copyDir(t, out, forged)
	if err := os.WriteFile(filepath.Join(forged, trust.HeadFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadSnapshot(t, tr.Registry, forged, marks); trust.ReasonOf(err) != trust.ReasonHead {
		t.Fatalf("head by the compromised timestamp key: %v (%s)", err, trust.ReasonOf(err))
	}

	// Retiring goes through the same root-signed change for a timestamp
	// key: the publisher refuses it from then on.
	if _, err := SetStatus(tr.Registry, tr.root, newKID, trust.Retired, time.Now()); err != nil {
		t.Fatal(err)
	}
	tl, _ = OpenTrust(tr.Registry)
	if err := tl.CheckTimestampKey(newTS, time.Now().Add(time.Second)); !errors.As(err, &d) || !strings.Contains(d.Message, "已停用") {
		t.Fatalf("the retired timestamp key: %v", err)
	}
	if _, err := Publish(PublishOptions{Registry: tr.Registry, Out: out, Timestamp: newTS, Now: time.Now().Add(time.Second)}); err == nil {
		t.Fatal("published with a retired timestamp key")
	}
}

// TestRenewExpiredList: an expired trust list stops issue and publish
// with a hint that names trust renew; renewing (with the root, only with
// the root) gives a new sequence and expiry over the same keys, and a
// verifier takes it. A list near its expiry is warned about.
func TestRenewExpiredList(t *testing.T) {
	tr := newTrustedRegistry(t, fictionalBatch(0, 1))
	mustIssue(t, tr.Options)
	reg, root, ts, dir := tr.Registry, tr.root, tr.timestamp, t.TempDir()
	// The list is let run out: re-signed to expire a second after.
	if _, err := ChangeList(reg, root, time.Now(), func(l *trust.List) error {
		l.Expires = l.SignedAt.Add(time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	_, err := OpenTrust(reg)
	var d diag.Diagnostic
	if !errors.As(err, &d) || !strings.Contains(d.Message, "过期") || !strings.Contains(d.Hint, "qualbridge trust renew -registry "+reg) {
		t.Fatalf("expired list: %v", err)
	}
	if msg, hint := Explain(err); !strings.HasPrefix(msg, filepath.Join(reg, ListFile)+": ") || hint != d.Hint {
		t.Fatalf("explained as %q / %q", msg, hint)
	}
	out := filepath.Join(dir, "snapshot")
	if _, err := Publish(PublishOptions{Registry: reg, Out: out, Timestamp: ts, Now: time.Now()}); err == nil {
		t.Fatal("published over an expired trust list")
	}

	ds, _ := Check(reg)
	if i := slices.IndexFunc(ds, func(d diag.Diagnostic) bool { return d.Pos.File == ListFile }); i < 0 ||
		ds[i].Severity != diag.Error || !strings.Contains(ds[i].Message, "过期") || !strings.Contains(ds[i].Hint, "trust renew") {
		t.Fatalf("registry check of an expired list:\n%s", listString(ds))
	}

	if _, err := RenewList(reg, testKey("not the root"), time.Now(), 0); err == nil {
		t.Fatal("renewed with another root")
	}
	if _, err := RenewList(reg, root, time.Now(), 400*24*time.Hour); err == nil {
		t.Fatal("renewed for 400 days")
	}
	before := mustRead(t, filepath.Join(reg, ListFile))
	l, err := RenewList(reg, root, time.Now(), 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := OpenTrust(reg)
	if err != nil {
		t.Fatalf("after renew: %v", err)
	}
	if tl.List.Seq != 4 || l.Seq != 4 || tl.List.Expires.Sub(tl.List.SignedAt) != 90*24*time.Hour || len(tl.List.Keys) != 2 {
		t.Fatalf("renewed list: seq %d, lives %s, %d keys", tl.List.Seq, tl.List.Expires.Sub(tl.List.SignedAt), len(tl.List.Keys))
	}
	if string(before) == string(mustRead(t, filepath.Join(reg, ListFile))) {
		t.Fatal("the list file did not change")
	}
	if _, ok := tl.ExpiryWarning(time.Now()); ok {
		t.Error("a list with 90 days left is warned about")
	}
	if d, ok := tl.ExpiryWarning(time.Now().Add(70 * 24 * time.Hour)); !ok || d.Severity != diag.Warning || !strings.Contains(d.Message, "还有 19 天") || !strings.Contains(d.Hint, "trust renew") {
		t.Errorf("20 days before expiry: %+v %v", d, ok)
	}
	if ds, _ := Check(reg); len(ds) > 0 {
		t.Fatalf("registry check after renew:\n%s", listString(ds))
	}
	if _, err := Publish(PublishOptions{Registry: reg, Out: out, Timestamp: ts, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadSnapshot(t, reg, out, trust.Marks{}); err != nil {
		t.Fatalf("verifier after renew: %v", err)
	}
}
