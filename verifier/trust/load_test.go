package trust_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

var (
	issued   = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	signedAt = time.Date(2025, 12, 1, 9, 30, 0, 0, time.UTC)
	now      = time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	lifetime = 7 * 24 * time.Hour
)

func builder(t testing.TB, n int) (*trusttest.Builder, []record.Token) {
	t.Helper()
	b := trusttest.New("")
	var toks []record.Token
	for i := range n {
		tok := trusttest.Token(string(rune('a' + i)))
		c := trusttest.Cert("TEST-00000"+string(rune('1'+i)), trusttest.Holder{Name: "林试明", IDNumber: "80736152", BirthYear: 1990}, issued)
		if _, err := b.Add(tok, c, nil, b.Signing, signedAt); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	return b, toks
}

func publish(t testing.TB, b *trusttest.Builder, dir string, at time.Time) {
	t.Helper()
	if _, err := b.Publish(dir, at, lifetime); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies a snapshot folder, for keeping an old one around.
func copyDir(t testing.TB, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

func load(dir string, pin *trust.Pin, m trust.Marks) (*trust.Snapshot, trust.Marks, error) {
	return trust.Load(dir, pin, m, now, trust.DefaultOptions())
}

func TestLoadGood(t *testing.T) {
	b, toks := builder(t, 3)
	if err := b.Revoke(toks[1], issued.AddDate(0, 1, 0), record.Withdrawn, b.Signing, signedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	publish(t, b, dir, now.Add(-time.Hour))
	s, m, err := load(dir, b.Pin(), trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Records.Len() != 3 || len(s.Cancellations) != 1 || s.Head.Seq != 1 || m.HeadSeq != 1 || m.Revocations != 1 {
		t.Fatalf("records %d, cancellations %d, head %d, marks %+v", s.Records.Len(), len(s.Cancellations), s.Head.Seq, m)
	}
	loc, key, _ := seal.TokenKeys(toks[0])
	i, ok := s.Records.Find(loc)
	if !ok {
		t.Fatal("token's record not found")
	}
	env, err := seal.Open(key, loc, seal.ByToken, s.Records.Generation(i), s.Records.Sealed(i))
	if err != nil {
		t.Fatal(err)
	}
	c, err := record.OpenCertificate(env, s.List.PublicKey(trust.RoleSigning))
	if err != nil || c.Number != "TEST-000001" || c.Locator != loc {
		t.Fatalf("certificate %+v, %v", c, err)
	}
	// Loading the same snapshot again with its own marks is fine.
	if _, _, err := load(dir, b.Pin(), m); err != nil {
		t.Fatalf("reload with marks: %v", err)
	}
}

// TestRefusals: every attack on a snapshot folder refused with its reason.
func TestRefusals(t *testing.T) {
	type attack struct {
		name   string
		reason trust.Reason
		// do changes the snapshot in dir (published once, seq 1, marks m
		// of it) and may return marks to load with.
		do func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks
	}
	rewrite := func(t *testing.T, name string, f func([]byte) []byte) {
		p := filepath.Join(name)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f(bytes.Clone(data)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	attacks := []attack{
		{"another root", trust.ReasonRoot, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			other, _ := builder(t, 3)
			other2 := trusttest.New("-stranger")
			other2.Records = other.Records
			os.RemoveAll(dir)
			publish(t, other2, dir, now.Add(-time.Hour))
			return m
		}},
		{"key added to the trust list", trust.ReasonTrustList, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			// The attacker adds a signing key of their own, re-signing the
			// list with a key that is not the root.
			b.AddKey(trusttest.Key("attacker"), trust.RoleSigning, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
			list, err := b.List.Sign(trusttest.Key("attacker"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(trusttest.Object(t, dir, trusttest.List), list, 0o644)
			return m
		}},
		{"trust list bytes edited", trust.ReasonTrustList, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			rewrite(t, trusttest.Object(t, dir, trusttest.List), func(d []byte) []byte { d[20] ^= 1; return d })
			return m
		}},
		{"lowered head sequence", trust.ReasonRollback, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			old := t.TempDir()
			copyDir(t, dir, old)
			publish(t, b, dir, now.Add(-time.Minute))
			_, m2, err := load(dir, b.Pin(), m)
			if err != nil {
				t.Fatal(err)
			}
			os.RemoveAll(dir)
			copyDir(t, old, dir)
			return m2
		}},
		{"lowered trust list sequence", trust.ReasonRollback, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			m.ListSeq = 2
			return m
		}},
		{"head from the future", trust.ReasonFuture, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			publish(t, b, dir, now.Add(time.Hour))
			return m
		}},
		{"expired head", trust.ReasonExpired, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			publish(t, b, dir, now.Add(-lifetime-time.Second))
			return m
		}},
		{"head beyond the maximum lifetime", trust.ReasonLifetime, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			if _, err := b.Publish(dir, now.Add(-time.Hour), 90*24*time.Hour); err != nil {
				t.Fatal(err)
			}
			return m
		}},
		{"head signed by the signing key", trust.ReasonHead, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			ts := b.Timestamp
			b.Timestamp = b.Signing
			defer func() { b.Timestamp = ts }()
			// Publish itself refuses; forge the head by hand.
			// The forged head names the genuine objects.
			hb0, _ := os.ReadFile(filepath.Join(dir, trust.HeadFile))
			h, err := trust.ParseHead(hb0)
			if err != nil {
				t.Fatal(err)
			}
			h.Seq = 9
			hb, err := h.Sign(b.Signing)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, trust.HeadFile), hb, 0o644)
			return m
		}},
		{"record deleted", trust.ReasonMismatch, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			rewrite(t, trusttest.NewestPack(t, dir), func(d []byte) []byte {
				d[7]-- // one record fewer, and its bytes gone
				return d[:len(d)-trust.ObjectSize]
			})
			return m
		}},
		{"record replaced by an older generation", trust.ReasonMismatch, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			// Generation 1 is kept; generation 2 is published; generation
			// 1's bytes are put back in its place.
			gen1 := bytes.Clone(b.Records[0].Sealed)
			c := trusttest.Cert("TEST-000001", trusttest.Holder{Name: "林试明", IDNumber: "80736152", BirthYear: 1990}, issued)
			c.Generation = 2
			if _, err := b.Add(trusttest.Token("a"), c, nil, b.Signing, signedAt); err != nil {
				t.Fatal(err)
			}
			publish(t, b, dir, now.Add(-time.Minute))
			rewrite(t, trusttest.NewestPack(t, dir), func(d []byte) []byte {
				i := bytes.Index(d, b.Records[0].Sealed)
				copy(d[i-4:], []byte{0, 0, 0, 1})
				copy(d[i:], gen1)
				return d
			})
			return m
		}},
		{"record moved to another locator", trust.ReasonMismatch, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			rewrite(t, trusttest.NewestPack(t, dir), func(d []byte) []byte {
				copy(d[8+trust.ObjectSize+21:8+2*trust.ObjectSize], d[8+21:8+trust.ObjectSize])
				return d
			})
			return m
		}},
		{"revocation list shortened", trust.ReasonMismatch, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			b.Revocations = nil
			os.WriteFile(trusttest.Object(t, dir, trusttest.Revocations), []byte("QBV2\x00\x00\x00\x00"), 0o644)
			return m
		}},
		{"revocation list shortened under a new head", trust.ReasonRevocations, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			// The timestamp key alone (stolen) signs a head over fewer revocations.
			b.Revocations = nil
			publish(t, b, dir, now.Add(-time.Minute))
			return m
		}},
		{"revocation edited", trust.ReasonMismatch, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			rewrite(t, trusttest.Object(t, dir, trusttest.Revocations), func(d []byte) []byte { d[len(d)-70] ^= 1; return d })
			return m
		}},
		{"torn pack", trust.ReasonUnreadable, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			rewrite(t, trusttest.NewestPack(t, dir), func(d []byte) []byte { return d[:len(d)-100] })
			return m
		}},
		{"torn head", trust.ReasonHead, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			rewrite(t, filepath.Join(dir, trust.HeadFile), func(d []byte) []byte { return d[:len(d)-10] })
			return m
		}},
		{"torn revocation list", trust.ReasonMismatch, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			rewrite(t, trusttest.Object(t, dir, trusttest.Revocations), func(d []byte) []byte { return d[:len(d)-3] })
			return m
		}},
		{"revocation list shortened, a signing key newly compromised", trust.ReasonRevocations, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			// Only the compromise of the marked head's key resets the
			// revocation marks; any other is no licence to shorten.
			b.AddKey(trusttest.Key("leaked"), trust.RoleSigning, trust.Compromised, trusttest.NotBefore, trusttest.NotAfter)
			b.List.Seq = 2
			b.Revocations = nil
			publish(t, b, dir, now.Add(-time.Minute))
			return m
		}},
		{"named pipe for the revocation list", trust.ReasonUnreadable, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			// Opening a named pipe blocks until a writer comes: Load must
			// refuse it, not wait (the test would time out).
			name := trusttest.Object(t, dir, trusttest.Revocations)
			os.Remove(name)
			if err := syscall.Mkfifo(name, 0o644); err != nil {
				t.Skipf("no named pipes: %v", err)
			}
			return m
		}},
		{"head naming 2^32-1 revocations over an empty list", trust.ReasonMismatch, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			// Signed with the timestamp key (stolen): Load must refuse it,
			// not allocate for four billion entries and die.
			lb, err := os.ReadFile(trusttest.Object(t, dir, trusttest.List))
			if err != nil {
				t.Fatal(err)
			}
			list, err := trust.OpenList(lb, b.Pin().Root)
			if err != nil {
				t.Fatal(err)
			}
			hb, err := os.ReadFile(filepath.Join(dir, trust.HeadFile))
			if err != nil {
				t.Fatal(err)
			}
			h, err := trust.OpenHead(hb, list)
			if err != nil {
				t.Fatal(err)
			}
			h.Seq, h.Revocations = 99, 1<<32-1
			if hb, err = h.Sign(b.Timestamp); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, trust.HeadFile), hb, 0o644)
			os.WriteFile(trusttest.Object(t, dir, trusttest.Revocations), binary.BigEndian.AppendUint32([]byte("QBV2"), h.Revocations), 0o644)
			return m
		}},
		{"head missing", trust.ReasonUnreadable, func(t *testing.T, b *trusttest.Builder, dir string, m trust.Marks) trust.Marks {
			os.Remove(filepath.Join(dir, trust.HeadFile))
			return m
		}},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			b, toks := builder(t, 3)
			if err := b.Revoke(toks[1], issued.AddDate(0, 1, 0), record.Withdrawn, b.Signing, signedAt.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			publish(t, b, dir, now.Add(-2*time.Hour))
			_, m, err := load(dir, b.Pin(), trust.Marks{})
			if err != nil {
				t.Fatal(err)
			}
			m = a.do(t, b, dir, m)
			_, _, err = load(dir, b.Pin(), m)
			if err == nil {
				t.Fatal("the snapshot loaded")
			}
			if got := trust.ReasonOf(err); got != a.reason {
				t.Fatalf("reason %s, want %s (%v)", got, a.reason, err)
			}
		})
	}
}

