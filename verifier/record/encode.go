package record

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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

// enc appends canonical fields. The first error sticks, so that the
// encoding functions read as a plain list of fields.
type enc struct {
	b   []byte
	err error
}

func (e *enc) str(field, s string) {
	if e.err == nil {
		e.err = checkString(field, s)
	}
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *enc) raw(b []byte) { e.b = append(e.b, b...) }
func (e *enc) fail(f string, a ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: "+f, append([]any{ErrMalformed}, a...)...)
	}
}

// date writes a civil date as year (2 bytes), month, day; zero is all
// zero bytes and only allowed where optional says so.
func (e *enc) date(field string, t time.Time, optional bool) {
	if t.IsZero() {
		if !optional {
			e.fail("%s is missing", field)
		}
		e.b = append(e.b, 0, 0, 0, 0)
		return
	}
	if t.Location() != time.UTC || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		e.fail("%s must be a civil date (midnight UTC)", field)
	}
	if t.Year() < minYear || t.Year() > maxYear {
		e.fail("%s year %d out of range", field, t.Year())
	}
	e.u16(uint16(t.Year()))
	e.u8(uint8(t.Month()))
	e.u8(uint8(t.Day()))
}

// instant writes a time as whole Unix seconds (8 bytes).
func (e *enc) instant(field string, t time.Time) {
	if t.Nanosecond() != 0 || t.Year() < 1970 || t.Year() > maxYear {
		e.fail("%s must be whole seconds between 1970 and %d", field, maxYear)
	}
	e.b = binary.BigEndian.AppendUint64(e.b, uint64(t.Unix()))
}

// dec reads canonical fields; the first error sticks and later reads
// return zero values.
type dec struct {
	b   []byte
	err error
	// all, when set, is the whole input as one string: str returns
	// substrings of it, one allocation for every field of a record.
	all  string
	base int // len of the input
	// trusted skips the per-string checks (UTF-8, NFC, control
	// characters): set only for bytes that decoded with them before.
	trusted bool
}

func (d *dec) fail(f string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+f, append([]any{ErrMalformed}, a...)...)
	}
}

