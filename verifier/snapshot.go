package verifier

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// Snapshot is an immutable, fully checked verifier snapshot (package
// trust) as the service holds it in force. Requests read the snapshot
// they started with, so a reload never mixes two snapshots in one answer.
//
// # What a request pays
//
// A scan derives the token's locator and key (HKDF-SHA-256, about a
// microsecond), finds the sealed record by locator in a map of
// fixed-size keys, opens it (XChaCha20-Poly1305 over 512 bytes, about a
// microsecond) and decodes it. Checking the Ed25519 signature costs
// about 0.1 ms, as much as the rest of a request many times over, so it
// is paid once per record: the memo keeps one "signature checked" word
// per record, and a reload carries the bit over for every record whose
// sealed bytes have the same hash (the signature covers nothing else).
// The key's status, role and window are checked on every request
// against the trust list in force, so marking a key compromised takes
// effect at once.
//
// The memo holds nothing about any certificate: no field of a record
// lives longer than the request that opened it.
//
// # Memory the collector never scans
//
// The records sit in one byte arena with an index of fixed-size keys
// ([trust.Records]) and the memo is a slice of atomic words: the
// garbage collector marks each as one object and never looks inside.
type Snapshot struct {
	loadedAt time.Time
	t        *trust.Snapshot
	checked  []atomic.Uint32 // per record: sigUnchecked, sigGood or sigBad
	unknown  *verdict
	// dataAt and headSeq are the head's signed-at time and sequence as
	// every answer shows them.
	dataAt, headSeq string
	dataAtPage      string // dataAt as the page shows it (pageTimeLayout)
	// openers are the buffers of opening a record, cleared after each
	// use: nothing of a record stays in them past its request.
	openers sync.Pool
}

// verdict is the result of checking one token or lookup, as a request sees it.
type verdict struct {
	outcome Outcome
	cert    *record.Certificate // set when the record verified
	rev     *record.Cancellation
	err     error // why it is not genuine; logged, never shown
}

// NewSnapshot wraps a loaded snapshot; old, the snapshot in force (or
// nil), lends its memo bits to records whose sealed bytes are unchanged.
func NewSnapshot(t *trust.Snapshot, old *Snapshot, now time.Time) *Snapshot {
	s := &Snapshot{loadedAt: now, t: t, checked: make([]atomic.Uint32, t.Records.Len()), unknown: &verdict{outcome: Unknown},
		dataAt: t.Head.SignedAt.In(china).Format(timeLayout), headSeq: strconv.FormatUint(t.Head.Seq, 10),
		dataAtPage: t.Head.SignedAt.In(china).Format(pageTimeLayout)}
	s.openers.New = func() any { return new(seal.Opener) }
	if old != nil {
		for i := range uint32(t.Records.Len()) {
			j, ok := old.t.Records.Find(t.Records.Locator(i))
			// Only a good signature carries over: a new trust list may
			// hold the key a bad one lacked.
			if ok && old.checked[j].Load() == sigGood && old.t.Records.Hash(j) == t.Records.Hash(i) {
				s.checked[i].Store(sigGood)
			}
		}
	}
	return s
}

// LoadedAt is when the snapshot was put in force.
func (s *Snapshot) LoadedAt() time.Time { return s.loadedAt }

// Head is the snapshot's signed head.
func (s *Snapshot) Head() *trust.Head { return s.t.Head }

// List is the snapshot's trust list.
func (s *Snapshot) List() *trust.List { return s.t.List }

// Records is the number of sealed records (two per certificate with a
// lookup copy).
func (s *Snapshot) Records() int { return s.t.Records.Len() }

// Revocations is the number of revocations that check.
func (s *Snapshot) Revocations() int { return len(s.t.Cancellations) }

// UntrustedRevocations is the number of revocations skipped because
// their key is compromised or gone.
func (s *Snapshot) UntrustedRevocations() int { return s.t.Untrusted }

// Keys is the number of keys in the trust list.
func (s *Snapshot) Keys() int { return len(s.t.List.Keys) }

// Stale reports whether the snapshot can no longer answer at now: its
// head or its trust list has expired. A stale snapshot answers
// "cannot verify now", never a verdict.
func (s *Snapshot) Stale(now time.Time) bool {
	return !now.Before(s.t.Head.Expires) || !now.Before(s.t.List.Expires)
}

// check returns the verdict for a scanned token; fresh reports whether
// this call paid for a signature check.
func (s *Snapshot) check(tok record.Token, today civil) (v *verdict, fresh bool) {
	loc, key, err := seal.TokenKeys(tok)
	if err != nil {
		return &verdict{outcome: Malformed}, false
	}
	i, ok := s.t.Records.Find(loc)
	if !ok || s.t.Records.Kind(i) != seal.ByToken {
		if rev, ok := s.t.Cancellations[loc]; ok {
			// A revocation of a record this snapshot does not hold.
			return &verdict{outcome: Revoked, rev: rev}, false
		}
		return s.unknown, false
	}
	return s.open(i, loc, key, seal.ByToken, loc, today)
}