// TestCompromisedTimestampKeyResetsMarks: a head far ahead signed by a
// stolen timestamp key does not freeze the verifier once the root marks
// that key compromised and a new timestamp key signs.
func TestCompromisedTimestampKeyResetsMarks(t *testing.T) {
	b, toks := builder(t, 2)
	dir := t.TempDir()
	b.Seq = 1 << 40 // the thief's head, over a revocation the centre never made
	if err := b.Revoke(toks[0], issued, record.Withdrawn, trusttest.Key("thief"), now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	publish(t, b, dir, now.Add(-time.Hour))
	_, m, err := load(dir, b.Pin(), trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}
	old := b.Timestamp
	b.SetStatus(old, trust.Compromised)
	b.Timestamp = trusttest.Key("timestamp-2")
	b.AddKey(b.Timestamp, trust.RoleTimestamp, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
	b.List.Seq = 2
	b.Seq = 5
	b.Revocations = nil // the centre's own list
	publish(t, b, dir, now.Add(-time.Minute))
	s, m2, err := load(dir, b.Pin(), m)
	if err != nil {
		t.Fatalf("new head refused: %v", err)
	}
	if s.Head.Seq != 6 || m2.HeadSeq != 6 || m2.Revocations != 0 {
		t.Fatalf("head %d, marks %+v", s.Head.Seq, m2)
	}
}

// TestRootRotation: a verifier pinned to version 1 follows a rotation,
// and then refuses a snapshot that stops at version 1.
func TestRootRotation(t *testing.T) {
	b, _ := builder(t, 2)
	dir := t.TempDir()
	publish(t, b, dir, now.Add(-time.Hour))
	old := t.TempDir()
	copyDir(t, dir, old)
	_, m, err := load(dir, b.Pin(), trust.Marks{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.RotateRoot(trusttest.Key("root-2")); err != nil {
		t.Fatal(err)
	}
	b.List.Seq = 2
	publish(t, b, dir, now.Add(-time.Minute))
	s, m, err := load(dir, b.Pin(), m)
	if err != nil || s.Root.Version != 2 || m.RootVersion != 2 {
		t.Fatalf("rotation: %v", err)
	}
	if _, _, err := load(old, b.Pin(), m); trust.ReasonOf(err) != trust.ReasonRollback {
		t.Fatalf("old root's snapshot: %v", err)
	}
	// A rotation signed by the new key alone is not a rotation.
	forged := trust.RootSet{Version: 3, SignedAt: now, Threshold: 1, Keys: b.Root.Keys[:1]}
	fb, _ := forged.Sign(trusttest.Key("attacker"))
	os.WriteFile(filepath.Join(dir, trust.RootFile(3)), fb, 0o644)
	if _, _, err := load(dir, b.Pin(), m); trust.ReasonOf(err) != trust.ReasonRoot {
		t.Fatalf("forged rotation: %v", err)
	}
}

func TestMarksRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m0, err := trust.ReadMarks(dir)
	if err != nil || m0.HeadSeq != 0 {
		t.Fatal(m0, err)
	}
	m := trust.Marks{HeadSeq: 7, ListSeq: 2, Revocations: 3, Compromised: []string{"abc"}}
	if err := trust.WriteMarks(dir, m); err != nil {
		t.Fatal(err)
	}
	got, err := trust.ReadMarks(dir)
	if err != nil || got.HeadSeq != 7 || got.Revocations != 3 || len(got.Compromised) != 1 {
		t.Fatal(got, err)
	}
	os.WriteFile(filepath.Join(dir, trust.MarksFile), []byte(`{"head_seq": 7`), 0o600)
	if _, err := trust.ReadMarks(dir); trust.ReasonOf(err) != trust.ReasonState {
		t.Fatalf("torn marks: %v", err)
	}
	var r *trust.Refusal
	if !errors.As(err, &r) && err != nil {
		t.Fatal(err)
	}
}

// TestPublishPrunes: a publish keeps the packs of the new head and of
// the one before (a verifier may be reading it) and removes older ones;
// republishing the same records rewrites nothing.
func TestPublishPrunes(t *testing.T) {
	b, _ := builder(t, 2)
	dir := t.TempDir()
	packs := func() []string {
		des, _ := os.ReadDir(filepath.Join(dir, trust.RecordsDir))
		var out []string
		for _, de := range des {
			out = append(out, de.Name())
		}
		return out
	}
	publish(t, b, dir, now.Add(-3*time.Hour))
	first := packs()
	publish(t, b, dir, now.Add(-2*time.Hour))
	if got := packs(); len(got) != 1 || got[0] != first[0] {
		t.Fatalf("republishing the same records: packs %v, want %v", got, first)
	}
	if _, err := b.Add(trusttest.Token("z"), trusttest.Cert("TEST-9", trusttest.Holder{Name: "测甲乙", IDNumber: "1", BirthYear: 1990}, issued), nil, b.Signing, signedAt); err != nil {
		t.Fatal(err)
	}
	publish(t, b, dir, now.Add(-time.Hour))
	if got := packs(); len(got) != 2 {
		t.Fatalf("after a change: packs %v, want the old and the new", got)
	}
	c := trusttest.Cert("TEST-9", trusttest.Holder{Name: "测甲乙", IDNumber: "1", BirthYear: 1990}, issued)
	c.Generation = 2
	b.Add(trusttest.Token("z"), c, nil, b.Signing, signedAt)
	publish(t, b, dir, now.Add(-time.Minute))
	if got := packs(); len(got) != 2 || slices.Contains(got, first[0]) {
		t.Fatalf("after two changes: packs %v, want the last two heads' only", got)
	}
	if _, _, err := load(dir, b.Pin(), trust.Marks{}); err != nil {
		t.Fatal(err)
	}
}
