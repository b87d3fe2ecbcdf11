package verifier_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// attackFixture is a small snapshot: one valid and one revoked
// certificate (fictional, TEST-ONLY), published at sequence 1.
type attackFixture struct {
	b              *trusttest.Builder
	dir, state     string
	valid, revoked record.Token
	running        *env // the service under attack
}

func newAttackFixture(t *testing.T) *attackFixture {
	t.Helper()
	b := trusttest.New("")
	fx := &attackFixture{b: b, dir: t.TempDir(), state: t.TempDir(), valid: trusttest.Token("a-valid"), revoked: trusttest.Token("a-revoked")}
	for i, tok := range []record.Token{fx.valid, fx.revoked} {
		if _, err := b.Add(tok, trusttest.Cert("TEST-20000"+string(rune('1'+i)), holder, issued), nil, b.Signing, signedAt); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Revoke(fx.revoked, issued.AddDate(0, 1, 0), record.Withdrawn, b.Signing, signedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	fx.publish(t, headAt.Add(-time.Hour))
	return fx
}

func (fx *attackFixture) publish(t *testing.T, at time.Time) {
	t.Helper()
	if _, err := fx.b.Publish(fx.dir, at, lifetime); err != nil {
		t.Fatal(err)
	}
}

// service starts a verifier over the fixture's snapshot and state, as
// after a (re)start, and loads the snapshot once.
func (fx *attackFixture) service(t *testing.T) (*env, error) {
	e := newEnv(t, verifier.Config{}, nil)
	e.rl = verifier.NewReloader(verifier.ReloaderConfig{Dir: fx.dir, StateDir: fx.state, Pin: fx.b.Pin(), Now: func() time.Time { return testNow }}, e.store, e.log, e.m)
	return e, e.rl.Reload("start")
}

func (e *env) outcome(t *testing.T, tok record.Token) string {
	t.Helper()
	res := e.do(httptest.NewRequest("GET", "/api/v1/verify/"+string(tok), nil))
	var a struct{ Outcome string }
	json.NewDecoder(res.Body).Decode(&a)
	return a.Outcome
}

func rewriteFile(t *testing.T, name string, f func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, f(bytes.Clone(data)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAttacks: each attack on the snapshot folder is refused with its
// log line and metric, the old snapshot keeps serving (valid stays
// valid, revoked stays revoked), and after a restart the attacked
// snapshot is still refused: the service answers "cannot verify now",
// never valid.
func TestAttacks(t *testing.T) {
	attacks := []struct {
		name   string
		reason trust.Reason
		do     func(t *testing.T, fx *attackFixture)
	}{
		{"another root's snapshot", trust.ReasonRoot, func(t *testing.T, fx *attackFixture) {
			other := trusttest.New("-other")
			other.Records = fx.b.Records
			os.RemoveAll(fx.dir)
			if _, err := other.Publish(fx.dir, headAt, lifetime); err != nil {
				t.Fatal(err)
			}
		}},
		{"a key added to the trust list", trust.ReasonTrustList, func(t *testing.T, fx *attackFixture) {
			fx.b.AddKey(trusttest.Key("attacker"), trust.RoleSigning, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
			l, err := fx.b.List.Sign(trusttest.Key("attacker"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(trusttest.Object(t, fx.dir, trusttest.List), l, 0o644)
		}},
		{"a lowered sequence", trust.ReasonRollback, func(t *testing.T, fx *attackFixture) {
			old := t.TempDir()
			os.CopyFS(old, os.DirFS(fx.dir))
			fx.publish(t, headAt)
			if err := fx.running.rl.Reload("sequence 2"); err != nil {
				t.Fatal(err)
			}
			os.RemoveAll(fx.dir)
			os.CopyFS(fx.dir, os.DirFS(old))
		}},
		{"a head from the future", trust.ReasonFuture, func(t *testing.T, fx *attackFixture) {
			fx.publish(t, testNow.Add(time.Hour))
		}},
		{"an expired head", trust.ReasonExpired, func(t *testing.T, fx *attackFixture) {
			fx.publish(t, testNow.Add(-lifetime-time.Minute))
		}},
		{"a head beyond the maximum lifetime", trust.ReasonLifetime, func(t *testing.T, fx *attackFixture) {
			if _, err := fx.b.Publish(fx.dir, headAt, 90*24*time.Hour); err != nil {
				t.Fatal(err)
			}
		}},
		{"a head signed by a compromised timestamp key", trust.ReasonHead, func(t *testing.T, fx *attackFixture) {
			// The root has marked the timestamp key compromised in a new
			// trust list; the thief's head, signed with it, is refused.
			fx.b.SetStatus(fx.b.Timestamp, trust.Compromised)
			fx.b.List.Seq = 2
			l, _ := fx.b.List.Sign(fx.b.RootKeys...)
			h := &trust.Head{Seq: 99, SignedAt: headAt, Expires: headAt.Add(time.Hour), RootVersion: 1,
				RootHash: trust.Hash(fx.b.Roots[0]), ListSeq: 2, ListHash: trust.Hash(l), RevChain: trust.Chain(nil)[0]}
			hb, _ := h.Sign(fx.b.Timestamp)
			os.WriteFile(filepath.Join(fx.dir, filepath.FromSlash(trust.ListFile(h.ListHash))), l, 0o644)
			os.WriteFile(filepath.Join(fx.dir, filepath.FromSlash(trust.RevocationsFile(h.RevChain))), []byte("QBV2\x00\x00\x00\x00"), 0o644)
			os.WriteFile(filepath.Join(fx.dir, trust.HeadFile), hb, 0o644)
		}},
		{"a record deleted", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, trusttest.NewestPack(t, fx.dir), func(d []byte) []byte { d[7]--; return d[:len(d)-trust.ObjectSize] })
		}},
		{"a record replaced by an older generation", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			gen1 := bytes.Clone(fx.b.Records[0].Sealed)
			c := trusttest.Cert("TEST-200001", holder, issued)
			c.Generation = 2
			if _, err := fx.b.Add(fx.valid, c, nil, fx.b.Signing, signedAt); err != nil {
				t.Fatal(err)
			}
			fx.publish(t, headAt)
			rewriteFile(t, trusttest.NewestPack(t, fx.dir), func(d []byte) []byte {
				i := bytes.Index(d, fx.b.Records[0].Sealed)
				copy(d[i-4:], []byte{0, 0, 0, 1})
				copy(d[i:], gen1)
				return d
			})
		}},
		{"a record moved to another locator", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, trusttest.NewestPack(t, fx.dir), func(d []byte) []byte {
				copy(d[8+trust.ObjectSize+21:8+2*trust.ObjectSize], d[8+21:8+trust.ObjectSize])
				return d
			})
		}},
		{"the revocation list shortened", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			os.WriteFile(trusttest.Object(t, fx.dir, trusttest.Revocations), []byte("QBV2\x00\x00\x00\x00"), 0o644)
		}},
		{"the revocation list shortened under a new head", trust.ReasonRevocations, func(t *testing.T, fx *attackFixture) {
			fx.b.Revocations = nil
			fx.publish(t, headAt)
		}},
		{"the revocation list edited", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, trusttest.Object(t, fx.dir, trusttest.Revocations), func(d []byte) []byte { d[len(d)-70] ^= 1; return d })
		}},
		{"a torn pack", trust.ReasonUnreadable, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, trusttest.NewestPack(t, fx.dir), func(d []byte) []byte { return d[:len(d)-100] })
		}},
		{"a torn head", trust.ReasonHead, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, filepath.Join(fx.dir, trust.HeadFile), func(d []byte) []byte { return d[:len(d)-10] })
		}},
		{"a torn trust list", trust.ReasonTrustList, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, trusttest.Object(t, fx.dir, trusttest.List), func(d []byte) []byte { return d[:len(d)/2] })
		}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			fx := newAttackFixture(t)
			e, err := fx.service(t)
			if err != nil {
				t.Fatal(err)
			}
			fx.running = e
			a.do(t, fx)
			before := counter(t, e.reg, "verifier_snapshot_refused_total")
			err = e.rl.Reload("test")
			if got := trust.ReasonOf(err); err == nil || got != a.reason {
				t.Fatalf("reload: %v (reason %s), want refused for %s", err, got, a.reason)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, `"msg":"snapshot refused, previous snapshot kept"`) || !strings.Contains(logs, `"reason":"`+string(a.reason)+`"`) {
				t.Errorf("no refusal log line with reason %s:\n%s", a.reason, logs)
			}
			if n := counter(t, e.reg, "verifier_snapshot_refused_total") - before; n != 1 {
				t.Errorf("refusals counted: %v, want 1", n)
			}
			if got := e.outcome(t, fx.valid); got != "valid" {
				t.Errorf("the old snapshot no longer serves: valid token answers %s", got)
			}
			if got := e.outcome(t, fx.revoked); got != "revoked" {
				t.Errorf("the old snapshot no longer serves: revoked token answers %s", got)
			}

			// After a restart, with the marks on disk: still refused, and
			// the last snapshot accepted, kept in the state folder, serves.
			e2, err := fx.service(t)
			if err == nil {
				t.Fatalf("after a restart the attacked snapshot loaded")
			}
			if got := e2.outcome(t, fx.valid); got != "valid" {
				t.Errorf("after a restart: %s, want valid (the kept snapshot)", got)
			}
			if got := e2.outcome(t, fx.revoked); got != "revoked" {
				t.Errorf("after a restart, the revoked certificate: %s, want revoked (the kept snapshot)", got)
			}
		})
	}
}

