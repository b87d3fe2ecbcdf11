package verifier

import (
	"sync"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

var (
	memoIssued = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	memoSigned = time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	memoNow    = time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
)

// memoSnapshot publishes b and loads it, lending old's memo.
func memoSnapshot(t *testing.T, b *trusttest.Builder, old *Snapshot) *Snapshot {
	t.Helper()
	dir := t.TempDir()
	if _, err := b.Publish(dir, memoNow.Add(-time.Hour), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	ts, _, err := trust.Load(dir, b.Pin(), trust.Marks{}, memoNow, trust.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return NewSnapshot(ts, old, memoNow)
}

// TestMemo: a record's signature is checked once; the memo is carried
// over a reload for unchanged sealed bytes only, and holds nothing of the
// record (the second answer is decoded from the bytes again).
func TestMemo(t *testing.T) {
	b := trusttest.New("memo")
	h := trusttest.Holder{Name: "测甲乙", IDNumber: "90000001", BirthYear: 1980}
	plain, changed := trusttest.Token("plain"), trusttest.Token("changed")
	for _, tok := range []record.Token{plain, changed} {
		if _, err := b.Add(tok, trusttest.Cert("TEST-1"+string(tok[:3]), h, memoIssued), nil, b.Signing, memoSigned); err != nil {
			t.Fatal(err)
		}
	}
	s := memoSnapshot(t, b, nil)
	day := today(memoNow)
	for round, wantFresh := range []bool{true, false} {
		v, fresh := s.check(plain, day)
		if v.outcome != Valid || fresh != wantFresh || v.cert.HolderMasked != "测*乙" {
			t.Fatalf("round %d: %s fresh %v %+v", round, v.outcome, fresh, v.cert)
		}
	}
	s.check(changed, day)
	// Re-sign one record (new sealed bytes); reload.
	c := trusttest.Cert("TEST-1"+string(changed[:3]), h, memoIssued)
	c.Generation = 2
	if _, err := b.Add(changed, c, nil, b.Signing, memoSigned); err != nil {
		t.Fatal(err)
	}
	s2 := memoSnapshot(t, b, s)
	if _, fresh := s2.check(plain, day); fresh {
		t.Error("an unchanged record was checked again after a reload")
	}
	if v, fresh := s2.check(changed, day); !fresh || v.cert.Generation != 2 {
		t.Errorf("a changed record was not checked again: fresh %v", fresh)
	}
}

// TestConcurrentFirstChecks has many requests verify one token at once
// (run with -race).
func TestConcurrentFirstChecks(t *testing.T) {
	b := trusttest.New("memo")
	tok := trusttest.Token("x")
	if _, err := b.Add(tok, trusttest.Cert("TEST-9", trusttest.Holder{Name: "测丙丁", IDNumber: "90000002", BirthYear: 1981}, memoIssued), nil, b.Signing, memoSigned); err != nil {
		t.Fatal(err)
	}
	s := memoSnapshot(t, b, nil)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if v, _ := s.check(tok, today(memoNow)); v.outcome != Valid || v.cert.Number != "TEST-9" {
				t.Errorf("%s", v.outcome)
			}
		})
	}
	wg.Wait()
	if _, fresh := s.check(tok, today(memoNow)); fresh {
		t.Error("not memoised after concurrent checks")
	}
}

// TestExpiryInChina: a certificate valid until a date is valid through
// that whole day in China, and expired from midnight there.
func TestExpiryInChina(t *testing.T) {
	until := civil{2026, 2, 1}
	for _, tt := range []struct {
		now     time.Time
		expired bool
	}{
		{time.Date(2026, 2, 1, 15, 59, 59, 0, time.UTC), false}, // 23:59:59 in Shanghai
		{time.Date(2026, 2, 1, 16, 0, 0, 0, time.UTC), true},    // 00:00 on the 2nd
		{time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC), false},
	} {
		if got := until.before(today(tt.now)); got != tt.expired {
			t.Errorf("%s: expired %v, want %v", tt.now, got, tt.expired)
		}
	}
}

// BenchmarkCheck is one memoised scan's verdict: keys, find, open,
// decode, the key's checks.
func BenchmarkCheck(b *testing.B) {
	tb := trusttest.New("memo")
	tok := trusttest.Token("x")
	if _, err := tb.Add(tok, trusttest.Cert("TEST-9", trusttest.Holder{Name: "测丙丁", IDNumber: "90000002", BirthYear: 1981}, memoIssued), nil, tb.Signing, memoSigned); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if _, err := tb.Publish(dir, memoNow.Add(-time.Hour), 24*time.Hour); err != nil {
		b.Fatal(err)
	}
	ts, _, err := trust.Load(dir, tb.Pin(), trust.Marks{}, memoNow, trust.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	s := NewSnapshot(ts, nil, memoNow)
	day := today(memoNow)
	s.check(tok, day)
	b.ReportAllocs()
	for b.Loop() {
		if v, _ := s.check(tok, day); v.outcome != Valid {
			b.Fatal(v.outcome)
		}
	}
}
