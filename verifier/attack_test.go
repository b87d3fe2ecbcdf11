package verifier_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
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

// accept has the running verifier load the snapshot as it now is.
func (fx *attackFixture) accept(t *testing.T, why string) {
	t.Helper()
	if err := reload(t, fx.running.rl, why); err != nil {
		t.Fatalf("the centre's own snapshot (%s) was refused: %v", why, err)
	}
}

// refusals is verifier_snapshot_refused_total{reason}.
func refusals(t *testing.T, e *env, reason trust.Reason) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "verifier_snapshot_refused_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == string(reason) {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// service starts a verifier over the fixture's snapshot and state, as
// after a (re)start, and loads the snapshot once.
func (fx *attackFixture) service(t *testing.T) (*env, error) {
	e := newEnv(t, verifier.Config{}, nil)
	e.rl = verifier.NewReloader(verifier.ReloaderConfig{Dir: fx.dir, StateDir: fx.state, Pin: fx.b.Pin(), Now: func() time.Time { return testNow }}, e.store, e.log, e.m)
	return e, reload(t, e.rl, "start")
}

func (e *env) outcome(t *testing.T, tok record.Token) string {
	t.Helper()
	res := e.do(httptest.NewRequest("GET", "/api/v1/verify/"+string(tok), nil))
	var a struct{ Outcome string }
	json.NewDecoder(res.Body).Decode(&a)
	return a.Outcome
}

// The files of a snapshot folder that attacks rewrite, found in this
// one place: a change of the folder's layout changes only snapshotFile.
type snapFile int

const (
	headFile snapFile = iota
	listFile
	revocationsFile
	newestPack
	pinnedRoot  // root set version 1
	rotatedRoot // root set version 2
)

func snapshotFile(t *testing.T, dir string, f snapFile) string {
	t.Helper()
	switch f {
	case headFile:
		return filepath.Join(dir, trust.HeadFile)
	case listFile:
		return trusttest.Object(t, dir, trusttest.List)
	case revocationsFile:
		return trusttest.Object(t, dir, trusttest.Revocations)
	case newestPack:
		return trusttest.NewestPack(t, dir)
	case pinnedRoot:
		return filepath.Join(dir, trust.RootFile(1))
	case rotatedRoot:
		return filepath.Join(dir, trust.RootFile(2))
	}
	t.Fatalf("no snapshot file %d", f)
	return ""
}