// TestPrivacy: a snapshot's bytes hold no token, no name in any form,
// no number and no birth year, and every sealed record has one size.
func TestPrivacy(t *testing.T) {
	fx := newFixture(t)
	var all []byte
	filepath.Walk(fx.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			all = append(all, b...)
		}
		return nil
	})
	secrets := []string{"林试明", "林*明", "80736152", "****6152", "6152", "TEST-0000", "1990"}
	for _, toks := range fx.tokens {
		for _, tok := range toks {
			secrets = append(secrets, string(tok), strings.ToLower(string(tok)))
		}
	}
	for _, s := range secrets {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("the snapshot's bytes hold %q", s)
		}
	}
	sizes := map[int]int{}
	for _, o := range fx.b.Records {
		sizes[len(o.Sealed)]++
	}
	if len(sizes) != 1 {
		t.Errorf("sealed records of %d sizes: %v", len(sizes), sizes)
	}
}

// TestFreshnessAlerts: the trust list's expiry is logged at 30, 14 and 7
// days (each tier once), and a head near or past its expiry is logged.
func TestFreshnessAlerts(t *testing.T) {
	b := trusttest.New("")
	b.List.Expires = testNow.AddDate(0, 0, 20)
	if _, err := b.Add(trusttest.Token("f"), trusttest.Cert("TEST-300001", holder, issued), nil, b.Signing, signedAt); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := b.Publish(dir, headAt, 2*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	clock := testNow
	e := newEnv(t, verifier.Config{}, nil)
	e.rl = verifier.NewReloader(verifier.ReloaderConfig{Dir: dir, StateDir: t.TempDir(), Pin: b.Pin(), Now: func() time.Time { return clock }}, e.store, e.log, e.m)
	if err := e.rl.Reload("start"); err != nil {
		t.Fatal(err)
	}
	alerts := func() int {
		return strings.Count(e.logs.String(), `"msg":"trust list expires soon: have the root sign a new one"`)
	}
	if alerts() != 1 || !strings.Contains(e.logs.String(), `"alert_days":30`) {
		t.Fatalf("no 30-day alert:\n%s", e.logs.String())
	}
	e.rl.CheckFreshness()
	if alerts() != 1 {
		t.Errorf("the 30-day alert repeated")
	}
	clock = testNow.AddDate(0, 0, 7) // 13 days left; and the head has expired
	e.rl.CheckFreshness()
	if alerts() != 2 || !strings.Contains(e.logs.String(), `"alert_days":14`) {
		t.Errorf("no 14-day alert:\n%s", e.logs.String())
	}
	if !strings.Contains(e.logs.String(), `"msg":"head expired: answering 503 cannot verify now until a fresh head is published"`) {
		t.Errorf("an expired head is not logged")
	}
	clock = testNow.AddDate(0, 0, 14) // 6 days left
	e.rl.CheckFreshness()
	if alerts() != 3 || !strings.Contains(e.logs.String(), `"alert_days":7`) {
		t.Errorf("no 7-day alert")
	}
}

// TestReissued: a certificate first signed by a key now compromised and
// re-signed at generation 2 by an active key answers valid, with the
// new generation and key; its printed QR code (the same token) works.
func TestReissued(t *testing.T) {
	fx := newFixture(t)
	e := newEnv(t, verifier.Config{}, fx)
	res := e.do(httptest.NewRequest("GET", "/api/v1/verify/"+string(trusttest.Token("reissued")), nil))
	var a struct {
		Outcome     string
		Certificate struct{ Number, Generation, KID string }
	}
	json.NewDecoder(res.Body).Decode(&a)
	if a.Outcome != "valid" || a.Certificate.Generation != "2" || a.Certificate.KID != record.KeyID(fx.b.Signing.Public().(ed25519.PublicKey)) {
		t.Errorf("reissued: %+v", a)
	}
}
