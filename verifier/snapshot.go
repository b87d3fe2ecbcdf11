package verifier

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"
	"unique"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Snapshot is an immutable view of one registry: trust list, signed
// records and revocations, as loaded at one moment. Requests read the
// snapshot they started with, so a reload never mixes two registries in
// one answer.
//
// # Where the signature check is paid
//
// Checking one Ed25519 signature costs about 0.1 ms here. Checking all
// 100,000 records at load would cost some 10 s of CPU per start and per
// reload (the start-up target is 3 s), and would mostly verify records
// nobody ever scans. Checking on every request would make the signature
// the whole cost of a request and cap the service far below the rate of
// a bare handler. So the check is paid lazily, once per token and
// snapshot: the first request for a token verifies its record and the
// verdict is memoised in the snapshot. A reload builds a new snapshot
// with an empty memo, so a changed trust list (a key marked compromised,
// a new revocation) takes effect at once for every token.
//
// Only tokens the registry holds are memoised: a flood of random tokens
// cannot grow the memo.
type Snapshot struct {
	reg      *record.Registry
	loadedAt time.Time
	memo     sync.Map // record.Token → *verdict
	unknown  *verdict // shared by every token the registry does not hold
}

// verdict is the memoised result of checking one token.
type verdict struct {
	outcome Outcome
	cert    *cert              // set when the record verified (valid or revoked)
	rev     *record.Revocation // set when revoked
	err     error              // why it is not genuine; logged, never shown
}

// LoadSnapshot reads a registry directory (through fsys) into a snapshot.
// The registry is refused as a whole when any file or line of it is bad.
// Certificate signatures are not checked here (see [Snapshot]);
// revocations are, by [record.LoadRegistry].
func LoadSnapshot(fsys fs.FS, now time.Time) (*Snapshot, error) {
	reg, err := record.LoadRegistry(fsys)
	if err != nil {
		return nil, err
	}
	if reg.Trust == nil || len(reg.Trust.Keys) == 0 {
		return nil, errors.New("trust.json: the trust list has no keys")
	}
	return NewSnapshot(reg, now), nil
}

// NewSnapshot wraps an already loaded registry; reg must not change
// afterwards.
func NewSnapshot(reg *record.Registry, now time.Time) *Snapshot {
	return &Snapshot{reg: reg, loadedAt: now, unknown: &verdict{outcome: Unknown}}
}

// LoadedAt is when the snapshot was loaded.
func (s *Snapshot) LoadedAt() time.Time { return s.loadedAt }

// Certificates is the number of certificates in the snapshot.
func (s *Snapshot) Certificates() int { return len(s.reg.Entries) }

// Revocations is the number of revocations in the snapshot.
func (s *Snapshot) Revocations() int { return len(s.reg.Revocations) }

// UntrustedRevocations is the number of revocations skipped because
// their signing key is marked compromised.
func (s *Snapshot) UntrustedRevocations() int { return s.reg.Untrusted }

// Keys is the number of keys in the trust list.
func (s *Snapshot) Keys() int { return len(s.reg.Trust.Keys) }

// check returns the verdict for a token; fresh reports whether this call
// paid for a signature check.
func (s *Snapshot) check(tok record.Token) (v *verdict, fresh bool) {
	if m, ok := s.memo.Load(tok); ok {
		return m.(*verdict), false
	}
	e, ok := s.reg.Entries[tok]
	if !ok {
		if rev, ok := s.reg.Revocations[tok]; ok {
			// A revocation of a record this registry does not hold (an
			// older registry's); the revocation itself was verified at load.
			return &verdict{outcome: Revoked, rev: rev}, false
		}
		return s.unknown, false
	}
	v = s.verify(e)
	m, _ := s.memo.LoadOrStore(tok, v)
	return m.(*verdict), true
}

func (s *Snapshot) verify(e record.Entry) *verdict {
	pub, err := s.reg.Trust.VerifyEntry(e)
	if err != nil {
		return &verdict{outcome: outcomeOf(err), err: err}
	}
	c := newCert(pub, e)
	// The record is checked before the revocation: a revocation must not
	// hide that the record behind it is forged.
	if rev, ok := s.reg.Revocations[e.Token]; ok {
		return &verdict{outcome: Revoked, cert: c, rev: rev}
	}
	return &verdict{outcome: Valid, cert: c}
}

// cert is what the memo keeps of a verified record: the fields an
// answer shows and the name check, in about a third of the memory of a
// record.Public. The fields that most records share (qualification,
// issuer, key) sit behind one interned handle, and the token is the
// registry index's own string. 100,000 memoised records then cost some
// 35 MB.
type cert struct {
	token      record.Token
	number     string
	holder     string // masked
	idMasked   string
	idType     record.IDType
	birthYear  int
	issued     time.Time
	validUntil time.Time
	shared     unique.Handle[sharedFields]
	nameCheck  [32]byte
}

// sharedFields are the fields that many certificates have in common.
type sharedFields struct {
	TaiwanName, TaiwanGrade, OccupationCode, OccupationName, Level, QualificationID, Issuer, KID string
}

func newCert(p *record.Public, e record.Entry) *cert {
	return &cert{
		token: e.Token, number: e.Number, holder: p.HolderMasked, idMasked: p.IDMasked,
		idType: record.IDType(unique.Make(string(p.IDType)).Value()), birthYear: p.BirthYear,
		issued: p.IssueDate, validUntil: p.ValidUntil, nameCheck: p.NameCheck,
		shared: unique.Make(sharedFields{
			TaiwanName: p.TaiwanName, TaiwanGrade: p.TaiwanGrade, OccupationCode: p.OccupationCode,
			OccupationName: p.OccupationName, Level: p.Level, QualificationID: p.QualificationID,
			Issuer: p.Issuer, KID: p.KID,
		}),
	}
}

// matchName is [record.Public.MatchName] over the memoised name check.
func (c *cert) matchName(name string) bool {
	want := record.NameCheck(c.token, name)
	return subtle.ConstantTimeCompare(want[:], c.nameCheck[:]) == 1
}

// decoyToken keys the name check done for numbers we do not hold, so that
// both branches of a lookup do the same hashing work.
const decoyToken record.Token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// lookup answers a manual lookup by certificate number and full holder
// name. A wrong number and a wrong name give the same answer, unknown,
// so the form cannot be used to find out which numbers exist. A record
// that does not verify cannot be trusted to say whose it is, so it too
// answers unknown here.
func (s *Snapshot) lookup(number, name string) (v *verdict, fresh bool) {
	tok, ok := s.reg.ByNumber[number]
	if !ok {
		record.NameCheck(decoyToken, name)
		return s.unknown, false
	}
	v, fresh = s.check(tok)
	if v.cert == nil || !v.cert.matchName(name) {
		return s.unknown, fresh
	}
	return v, fresh
}

// Store holds the current snapshot. The zero Store holds none: every
// verification then answers Unavailable.
type Store struct {
	cur atomic.Pointer[Snapshot]
}

// Current returns the snapshot in force, or nil before the first load.
func (st *Store) Current() *Snapshot { return st.cur.Load() }

// Set puts s in force.
func (st *Store) Set(s *Snapshot) { st.cur.Store(s) }

// describe is a one-line summary for logs.
func (s *Snapshot) describe() string {
	return fmt.Sprintf("%d certificates, %d revocations, %d keys", s.Certificates(), s.Revocations(), s.Keys())
}
