package verifier

import (
	"hash/maphash"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/registrytest"
)

// memoFixture is a registry of fictional (TEST-ONLY) holders: an
// ordinary one, one whose masked name is too long for a memo record, one
// with an expiry date and one revoked.
type memoFixture struct {
	snap                        *Snapshot
	plain, long, expiring, gone record.Entry
	longName                    string
}

func newMemoFixture(t *testing.T) *memoFixture {
	t.Helper()
	dir := t.TempDir()
	key := registrytest.Key("memo")
	from, until := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := registrytest.WriteTrust(dir, registrytest.Trusted(key, from, until, record.KeyActive)); err != nil {
		t.Fatal(err)
	}
	issued, signed := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	fx := &memoFixture{longName: "测" + strings.Repeat("长", 58) + "名"}
	mk := func(label, number string, h registrytest.Holder, mod func(*record.Public)) record.Entry {
		p, err := registrytest.Public(registrytest.Token(label), number, h, issued)
		if err != nil {
			t.Fatal(err)
		}
		if mod != nil {
			mod(p)
		}
		e, err := registrytest.Sign(key, p, signed)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	long := registrytest.Synthetic(2)
	long.Name = fx.longName
	fx.plain = mk("plain", "TEST-100001", registrytest.Synthetic(1), nil)
	fx.long = mk("long", "TEST-100002", long, nil)
	fx.expiring = mk("expiring", "TEST-100003", registrytest.Synthetic(3), func(p *record.Public) {
		p.ValidUntil = time.Date(2030, 6, 30, 0, 0, 0, 0, time.UTC)
		p.IDType, p.IDMasked = record.Residence, "****0017"
	})
	fx.gone = mk("gone", "TEST-100004", registrytest.Synthetic(4), nil)
	if _, err := record.WriteBatch(dir, []record.Entry{fx.plain, fx.long, fx.expiring, fx.gone}, []byte(registrytest.Placeholder)); err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Revoke(dir, key, fx.gone, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), record.Superseded, signed.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSnapshot(os.DirFS(dir), signed)
	if err != nil {
		t.Fatal(err)
	}
	fx.snap = s
	return fx
}

// TestMemoisedVerdictIsTheVerifiedOne checks that the answer built from
// the memo is the answer of the verified record, field for field, and
// that a record too long for the memo is verified every time rather
// than shown cut.
func TestMemoisedVerdictIsTheVerifiedOne(t *testing.T) {
	fx := newMemoFixture(t)
	s := fx.snap
	for _, tt := range []struct {
		e       record.Entry
		outcome Outcome
		memo    bool
	}{
		{fx.plain, Valid, true},
		{fx.expiring, Valid, true},
		{fx.gone, Revoked, true},
		{fx.long, Valid, false},
	} {
		first, fresh := s.check(tt.e.Token)
		if !fresh || first.outcome != tt.outcome {
			t.Fatalf("%s: first check: %s, fresh %v; want %s, fresh", tt.e.Number, first.outcome, fresh, tt.outcome)
		}
		second, fresh := s.check(tt.e.Token)
		if fresh == tt.memo {
			t.Errorf("%s: second check paid a signature check: %v, want %v", tt.e.Number, fresh, !tt.memo)
		}
		if second.outcome != tt.outcome || second.number != tt.e.Number || second.token != tt.e.Token {
			t.Errorf("%s: memoised verdict %s %q %q", tt.e.Number, second.outcome, second.number, second.token)
		}
		if *second.cert != *first.cert || *second.shared != *first.shared {
			t.Errorf("%s: memoised certificate differs:\n%+v\n%+v", tt.e.Number, *second.cert, *first.cert)
		}
		if (second.rev != nil) != (tt.outcome == Revoked) {
			t.Errorf("%s: revocation %v", tt.e.Number, second.rev)
		}
	}
	v, _ := s.check(fx.long.Token)
	if want := record.MaskName(fx.longName); v.cert.holder != want {
		t.Errorf("long name shown as %q, want %q", v.cert.holder, want)
	}
	v, _ = s.check(fx.expiring.Token)
	if got := v.cert.validUntil; !got.Equal(time.Date(2030, 6, 30, 0, 0, 0, 0, time.UTC)) || v.cert.idType != record.Residence || v.cert.idMasked != "****0017" {
		t.Errorf("expiring certificate memoised as %v %s %s", got, v.cert.idType, v.cert.idMasked)
	}
	if v, _ := s.check(record.Token(string(fx.plain.Token) + "A")); v.outcome != Unknown {
		t.Errorf("a token with its first 32 characters registered: %s, want unknown", v.outcome)
	}
}

// TestLookupNumberCollision follows a number whose hash another number
// already had at load, and a number that only shares a hash with one.
func TestLookupNumberCollision(t *testing.T) {
	fx := newMemoFixture(t)
	s := fx.snap
	name := registrytest.Synthetic(1).Name
	i, ok := s.byNumber(fx.plain.Number)
	if !ok {
		t.Fatal("number not found")
	}
	h := maphash.String(s.numSeed, fx.plain.Number)
	delete(s.byNum, h)
	s.numMore = map[string]uint32{fx.plain.Number: i}
	if v, _ := s.lookup(fx.plain.Number, name); v.outcome != Valid {
		t.Errorf("number kept aside at load: %s, want valid", v.outcome)
	}
	// Another entry's number now answers to this hash.
	s.byNum[h] = i + 1
	if v, _ := s.lookup(fx.plain.Number, name); v.outcome != Valid {
		t.Errorf("hash taken by another number: %s, want valid", v.outcome)
	}
	delete(s.numMore, fx.plain.Number)
	if v, _ := s.lookup(fx.plain.Number, name); v.outcome != Unknown {
		t.Errorf("a number sharing only a hash: %s, want unknown", v.outcome)
	}
}

// TestConcurrentFirstChecks has many requests verify one token at once:
// each gets the right verdict and the memo ends up holding it (run with
// -race).
func TestConcurrentFirstChecks(t *testing.T) {
	fx := newMemoFixture(t)
	s := fx.snap
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for _, e := range []record.Entry{fx.plain, fx.gone, fx.long} {
				if v, _ := s.check(e.Token); v.cert == nil || v.number != e.Number {
					t.Errorf("%s: %s %q", e.Number, v.outcome, v.number)
				}
			}
		})
	}
	wg.Wait()
	if v, fresh := s.check(fx.plain.Token); fresh || v.outcome != Valid {
		t.Errorf("after concurrent checks: %s, fresh %v", v.outcome, fresh)
	}
}
