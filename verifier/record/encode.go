package record

import (
	"fmt"

	"github.com/qualbridge/qualbridge/verifier/internal/canon"
)

// Domain-separation prefixes: a signature over one kind of record can
// never be taken for another kind.
const (
	certPrefix       = "qualbridge/cert/v1\x00"
	revocationPrefix = "qualbridge/revocation/v1\x00"
	personalPrefix   = "qualbridge/personal/v1\x00"
)

// Limits that keep a hostile envelope cheap to reject.
const (
	maxString   = 1024 // bytes of one string field
	maxKID      = 64
	maxPayload  = 16 << 10
	maxEnvelope = 1 + 2 + maxKID + 3 + maxPayload + sigSize
	sigSize     = 64
	minYear     = 1900
	maxYear     = 2999
)

// format is the canonical field codec of record's payloads (package
// canon): the same rules as the trust metadata, with record's limits.
func format() canon.Format {
	return canon.Format{Malformed: ErrMalformed, MaxString: maxString, MinYear: minYear, MaxYear: maxYear}
}

func idTypeCode(t IDType) uint8 {
	switch t {
	case Permit:
		return 1
	case Residence:
		return 2
	}
	return 0
}

func idTypeOf(c uint8) (IDType, bool) {
	switch c {
	case 1:
		return Permit, true
	case 2:
		return Residence, true
	}
	return "", false
}

func sexCode(s string) uint8 {
	switch s {
	case "男":
		return 1
	case "女":
		return 2
	}
	return 0
}

// encodePublic returns the canonical payload of p. KID and Version are
// not part of it: they live in the envelope header, which the signature
// also covers.
func encodePublic(p *Public) ([]byte, error) {
	e := format().Encoder(384)
	tb, ok := p.Token.bytes()
	if !ok {
		return nil, fmt.Errorf("%w: token %q is not canonical", ErrMalformed, p.Token)
	}
	e.Raw(tb[:])
	e.Str("number", p.Number)
	e.Str("holder", p.HolderMasked)
	if p.BirthYear < minYear || p.BirthYear > maxYear {
		e.Fail("birth year %d out of range", p.BirthYear)
	}
	e.U16(uint16(p.BirthYear))
	c := idTypeCode(p.IDType)
	if c == 0 {
		e.Fail("unknown identity document type %q", p.IDType)
	}
	e.U8(c)
	e.Str("id", p.IDMasked)
	e.Str("taiwan name", p.TaiwanName)
	e.Str("taiwan grade", p.TaiwanGrade)
	e.Str("occupation code", p.OccupationCode)
	e.Str("occupation name", p.OccupationName)
	e.Str("level", p.Level)
	e.Str("qualification", p.QualificationID)
	e.Str("issuer", p.Issuer)
	e.Date("issue date", p.IssueDate, false)
	e.Date("valid until", p.ValidUntil, true)
	e.Instant("signed at", p.SignedAt)
	e.Raw(p.NameCheck[:])
	e.Raw(p.PersonalDigest[:])
	if e.Err() == nil && p.Number == "" {
		e.Fail("number is empty")
	}
	return e.Result()
}

// decodePublic parses a payload; it is the exact inverse of encodePublic.
func decodePublic(b []byte) (*Public, error) {
	d := format().Decoder(b)
	p := &Public{Version: Version}
	var tb [tokenBytes]byte
	copy(tb[:], d.Take(tokenBytes, "token"))
	p.Token = tokenFromBytes(tb)
	p.Number = d.Str("number", maxString)
	p.HolderMasked = d.Str("holder", maxString)
	p.BirthYear = int(d.U16("birth year"))
	if d.Err() == nil && (p.BirthYear < minYear || p.BirthYear > maxYear) {
		d.Fail("birth year out of range")
	}
	t, ok := idTypeOf(d.U8("id type"))
	if d.Err() == nil && !ok {
		d.Fail("unknown identity document type")
	}
	p.IDType = t
	p.IDMasked = d.Str("id", maxString)
	p.TaiwanName = d.Str("taiwan name", maxString)
	p.TaiwanGrade = d.Str("taiwan grade", maxString)
	p.OccupationCode = d.Str("occupation code", maxString)
	p.OccupationName = d.Str("occupation name", maxString)
	p.Level = d.Str("level", maxString)
	p.QualificationID = d.Str("qualification", maxString)
	p.Issuer = d.Str("issuer", maxString)
	p.IssueDate = d.Date("issue date", false)
	p.ValidUntil = d.Date("valid until", true)
	p.SignedAt = d.Instant("signed at")
	copy(p.NameCheck[:], d.Take(32, "name check"))
	copy(p.PersonalDigest[:], d.Take(32, "personal digest"))
	d.End()
	if d.Err() == nil && p.Number == "" {
		d.Fail("number is empty")
	}
	if d.Err() != nil {
		return nil, d.Err()
	}
	return p, nil
}