// copyNew copies the files of from that to lacks (a snapshot's objects
// are named by their contents, so those it has are the same).
func copyNew(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if _, err := os.Stat(dst); err == nil {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mkfifo puts a named pipe in place of name: a file whose open blocks
// until a writer comes, unless the reader takes care.
func mkfifo(t *testing.T, name string) {
	t.Helper()
	os.Remove(name)
	if err := syscall.Mkfifo(name, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
}

// reload reloads within a few seconds, or fails t: a reload that hangs
// freezes the verifier (no new revocation ever reaches it).
func reload(t *testing.T, rl *verifier.Reloader, why string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- rl.Reload(why) }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("reload (%s) hangs", why)
		return nil
	}
}

func copySnapshot(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func putBack(t *testing.T, old, dir string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	copySnapshot(t, old, dir)
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
			writeFile(t, snapshotFile(t, fx.dir, listFile), l)
		}},
		{"a lowered head sequence (an older snapshot put back)", trust.ReasonRollback, func(t *testing.T, fx *attackFixture) {
			old := t.TempDir()
			copySnapshot(t, fx.dir, old)
			fx.publish(t, headAt)
			fx.accept(t, "head 2")
			putBack(t, old, fx.dir)
		}},
		{"another head at the same sequence", trust.ReasonRollback, func(t *testing.T, fx *attackFixture) {
			// The timestamp key (stolen) signs head 1 again, over other
			// data, elsewhere (a publisher raises the sequence above the
			// head in place), and the attacker copies it over.
			fx.b.Seq--
			fx.b.Revocations = nil
			other := t.TempDir()
			if _, err := fx.b.Publish(other, headAt, lifetime); err != nil {
				t.Fatal(err)
			}
			copyNew(t, other, fx.dir)
			hb, err := os.ReadFile(filepath.Join(other, trust.HeadFile))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, snapshotFile(t, fx.dir, headFile), hb)
		}},
		{"a lowered trust list sequence under a new head", trust.ReasonRollback, func(t *testing.T, fx *attackFixture) {
			// The root signs trust list 2; the timestamp key (stolen)
			// signs a newer head over trust list 1, which is still
			// root-signed and unexpired: the way to bring back a key
			// that list 2 marks compromised.
			list1 := fx.b.List
			list1.Keys = slices.Clone(list1.Keys)
			fx.b.AddKey(trusttest.Key("timestamp-2"), trust.RoleTimestamp, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
			fx.b.List.Seq = 2
			fx.publish(t, headAt)
			fx.accept(t, "trust list 2")
			fx.b.List = list1
			fx.publish(t, headAt.Add(time.Minute))
		}},
		{"a lowered root version under a new head", trust.ReasonRollback, func(t *testing.T, fx *attackFixture) {
			// The root rotates; the timestamp key (stolen) signs a newer
			// head over root set 1 and its trust list, root set 2 removed.
			roots, keys, list1 := fx.b.Roots, fx.b.RootKeys, fx.b.List
			if err := fx.b.RotateRoot(trusttest.Key("root-2")); err != nil {
				t.Fatal(err)
			}
			fx.b.List.Seq = 2
			fx.publish(t, headAt)
			fx.accept(t, "root 2")
			fx.b.Roots, fx.b.RootKeys, fx.b.List = roots, keys, list1
			fx.publish(t, headAt.Add(time.Minute))
			os.Remove(snapshotFile(t, fx.dir, rotatedRoot))
		}},
		{"an expired trust list", trust.ReasonExpired, func(t *testing.T, fx *attackFixture) {
			// A snapshot frozen past its trust list's expiry (the head
			// still fresh: the timestamp key kept signing).
			fx.b.List.Seq, fx.b.List.Expires = 2, testNow.Add(-time.Minute)
			fx.publish(t, headAt)
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
			rewriteFile(t, snapshotFile(t, fx.dir, newestPack), func(d []byte) []byte { d[7]--; return d[:len(d)-trust.ObjectSize] })
		}},
		{"a record replaced by an older generation", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			gen1 := bytes.Clone(fx.b.Records[0].Sealed)
			c := trusttest.Cert("TEST-200001", holder, issued)
			c.Generation = 2
			if _, err := fx.b.Add(fx.valid, c, nil, fx.b.Signing, signedAt); err != nil {
				t.Fatal(err)
			}
			fx.publish(t, headAt)
			rewriteFile(t, snapshotFile(t, fx.dir, newestPack), func(d []byte) []byte {
				i := bytes.Index(d, fx.b.Records[0].Sealed)
				copy(d[i-4:], []byte{0, 0, 0, 1})
				copy(d[i:], gen1)
				return d
			})
		}},
		{"a record moved to another locator", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, snapshotFile(t, fx.dir, newestPack), func(d []byte) []byte {
				copy(d[8+trust.ObjectSize+21:8+2*trust.ObjectSize], d[8+21:8+trust.ObjectSize])
				return d
			})
		}},
		{"the revocation list shortened", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			writeFile(t, snapshotFile(t, fx.dir, revocationsFile), []byte("QBV2\x00\x00\x00\x00"))
		}},
		{"the revocation list shortened under a new head", trust.ReasonRevocations, func(t *testing.T, fx *attackFixture) {
			fx.b.Revocations = nil
			fx.publish(t, headAt)
		}},
		{"the revocation list edited", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, snapshotFile(t, fx.dir, revocationsFile), func(d []byte) []byte { d[len(d)-70] ^= 1; return d })
		}},
		{"a torn pack", trust.ReasonUnreadable, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, snapshotFile(t, fx.dir, newestPack), func(d []byte) []byte { return d[:len(d)-100] })
		}},
		{"a torn head", trust.ReasonHead, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, snapshotFile(t, fx.dir, headFile), func(d []byte) []byte { return d[:len(d)-10] })
		}},
		{"a torn trust list", trust.ReasonTrustList, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, snapshotFile(t, fx.dir, listFile), func(d []byte) []byte { return d[:len(d)/2] })
		}},
		{"a record mixed in", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			// A record of another snapshot (here: a copy of the first,
			// under another locator) appended, the pack's count raised.
			rewriteFile(t, snapshotFile(t, fx.dir, newestPack), func(d []byte) []byte {
				extra := bytes.Clone(d[8 : 8+trust.ObjectSize])
				extra[0] ^= 0xff
				d[7]++
				return append(d, extra...)
			})
		}},
		{"the revocation count lowered, a signing key newly compromised", trust.ReasonRevocations, func(t *testing.T, fx *attackFixture) {
			// The root marks some signing key compromised in trust list
			// 2 (public, in every snapshot); the timestamp key (stolen,
			// not compromised) signs a head over that list and no
			// revocations. Only the compromise of the key that signed
			// the marked head may restart the revocation marks.
			fx.b.AddKey(trusttest.Key("leaked"), trust.RoleSigning, trust.Compromised, trusttest.NotBefore, trusttest.NotAfter)
			fx.b.List.Seq = 2
			fx.b.Revocations = nil
			fx.publish(t, headAt)
		}},
		{"a torn revocation list", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, snapshotFile(t, fx.dir, revocationsFile), func(d []byte) []byte { return d[:len(d)-3] })
		}},
		{"a torn root set", trust.ReasonRoot, func(t *testing.T, fx *attackFixture) {
			rewriteFile(t, snapshotFile(t, fx.dir, pinnedRoot), func(d []byte) []byte { return d[:len(d)-1] })
		}},
		{"the head missing", trust.ReasonUnreadable, func(t *testing.T, fx *attackFixture) {
			os.Remove(snapshotFile(t, fx.dir, headFile))
		}},
		{"a head naming four billion revocations", trust.ReasonMismatch, func(t *testing.T, fx *attackFixture) {
			// Signed by the timestamp key (stolen), over a list whose
			// header says as much: refused, not allocated for (which
			// killed the process, at every restart).
			lb, err := os.ReadFile(snapshotFile(t, fx.dir, listFile))
			if err != nil {
				t.Fatal(err)
			}
			list, err := trust.OpenList(lb, fx.b.Pin().Root)
			if err != nil {
				t.Fatal(err)
			}
			hb, err := os.ReadFile(snapshotFile(t, fx.dir, headFile))
			if err != nil {
				t.Fatal(err)
			}
			h, err := trust.OpenHead(hb, list)
			if err != nil {
				t.Fatal(err)
			}
			h.Seq, h.Revocations = 2, 1<<32-1
			if hb, err = h.Sign(fx.b.Timestamp); err != nil {
				t.Fatal(err)
			}
			writeFile(t, snapshotFile(t, fx.dir, revocationsFile), []byte("QBV2\xff\xff\xff\xff"))
			writeFile(t, snapshotFile(t, fx.dir, headFile), hb)
		}},
		{"a named pipe for the head", trust.ReasonUnreadable, func(t *testing.T, fx *attackFixture) {
			mkfifo(t, snapshotFile(t, fx.dir, headFile))
		}},
		{"a named pipe for the revocation list", trust.ReasonUnreadable, func(t *testing.T, fx *attackFixture) {
			mkfifo(t, snapshotFile(t, fx.dir, revocationsFile))
		}},
		{"a named pipe for a pack", trust.ReasonUnreadable, func(t *testing.T, fx *attackFixture) {
			mkfifo(t, snapshotFile(t, fx.dir, newestPack))
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
			err = reload(t, e.rl, "test")
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
			if n := refusals(t, e, a.reason); n != 1 {
				t.Errorf("verifier_snapshot_refused_total{reason=%q} = %v, want 1", a.reason, n)
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
			if got := trust.ReasonOf(err); err == nil || got != a.reason {
				t.Fatalf("after a restart: %v (reason %s), want refused for %s", err, got, a.reason)
			}
			if n := refusals(t, e2, a.reason); n != 1 {
				t.Errorf("after a restart, refusals for %s counted: %v, want 1", a.reason, n)
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
	// The holder in every form, the numbers, the qualification. (The
	// issuer's name is public: the trust list names it for each key.)
	secrets := []string{"林试明", "林*明", "80736152", "****6152", "6152", "TEST-0000", "1990",
		"照顾服务员", "养老护理员", "4-10-01-05", "四级", "test-qualification"}
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
		return strings.Count(e.logs.String(), `"msg":"trust list expires soon: have the root sign a new one (qualbridge trust renew)"`)
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

// TestOldGenerationRefused: after a reissue, the old generation (signed
// by the key now compromised) never answers valid, even put back by
// someone holding the token and the timestamp key (who can seal and
// publish, but not sign): sealed at the new generation it is not
// genuine (its signed generation differs), at its own it is key
// compromised.
func TestOldGenerationRefused(t *testing.T) {
	b := trusttest.New("")
	old := trusttest.Key("old signing")
	b.AddKey(old, trust.RoleSigning, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
	tok := trusttest.Token("reissued")
	loc, key, err := seal.TokenKeys(tok)
	if err != nil {
		t.Fatal(err)
	}
	gen1, err := b.Add(tok, trusttest.Cert("TEST-400001", holder, issued), nil, old, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	b.SetStatus(old, trust.Compromised)
	c := trusttest.Cert("TEST-400001", holder, issued)
	c.Generation = 2
	if _, err := b.Add(tok, c, nil, b.Signing, signedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	serve := func() string {
		dir := t.TempDir()
		if _, err := b.Publish(dir, headAt, lifetime); err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, verifier.Config{}, &fixture{dir: dir, pin: b.Pin()})
		return e.outcome(t, tok)
	}
	if got := serve(); got != "valid" {
		t.Fatalf("the reissued certificate: %s, want valid", got)
	}
	for _, tt := range []struct {
		gen  uint32
		want string
	}{{2, "not-genuine"}, {1, "key-compromised"}} {
		if err := b.AddSealed(loc, key, seal.ByToken, tt.gen, gen1); err != nil {
			t.Fatal(err)
		}
		if got := serve(); got != tt.want {
			t.Errorf("generation 1's envelope sealed at generation %d: %s, want %s", tt.gen, got, tt.want)
		}
	}
}

// TestCompromiseResetsMarks: a thief of the timestamp key signs a head
// far ahead, which verifiers accept (the key is genuine until the root
// says otherwise). Once the root marks the key compromised and a new
// timestamp key signs, the verifier follows the centre again, also after
// a restart; the thief's snapshot put back stays refused.
func TestCompromiseResetsMarks(t *testing.T) {
	fx := newAttackFixture(t)
	thief := t.TempDir()
	fx.b.Seq = 1 << 40
	fx.publish(t, headAt.Add(-30*time.Minute))
	copySnapshot(t, fx.dir, thief)
	e, err := fx.service(t)
	if err != nil {
		t.Fatal(err)
	}
	fx.running = e
	fx.b.SetStatus(fx.b.Timestamp, trust.Compromised)
	fx.b.Timestamp = trusttest.Key("timestamp-2")
	fx.b.AddKey(fx.b.Timestamp, trust.RoleTimestamp, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
	fx.b.List.Seq = 2
	fx.b.Seq = 1
	fx.publish(t, headAt)
	fx.accept(t, "after the compromise")
	if got := e.store.Current().Head().Seq; got != 2 {
		t.Fatalf("head %d in force, want the centre's 2", got)
	}
	e2, err := fx.service(t)
	if err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	if got := e2.outcome(t, fx.revoked); got != "revoked" {
		t.Errorf("after a restart: %s, want revoked", got)
	}
	putBack(t, thief, fx.dir)
	if err := reload(t, e2.rl, "the thief's snapshot"); trust.ReasonOf(err) != trust.ReasonRollback {
		t.Errorf("the thief's snapshot put back: %v, want refused for rollback", err)
	}
}

// TestMarksTorn: a verifier whose high-water marks cannot be read
// refuses every snapshot (reason state) and answers "cannot verify now",
// rather than forget what it has seen.
func TestMarksTorn(t *testing.T) {
	fx := newAttackFixture(t)
	if _, err := fx.service(t); err != nil {
		t.Fatal(err)
	}
	rewriteFile(t, filepath.Join(fx.state, trust.MarksFile), func(d []byte) []byte { return d[:len(d)/2] })
	e, err := fx.service(t)
	if trust.ReasonOf(err) != trust.ReasonState {
		t.Fatalf("with torn marks: %v, want refused for state", err)
	}
	if n := refusals(t, e, trust.ReasonState); n != 1 {
		t.Errorf("refusals for state: %v", n)
	}
	if got := e.outcome(t, fx.valid); got != "unavailable" {
		t.Errorf("with torn marks the valid certificate answers %s, want unavailable", got)
	}
}

// TestLookupNeedsPepper: someone holding the snapshot and a holder's
// whole triple (number, name, document number) but not the pepper finds
// no lookup copy: the locator derived without it, or with another, is
// none of the snapshot's; and a verifier without a pepper answers 503
// to every lookup rather than guess.
func TestLookupNeedsPepper(t *testing.T) {
	fx := newFixture(t)
	s, _, err := trust.Load(fx.dir, fx.pin, trust.Marks{}, testNow, trust.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	l, err := seal.Normalize("TEST-000001", holder.Name, holder.IDNumber)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		pepper seal.Pepper
		found  bool
	}{
		{"the pepper", trusttest.Pepper(), true},
		{"no pepper (zero)", seal.Pepper{}, false},
		{"another pepper", seal.Pepper{1}, false},
	} {
		loc, _, err := seal.LookupKeys(l, tt.pepper, seal.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		if _, found := s.Records.Find(loc); found != tt.found {
			t.Errorf("with %s the lookup copy is found: %v, want %v", tt.name, found, tt.found)
		}
	}
	e := newEnv(t, verifier.Config{}, fx)
	h, err := verifier.NewServer(e.log, verifier.Config{Now: func() time.Time { return testNow }}, e.store, e.m)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	if res := postLookup(e, "TEST-000001", holder.Name, holder.IDNumber, ""); res.StatusCode != 503 {
		t.Errorf("a lookup on a verifier without the pepper: %d, want 503", res.StatusCode)
	}
}
