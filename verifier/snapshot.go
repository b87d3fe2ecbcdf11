package verifier

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
	"time"

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
//
// # Memory the collector never scans
//
// A snapshot holds every record of the registry for as long as it is in
// force, and the garbage collector would otherwise walk all of it on
// every cycle: with 100,000 records held as maps of strings and a memo of
// pointers (~120 MB live), the service spent about half of its time with
// a collection running, and that was most of its p99 latency. So the
// records and the memo hold no pointers at all: the tokens, numbers and
// envelopes sit in one byte arena, the indexes are maps of fixed-size
// keys to entry numbers, and each memoised verdict is a fixed-size
// record in a slice made at load. The collector marks each of these as
// one object and never looks inside.
type Snapshot struct {
	loadedAt  time.Time
	trust     *record.TrustList
	revs      map[record.Token]*record.Revocation // verified at load; few
	untrusted int

	arena   []byte              // per entry: token, number, envelope
	starts  []uint32            // entry i spans arena[starts[i]:starts[i+1]]
	numEnds []uint32            // entry i's number ends at numEnds[i]
	byToken map[tokenKey]uint32 // token → entry
	byNum   map[uint64]uint32   // maphash of a number → entry
	numSeed maphash.Seed
	numMore map[string]uint32 // the rare number whose hash another number already has

	state  []atomic.Uint32 // per entry, see st*
	certs  []memoCert      // per entry, written once before its state says so
	shared sharedTable

	unknown *verdict // shared by every token the registry does not hold
}

// tokenKey is a token's text as a fixed-size, pointer-free map key.
type tokenKey [record.TokenLen]byte

// An entry's state: unchecked, being checked by one request, or its
// memoised outcome. stFresh marks a verdict whose certificate fields
// did not fit a [cert] (a very long masked name): such a record is
// verified again on every request rather than memoised.
const (
	stUnchecked uint32 = iota
	stBusy
	stValid
	stRevoked
	stNotGenuine
	stKeyCompromised
	stAgain = 0x10
)