func reasonCode(r Reason) uint8 {
	for i, x := range Reasons() {
		if x == r {
			return uint8(i + 1)
		}
	}
	return 0
}

func encodeRevocation(r *Revocation) ([]byte, error) {
	e := format().Encoder(64)
	tb, ok := r.Token.bytes()
	if !ok {
		return nil, fmt.Errorf("%w: token %q is not canonical", ErrMalformed, r.Token)
	}
	e.Raw(tb[:])
	e.Str("number", r.Number)
	e.Date("date", r.Date, false)
	c := reasonCode(r.Reason)
	if c == 0 {
		e.Fail("unknown reason %q", r.Reason)
	}
	e.U8(c)
	e.Instant("signed at", r.SignedAt)
	return e.Result()
}

func decodeRevocation(b []byte) (*Revocation, error) {
	d := format().Decoder(b)
	r := &Revocation{}
	var tb [tokenBytes]byte
	copy(tb[:], d.Take(tokenBytes, "token"))
	r.Token = tokenFromBytes(tb)
	r.Number = d.Str("number", maxString)
	r.Date = d.Date("date", false)
	c := d.U8("reason")
	if d.Err() == nil {
		if c == 0 || int(c) > len(Reasons()) {
			d.Fail("unknown reason")
		} else {
			r.Reason = Reasons()[c-1]
		}
	}
	r.SignedAt = d.Instant("signed at")
	d.End()
	if d.Err() != nil {
		return nil, d.Err()
	}
	return r, nil
}

// MarshalBinary returns the canonical encoding of p (with its
// domain-separation prefix), the bytes [Personal.Digest] hashes and the
// issuer stores age-encrypted.
func (p *Personal) MarshalBinary() ([]byte, error) {
	e := format().Encoder(128)
	e.Raw([]byte(personalPrefix))
	e.Raw(p.Salt[:])
	e.Str("name", p.Name)
	c := sexCode(p.Sex)
	if c == 0 {
		e.Fail("sex must be 男 or 女, got %q", p.Sex)
	}
	e.U8(c)
	e.Date("birth date", p.BirthDate, false)
	t := idTypeCode(p.IDType)
	if t == 0 {
		e.Fail("unknown identity document type %q", p.IDType)
	}
	e.U8(t)
	e.Str("id number", p.IDNumber)
	return e.Result()
}

// UnmarshalBinary parses the canonical encoding written by MarshalBinary.
func (p *Personal) UnmarshalBinary(b []byte) error {
	d := format().Decoder(b)
	if string(d.Take(len(personalPrefix), "prefix")) != personalPrefix {
		d.Fail("not a personal record")
	}
	var q Personal
	copy(q.Salt[:], d.Take(16, "salt"))
	q.Name = d.Str("name", maxString)
	switch d.U8("sex") {
	case 1:
		q.Sex = "男"
	case 2:
		q.Sex = "女"
	default:
		d.Fail("bad sex code")
	}
	q.BirthDate = d.Date("birth date", false)
	t, ok := idTypeOf(d.U8("id type"))
	if d.Err() == nil && !ok {
		d.Fail("unknown identity document type")
	}
	q.IDType = t
	q.IDNumber = d.Str("id number", maxString)
	d.End()
	if d.Err() != nil {
		return d.Err()
	}
	*p = q
	return nil
}