func (d *dec) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.fail("truncated %s", what)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad length of %s", what)
		return 0
	}
	if n > 1 && d.b[n-1] == 0 {
		d.fail("non-minimal length of %s", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) str(field string, max int) string {
	n := d.uvarint(field)
	if n > uint64(max) {
		d.fail("%s too long", field)
		return ""
	}
	var s string
	if d.all != "" {
		off := d.base - len(d.b)
		if d.take(int(n), field) != nil {
			s = d.all[off : off+int(n)]
		}
	} else {
		s = string(d.take(int(n), field))
	}
	if d.err == nil && !d.trusted {
		if err := checkString(field, s); err != nil {
			d.err = err
		}
	}
	return s
}

func (d *dec) u8(what string) uint8 {
	b := d.take(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

func (d *dec) u16(what string) uint16 {
	b := d.take(2, what)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (d *dec) date(field string, optional bool) time.Time {
	y, m, dd := d.u16(field), d.u8(field), d.u8(field)
	if d.err != nil {
		return time.Time{}
	}
	if y == 0 && m == 0 && dd == 0 {
		if !optional {
			d.fail("%s is missing", field)
		}
		return time.Time{}
	}
	t := time.Date(int(y), time.Month(m), int(dd), 0, 0, 0, 0, time.UTC)
	if y < minYear || y > maxYear || t.Year() != int(y) || t.Month() != time.Month(m) || t.Day() != int(dd) {
		d.fail("%s is not a valid date", field)
		return time.Time{}
	}
	return t
}

func (d *dec) instant(field string) time.Time {
	b := d.take(8, field)
	if b == nil {
		return time.Time{}
	}
	s := binary.BigEndian.Uint64(b)
	if s > uint64(time.Date(maxYear, 12, 31, 23, 59, 59, 0, time.UTC).Unix()) {
		d.fail("%s out of range", field)
		return time.Time{}
	}
	return time.Unix(int64(s), 0).UTC()
}

func (d *dec) end() {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
}

// checkString enforces what every string field must be, on both sides,
// so that whatever encodes also decodes: valid UTF-8 in NFC, no control,
// format (bidi) or unassigned-surrogate characters, bounded length.
func checkString(field, s string) error {
	if len(s) > maxString {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrMalformed, field, maxString)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrMalformed, field)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%w: %s holds control character %U", ErrMalformed, field, r)
		}
	}
	if !norm.NFC.IsNormalString(s) {
		return fmt.Errorf("%w: %s is not in Unicode NFC", ErrMalformed, field)
	}
	return nil
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
	e := &enc{b: make([]byte, 0, 384)}
	tb, ok := p.Token.bytes()
	if !ok {
		return nil, fmt.Errorf("%w: token %q is not canonical", ErrMalformed, p.Token)
	}
	e.raw(tb[:])
	e.str("number", p.Number)
	e.str("holder", p.HolderMasked)
	if p.BirthYear < minYear || p.BirthYear > maxYear {
		e.fail("birth year %d out of range", p.BirthYear)
	}
	e.u16(uint16(p.BirthYear))
	c := idTypeCode(p.IDType)
	if c == 0 {
		e.fail("unknown identity document type %q", p.IDType)
	}
	e.u8(c)
	e.str("id", p.IDMasked)
	e.str("taiwan name", p.TaiwanName)
	e.str("taiwan grade", p.TaiwanGrade)
	e.str("occupation code", p.OccupationCode)
	e.str("occupation name", p.OccupationName)
	e.str("level", p.Level)
	e.str("qualification", p.QualificationID)
	e.str("issuer", p.Issuer)
	e.date("issue date", p.IssueDate, false)
	e.date("valid until", p.ValidUntil, true)
	e.instant("signed at", p.SignedAt)
	e.raw(p.NameCheck[:])
	e.raw(p.PersonalDigest[:])
	if e.err == nil && p.Number == "" {
		e.fail("number is empty")
	}
	return e.b, e.err
}

// decodePublic parses a payload; it is the exact inverse of encodePublic.
func decodePublic(b []byte) (*Public, error) {
	d := &dec{b: b}
	p := &Public{Version: Version}
	var tb [tokenBytes]byte
	copy(tb[:], d.take(tokenBytes, "token"))
	p.Token = tokenFromBytes(tb)
	p.Number = d.str("number", maxString)
	p.HolderMasked = d.str("holder", maxString)
	p.BirthYear = int(d.u16("birth year"))
	if d.err == nil && (p.BirthYear < minYear || p.BirthYear > maxYear) {
		d.fail("birth year out of range")
	}
	t, ok := idTypeOf(d.u8("id type"))
	if d.err == nil && !ok {
		d.fail("unknown identity document type")
	}
	p.IDType = t
	p.IDMasked = d.str("id", maxString)
	p.TaiwanName = d.str("taiwan name", maxString)
	p.TaiwanGrade = d.str("taiwan grade", maxString)
	p.OccupationCode = d.str("occupation code", maxString)
	p.OccupationName = d.str("occupation name", maxString)
	p.Level = d.str("level", maxString)
	p.QualificationID = d.str("qualification", maxString)
	p.Issuer = d.str("issuer", maxString)
	p.IssueDate = d.date("issue date", false)
	p.ValidUntil = d.date("valid until", true)
	p.SignedAt = d.instant("signed at")
	copy(p.NameCheck[:], d.take(32, "name check"))
	copy(p.PersonalDigest[:], d.take(32, "personal digest"))
	d.end()
	if d.err == nil && p.Number == "" {
		d.fail("number is empty")
	}
	if d.err != nil {
		return nil, d.err
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
	e := &enc{b: make([]byte, 0, 64)}
	tb, ok := r.Token.bytes()
	if !ok {
		return nil, fmt.Errorf("%w: token %q is not canonical", ErrMalformed, r.Token)
	}
	e.raw(tb[:])
	e.str("number", r.Number)
	e.date("date", r.Date, false)
	c := reasonCode(r.Reason)
	if c == 0 {
		e.fail("unknown reason %q", r.Reason)
	}
	e.u8(c)
	e.instant("signed at", r.SignedAt)
	return e.b, e.err
}

func decodeRevocation(b []byte) (*Revocation, error) {
	d := &dec{b: b}
	r := &Revocation{}
	var tb [tokenBytes]byte
	copy(tb[:], d.take(tokenBytes, "token"))
	r.Token = tokenFromBytes(tb)
	r.Number = d.str("number", maxString)
	r.Date = d.date("date", false)
	c := d.u8("reason")
	if d.err == nil {
		if c == 0 || int(c) > len(Reasons()) {
			d.fail("unknown reason")
		} else {
			r.Reason = Reasons()[c-1]
		}
	}
	r.SignedAt = d.instant("signed at")
	d.end()
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

// MarshalBinary returns the canonical encoding of p (with its
// domain-separation prefix), the bytes [Personal.Digest] hashes and the
// issuer stores age-encrypted.
func (p *Personal) MarshalBinary() ([]byte, error) {
	e := &enc{b: make([]byte, 0, 128)}
	e.raw([]byte(personalPrefix))
	e.raw(p.Salt[:])
	e.str("name", p.Name)
	c := sexCode(p.Sex)
	if c == 0 {
		e.fail("sex must be 男 or 女, got %q", p.Sex)
	}
	e.u8(c)
	e.date("birth date", p.BirthDate, false)
	t := idTypeCode(p.IDType)
	if t == 0 {
		e.fail("unknown identity document type %q", p.IDType)
	}
	e.u8(t)
	e.str("id number", p.IDNumber)
	return e.b, e.err
}

// UnmarshalBinary parses the canonical encoding written by MarshalBinary.
func (p *Personal) UnmarshalBinary(b []byte) error {
	d := &dec{b: b}
	if string(d.take(len(personalPrefix), "prefix")) != personalPrefix {
		d.fail("not a personal record")
	}
	var q Personal
	copy(q.Salt[:], d.take(16, "salt"))
	q.Name = d.str("name", maxString)
	switch d.u8("sex") {
	case 1:
		q.Sex = "男"
	case 2:
		q.Sex = "女"
	default:
		d.fail("bad sex code")
	}
	q.BirthDate = d.date("birth date", false)
	t, ok := idTypeOf(d.u8("id type"))
	if d.err == nil && !ok {
		d.fail("unknown identity document type")
	}
	q.IDType = t
	q.IDNumber = d.str("id number", maxString)
	d.end()
	if d.err != nil {
		return d.err
	}
	*p = q
	return nil
}