// verdict is the result of checking one token, as a request sees it.
type verdict struct {
	outcome Outcome
	number  string             // set with cert
	token   record.Token       // set with cert
	cert    *cert              // set when the record verified (valid or revoked)
	shared  *sharedFields      // set with cert
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

// NewSnapshot copies an already loaded registry into a snapshot; the
// snapshot keeps nothing of reg but its trust list and revocations.
func NewSnapshot(reg *record.Registry, now time.Time) *Snapshot {
	n := len(reg.Entries)
	s := &Snapshot{
		loadedAt: now, trust: reg.Trust, revs: reg.Revocations, untrusted: reg.Untrusted,
		starts: make([]uint32, 0, n+1), numEnds: make([]uint32, 0, n),
		byToken: make(map[tokenKey]uint32, n), byNum: make(map[uint64]uint32, n), numSeed: maphash.MakeSeed(),
		state: make([]atomic.Uint32, n), certs: make([]memoCert, n),
		unknown: &verdict{outcome: Unknown},
	}
	// Entries in token order, so that two loads of one registry lay out
	// the same arena.
	toks := make([]record.Token, 0, n)
	size := 0
	for t, e := range reg.Entries {
		toks = append(toks, t)
		size += len(t) + len(e.Number) + len(e.Envelope)
	}
	slices.Sort(toks)
	s.arena = make([]byte, 0, size)
	for i, t := range toks {
		e := reg.Entries[t]
		s.starts = append(s.starts, uint32(len(s.arena)))
		s.arena = append(s.arena, t...)
		s.arena = append(s.arena, e.Number...)
		s.numEnds = append(s.numEnds, uint32(len(s.arena)))
		s.arena = append(s.arena, e.Envelope...)
		s.byToken[keyOf(t)] = uint32(i)
		h := maphash.String(s.numSeed, e.Number)
		if _, taken := s.byNum[h]; taken {
			if s.numMore == nil {
				s.numMore = map[string]uint32{}
			}
			s.numMore[e.Number] = uint32(i)
		} else {
			s.byNum[h] = uint32(i)
		}
	}
	s.starts = append(s.starts, uint32(len(s.arena)))
	return s
}

func keyOf(t record.Token) (k tokenKey) {
	copy(k[:], t)
	return k
}

// entry returns entry i as the record package knows it. The envelope
// aliases the arena, which is never written after load.
func (s *Snapshot) entry(i uint32) record.Entry {
	a, b, c := s.starts[i], s.numEnds[i], s.starts[i+1]
	return record.Entry{
		Token:    record.Token(s.arena[a : a+record.TokenLen]),
		Number:   string(s.arena[a+record.TokenLen : b]),
		Envelope: s.arena[b:c:c],
	}
}

// number is entry i's certificate number.
func (s *Snapshot) number(i uint32) string {
	return string(s.arena[s.starts[i]+record.TokenLen : s.numEnds[i]])
}

// LoadedAt is when the snapshot was loaded.
func (s *Snapshot) LoadedAt() time.Time { return s.loadedAt }

// Certificates is the number of certificates in the snapshot.
func (s *Snapshot) Certificates() int { return len(s.certs) }

// Revocations is the number of revocations in the snapshot.
func (s *Snapshot) Revocations() int { return len(s.revs) }

// UntrustedRevocations is the number of revocations skipped because
// their signing key is marked compromised.
func (s *Snapshot) UntrustedRevocations() int { return s.untrusted }

// Keys is the number of keys in the trust list.
func (s *Snapshot) Keys() int { return len(s.trust.Keys) }

// check returns the verdict for a token; fresh reports whether this call
// paid for a signature check.
func (s *Snapshot) check(tok record.Token) (v *verdict, fresh bool) {
	i, ok := s.byToken[keyOf(tok)]
	if !ok || len(tok) != record.TokenLen {
		if rev, ok := s.revs[tok]; ok {
			// A revocation of a record this registry does not hold (an
			// older registry's); the revocation itself was verified at load.
			return &verdict{outcome: Revoked, rev: rev}, false
		}
		return s.unknown, false
	}
	return s.checkEntry(i)
}

// checkEntry returns the verdict for entry i, from the memo or by
// verifying its record. The first request to verify an entry memoises the
// result; one that finds another request verifying the same entry
// verifies it too, for itself.
func (s *Snapshot) checkEntry(i uint32) (v *verdict, fresh bool) {
	st := s.state[i].Load()
	if st >= stValid && st&stAgain == 0 {
		return s.memoised(i, st), false
	}
	e := s.entry(i)
	pub, err := s.trust.VerifyEntry(e)
	v = &verdict{outcome: outcomeOf(err), err: err}
	if err == nil {
		v.token, v.number = e.Token, e.Number
		m, fits := newMemoCert(pub, &s.shared)
		v.cert, v.shared = newCert(pub), s.shared.get(m.shared)
		// The record is checked before the revocation: a revocation must
		// not hide that the record behind it is forged.
		if rev, ok := s.revs[e.Token]; ok {
			v.outcome, v.rev = Revoked, rev
		}
		if fits && s.state[i].CompareAndSwap(stUnchecked, stBusy) {
			s.certs[i] = m
			s.state[i].Store(stateOf(v.outcome))
		} else if !fits {
			s.state[i].Store(stateOf(v.outcome) | stAgain)
		}
		return v, true
	}
	if s.state[i].CompareAndSwap(stUnchecked, stBusy) {
		s.state[i].Store(stateOf(v.outcome))
	}
	return v, true
}

// memoised rebuilds the verdict of entry i from its memoised state st.
func (s *Snapshot) memoised(i uint32, st uint32) *verdict {
	switch st {
	case stValid, stRevoked:
		m := &s.certs[i]
		v := &verdict{outcome: Valid, cert: m.cert(), shared: s.shared.get(m.shared), number: s.number(i),
			token: record.Token(s.arena[s.starts[i] : s.starts[i]+record.TokenLen])}
		if st == stRevoked {
			v.outcome, v.rev = Revoked, s.revs[v.token]
		}
		return v
	case stKeyCompromised:
		return &verdict{outcome: KeyCompromised}
	default:
		return &verdict{outcome: NotGenuine}
	}
}

func stateOf(o Outcome) uint32 {
	switch o {
	case Valid:
		return stValid
	case Revoked:
		return stRevoked
	case KeyCompromised:
		return stKeyCompromised
	default:
		return stNotGenuine
	}
}

// cert is a verified record's fields that an answer shows, and its name
// check.
type cert struct {
	holder     string // masked
	idMasked   string
	idType     record.IDType
	birthYear  int
	issued     time.Time
	validUntil time.Time
	nameCheck  [32]byte
}

func newCert(p *record.Public) *cert {
	return &cert{
		holder: p.HolderMasked, idMasked: p.IDMasked, idType: p.IDType, birthYear: p.BirthYear,
		issued: p.IssueDate, validUntil: p.ValidUntil, nameCheck: p.NameCheck,
	}
}

// memoCert is what the memo keeps of a verified record: a [cert] in a
// fixed-size record with no pointers (see [Snapshot]). The fields that
// most records share (qualification, issuer, key) are an index into the
// snapshot's [sharedTable].
type memoCert struct {
	nameCheck  [32]byte
	holder     [48]byte // masked, holderLen bytes
	idMasked   [16]byte // idLen bytes
	holderLen  uint8
	idLen      uint8
	idType     uint8 // index into idTypes
	birthYear  uint16
	issued     civil
	validUntil civil // zero: no expiry
	shared     uint32
}

// civil is a civil date.
type civil struct {
	year  int16
	month uint8
	day   uint8
}

func civilOf(t time.Time) civil {
	if t.IsZero() {
		return civil{}
	}
	y, m, d := t.Date()
	return civil{int16(y), uint8(m), uint8(d)}
}

// time is the civil date at UTC midnight, as the record package keeps
// dates; the zero civil date is the zero time.
func (c civil) time() time.Time {
	if c == (civil{}) {
		return time.Time{}
	}
	return time.Date(int(c.year), time.Month(c.month), int(c.day), 0, 0, 0, 0, time.UTC)
}

var idTypes = []record.IDType{record.Permit, record.Residence}

// newMemoCert copies p into a memo record; fits is false when some field
// does not fit one (a very long masked name, say): the record is then
// incomplete, not to be memoised, and its shared index alone is good.
func newMemoCert(p *record.Public, tab *sharedTable) (m memoCert, fits bool) {
	m = memoCert{
		nameCheck: p.NameCheck, birthYear: uint16(p.BirthYear),
		issued: civilOf(p.IssueDate), validUntil: civilOf(p.ValidUntil),
		shared: tab.id(sharedFields{
			TaiwanName: p.TaiwanName, TaiwanGrade: p.TaiwanGrade, OccupationCode: p.OccupationCode,
			OccupationName: p.OccupationName, Level: p.Level, QualificationID: p.QualificationID,
			Issuer: p.Issuer, KID: p.KID,
		}),
	}
	m.holderLen = uint8(copy(m.holder[:], p.HolderMasked))
	m.idLen = uint8(copy(m.idMasked[:], p.IDMasked))
	idType := slices.Index(idTypes, p.IDType)
	m.idType = uint8(idType)
	fits = len(p.HolderMasked) <= len(m.holder) && len(p.IDMasked) <= len(m.idMasked) &&
		idType >= 0 && p.BirthYear >= 0 && p.BirthYear <= 0xFFFF &&
		m.issued.time().Equal(p.IssueDate) && m.validUntil.time().Equal(p.ValidUntil)
	return m, fits
}

// cert is the memoised record as the answer's fields.
func (m *memoCert) cert() *cert {
	return &cert{
		holder: string(m.holder[:m.holderLen]), idMasked: string(m.idMasked[:m.idLen]),
		idType: idTypes[m.idType], birthYear: int(m.birthYear),
		issued: m.issued.time(), validUntil: m.validUntil.time(), nameCheck: m.nameCheck,
	}
}

// sharedFields are the fields that many certificates have in common.
type sharedFields struct {
	TaiwanName, TaiwanGrade, OccupationCode, OccupationName, Level, QualificationID, Issuer, KID string
}

// sharedTable numbers the distinct sharedFields of a snapshot. Readers
// index a slice that is copied, never changed, when a value is added;
// there are as many values as qualifications, issuers and keys combine.
type sharedTable struct {
	mu   sync.Mutex
	ids  map[sharedFields]uint32
	vals atomic.Pointer[[]sharedFields]
}

func (t *sharedTable) id(f sharedFields) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.ids[f]; ok {
		return id
	}
	var vals []sharedFields
	if p := t.vals.Load(); p != nil {
		vals = *p
	}
	vals = append(vals[:len(vals):len(vals)], f)
	if t.ids == nil {
		t.ids = map[sharedFields]uint32{}
	}
	t.ids[f] = uint32(len(vals) - 1)
	t.vals.Store(&vals)
	return uint32(len(vals) - 1)
}

func (t *sharedTable) get(id uint32) *sharedFields { return &(*t.vals.Load())[id] }

// matchName is [record.Public.MatchName] over the memoised name check.
func (v *verdict) matchName(name string) bool {
	want := record.NameCheck(v.token, name)
	return subtle.ConstantTimeCompare(want[:], v.cert.nameCheck[:]) == 1
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
	i, ok := s.byNumber(number)
	if !ok {
		record.NameCheck(decoyToken, name)
		return s.unknown, false
	}
	v, fresh = s.checkEntry(i)
	if v.cert == nil || !v.matchName(name) {
		return s.unknown, fresh
	}
	return v, fresh
}

// byNumber finds the entry of a certificate number.
func (s *Snapshot) byNumber(number string) (uint32, bool) {
	if i, ok := s.byNum[maphash.String(s.numSeed, number)]; ok && s.number(i) == number {
		return i, true
	}
	i, ok := s.numMore[number]
	return i, ok
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