// lookup returns the verdict for a manual lookup's locator and key. A
// record that does not verify cannot be trusted to say whose it is, so
// it answers unknown here, like a triple that matches nothing.
func (s *Snapshot) lookup(loc record.Locator, key seal.Key, today civil) (v *verdict, fresh bool) {
	i, ok := s.t.Records.Find(loc)
	if !ok || s.t.Records.Kind(i) != seal.ByLookup {
		return s.unknown, false
	}
	v, fresh = s.open(i, loc, key, seal.ByLookup, record.Locator{}, today)
	if v.cert == nil {
		return s.unknown, fresh
	}
	return v, fresh
}

// The memo's states of a record's signature.
const (
	sigUnchecked uint32 = iota
	sigGood
	sigBad
)

// errBadMemo: the record's signature failed before, in this snapshot.
var errBadMemo = fmt.Errorf("%w: the signature did not verify (checked before)", record.ErrBadSignature)

// errMoved: a record whose signed locator is not the one it was found
// under (a genuine record copied under another token).
var errMoved = errors.New("the signed locator differs from the record's place")

// open opens record i and checks it. want is the locator the signed
// record must name (zero for a lookup copy, which names its token copy's).
func (s *Snapshot) open(i uint32, loc record.Locator, key seal.Key, kind seal.Kind, want record.Locator, today civil) (v *verdict, fresh bool) {
	recs := &s.t.Records
	gen := recs.Generation(i)
	o := s.openers.Get().(*seal.Opener)
	defer func() {
		o.Clear()
		s.openers.Put(o)
	}()
	env, err := o.Open(key, loc, kind, gen, recs.Sealed(i))
	if err != nil {
		return &verdict{outcome: NotGenuine, err: err}, false
	}
	var c *record.Certificate
	switch s.checked[i].Load() {
	case sigGood:
		c, err = record.DecodeCheckedCertificate(env)
	case sigBad:
		// Checked before in this snapshot: a tampered record costs one
		// signature check, not one per scan.
		err = errBadMemo
	default:
		fresh = true
		c, err = record.OpenCertificate(env, s.t.List.PublicKey(trust.RoleSigning))
		if err == nil {
			s.checked[i].Store(sigGood)
		} else {
			s.checked[i].Store(sigBad)
		}
	}
	if err == nil && kind == seal.ByToken && c.Locator != want {
		err = errMoved
	}
	if err == nil && c.Generation != gen {
		err = fmt.Errorf("signed generation %d, stored as %d", c.Generation, gen)
	}
	if err != nil {
		return &verdict{outcome: outcomeOf(err), err: err}, fresh
	}
	if err := s.t.List.May(c.KID, trust.RoleSigning, c.SignedAt); err != nil {
		if k, ok := s.t.List.Key(c.KID); ok && k.Status == trust.Compromised {
			return &verdict{outcome: KeyCompromised, err: err}, fresh
		}
		return &verdict{outcome: NotGenuine, err: err}, fresh
	}
	v = &verdict{outcome: Valid, cert: c}
	// The record is checked before the revocation: a revocation must
	// not hide that the record behind it is forged.
	if rev, ok := s.t.Cancellations[c.Locator]; ok {
		v.outcome, v.rev = Revoked, rev
	} else if !c.ValidUntil.IsZero() && civilOf(c.ValidUntil).before(today) {
		v.outcome = Expired
	}
	return v, fresh
}

// civil is a civil date.
type civil struct {
	year  int
	month time.Month
	day   int
}

func civilOf(t time.Time) civil {
	y, m, d := t.Date()
	return civil{y, m, d}
}

func (c civil) before(d civil) bool {
	if c.year != d.year {
		return c.year < d.year
	}
	if c.month != d.month {
		return c.month < d.month
	}
	return c.day < d.day
}

// china is the civil time zone of certificate dates: Asia/Shanghai,
// which has had no daylight saving time since 1991, so a fixed zone is
// exact for every date a certificate can carry and needs no tzdata.
var china = time.FixedZone("Asia/Shanghai", 8*60*60)

// today is the civil date in China at now.
func today(now time.Time) civil { return civilOf(now.In(china)) }

// Store holds the current snapshot. The zero Store holds none: every
// verification then answers Unavailable.
type Store struct {
	cur    atomic.Pointer[Snapshot]
	source atomic.Pointer[SourceStatus]
}

// Current returns the snapshot in force, or nil before the first load.
func (st *Store) Current() *Snapshot { return st.cur.Load() }

// Set puts s in force.
func (st *Store) Set(s *Snapshot) { st.cur.Store(s) }

// describe is a one-line summary for logs.
func (s *Snapshot) describe() string {
	return fmt.Sprintf("head %d, %d records, %d revocations, %d keys", s.t.Head.Seq, s.Records(), s.Revocations(), s.Keys())
}
