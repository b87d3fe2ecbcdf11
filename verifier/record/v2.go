package record

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// Version 2 is the format of the verifier snapshot (docs/certificate-format.md).
// Against version 1 it names a certificate by its [Locator] instead of its
// token, drops the name check (a value anyone holding the token could
// test names against), and adds a generation that every re-signing
// raises. Revocations name locators and carry no certificate number.
const Version2 = 2

// Domain-separation prefixes of version 2.
const (
	certPrefix2   = "qualbridge/cert/v2\x00"
	cancelPrefix2 = "qualbridge/revocation/v2\x00"
)

// LocatorSize is the length of a [Locator] in bytes.
const LocatorSize = 16

// Locator names a sealed certificate in a snapshot. It is derived
// one-way from the token (or, for the lookup copy, from the manual-lookup
// key): see package seal. Holding a locator tells nothing about the token.
type Locator [LocatorSize]byte

// String is the locator in lowercase hex, for logs and files.
func (l Locator) String() string { return hex.EncodeToString(l[:]) }

// Certificate is the public part of a version-2 certificate: what a
// verifier may show to whoever holds the token (or the printed number,
// name and document number). Every holder field is masked by the issuer.
type Certificate struct {
	Locator         Locator   // the token copy's locator (see seal.TokenKeys)
	Number          string    // certificate number (证书编号)
	HolderMasked    string    // 陈*明
	BirthYear       int       // year of birth only
	IDType          IDType    // permit or residence
	IDMasked        string    // ****1234
	TaiwanName      string    // Taiwan qualification
	TaiwanGrade     string    // may be empty
	OccupationCode  string    // 4-10-01-05
	OccupationName  string    // 养老护理员
	Level           string    // 四级
	QualificationID string    // catalog qualification id
	Issuer          string    // the issuing body
	IssueDate       time.Time // civil date, UTC midnight
	ValidUntil      time.Time // civil date, UTC midnight; zero = no expiry
	SignedAt        time.Time // whole seconds, UTC
	Generation      uint32    // 1 when first signed, raised by every re-signing
	PersonalDigest  [32]byte  // SHA-256 of the salted Personal record's encoding
	KID             string    // from the envelope
}

// Cancellation is a version-2 revocation: the signed statement that the
// certificate at Locator is revoked (注销). It carries no certificate
// number, so that a snapshot's revocation list says nothing readable.
type Cancellation struct {
	Locator  Locator
	Date     time.Time // civil date, UTC midnight
	Reason   Reason
	SignedAt time.Time // whole seconds, UTC
	KID      string    // from the envelope
}

func encodeCertificate(c *Certificate) ([]byte, error) {
	e := format().Encoder(384)
	e.Raw(c.Locator[:])
	e.Str("number", c.Number)
	e.Str("holder", c.HolderMasked)
	if c.BirthYear < minYear || c.BirthYear > maxYear {
		e.Fail("birth year %d out of range", c.BirthYear)
	}
	e.U16(uint16(c.BirthYear))
	t := idTypeCode(c.IDType)
	if t == 0 {
		e.Fail("unknown identity document type %q", c.IDType)
	}
	e.U8(t)
	e.Str("id", c.IDMasked)
	e.Str("taiwan name", c.TaiwanName)
	e.Str("taiwan grade", c.TaiwanGrade)
	e.Str("occupation code", c.OccupationCode)
	e.Str("occupation name", c.OccupationName)
	e.Str("level", c.Level)
	e.Str("qualification", c.QualificationID)
	e.Str("issuer", c.Issuer)
	e.Date("issue date", c.IssueDate, false)
	e.Date("valid until", c.ValidUntil, true)
	e.Instant("signed at", c.SignedAt)
	if c.Generation == 0 {
		e.Fail("generation must be 1 or more")
	}
	e.U32(c.Generation)
	e.Raw(c.PersonalDigest[:])
	if e.Err() == nil && c.Number == "" {
		e.Fail("number is empty")
	}
	if e.Err() == nil && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.IssueDate) {
		e.Fail("valid until is before the issue date")
	}
	return e.Result()
}

func decodeCertificate(b []byte, trusted bool) (*Certificate, error) {
	d := format().SharedDecoder(b, trusted)
	c := &Certificate{}
	copy(c.Locator[:], d.Take(LocatorSize, "locator"))
	c.Number = d.Str("number", maxString)
	c.HolderMasked = d.Str("holder", maxString)
	c.BirthYear = int(d.U16("birth year"))
	if d.Err() == nil && (c.BirthYear < minYear || c.BirthYear > maxYear) {
		d.Fail("birth year out of range")
	}
	t, ok := idTypeOf(d.U8("id type"))
	if d.Err() == nil && !ok {
		d.Fail("unknown identity document type")
	}
	c.IDType = t
	c.IDMasked = d.Str("id", maxString)
	c.TaiwanName = d.Str("taiwan name", maxString)
	c.TaiwanGrade = d.Str("taiwan grade", maxString)
	c.OccupationCode = d.Str("occupation code", maxString)
	c.OccupationName = d.Str("occupation name", maxString)
	c.Level = d.Str("level", maxString)
	c.QualificationID = d.Str("qualification", maxString)
	c.Issuer = d.Str("issuer", maxString)
	c.IssueDate = d.Date("issue date", false)
	c.ValidUntil = d.Date("valid until", true)
	c.SignedAt = d.Instant("signed at")
	if g := d.Take(4, "generation"); g != nil {
		c.Generation = binary.BigEndian.Uint32(g)
	}
	copy(c.PersonalDigest[:], d.Take(32, "personal digest"))
	d.End()
	if d.Err() == nil && c.Number == "" {
		d.Fail("number is empty")
	}
	if d.Err() == nil && c.Generation == 0 {
		d.Fail("generation 0")
	}
	if d.Err() == nil && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.IssueDate) {
		d.Fail("valid until is before the issue date")
	}
	if d.Err() != nil {
		return nil, d.Err()
	}
	return c, nil
}

func encodeCancellation(c *Cancellation) ([]byte, error) {
	e := format().Encoder(48)
	e.Raw(c.Locator[:])
	e.Date("date", c.Date, false)
	r := reasonCode(c.Reason)
	if r == 0 {
		e.Fail("unknown reason %q", c.Reason)
	}
	e.U8(r)
	e.Instant("signed at", c.SignedAt)
	return e.Result()
}

func decodeCancellation(b []byte) (*Cancellation, error) {
	d := format().Decoder(b)
	c := &Cancellation{}
	copy(c.Locator[:], d.Take(LocatorSize, "locator"))
	c.Date = d.Date("date", false)
	r := d.U8("reason")
	if d.Err() == nil {
		if r == 0 || int(r) > len(Reasons()) {
			d.Fail("unknown reason")
		} else {
			c.Reason = Reasons()[r-1]
		}
	}
	c.SignedAt = d.Instant("signed at")
	d.End()
	if d.Err() != nil {
		return nil, d.Err()
	}
	return c, nil
}

// SignCertificate sets c's KID and SignedAt (now, whole seconds, UTC)
// and returns the version-2 envelope. It refuses a record that would not
// decode again.
func (s *Signer) SignCertificate(c *Certificate, now time.Time) ([]byte, error) {
	q := *c
	q.KID, q.SignedAt = s.kid, now.UTC().Truncate(time.Second)
	payload, err := encodeCertificate(&q)
	if err != nil {
		return nil, err
	}
	*c = q
	return s.frame(Version2, certPrefix2, payload), nil
}

// SignCancellation sets c's KID and SignedAt and returns the version-2
// revocation envelope.
func (s *Signer) SignCancellation(c *Cancellation, now time.Time) ([]byte, error) {
	q := *c
	q.KID, q.SignedAt = s.kid, now.UTC().Truncate(time.Second)
	payload, err := encodeCancellation(&q)
	if err != nil {
		return nil, err
	}
	*c = q
	return s.frame(Version2, cancelPrefix2, payload), nil
}

// KeyFunc returns the public key a kid names; the caller checks the key's
// role, status and window on the record it gets back.
type KeyFunc func(kid string) (ed25519.PublicKey, bool)

// open2 parses the framing of a version-2 envelope and checks its
// signature with the key kid names, before anything of the payload is read.
func open2(prefix string, b []byte, key KeyFunc) (*envelope, error) {
	env, err := parseEnvelope(b, Version2)
	if err != nil {
		return nil, err
	}
	pub, ok := key(env.kid)
	if !ok {
		return nil, fmt.Errorf("%w: kid %s", ErrUnknownKey, env.kid)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: key %s has a %d-byte public key", ErrUnknownKey, env.kid, len(pub))
	}
	msg := make([]byte, 0, len(prefix)+len(env.signed))
	msg = append(append(msg, prefix...), env.signed...)
	if !ed25519.Verify(pub, msg, env.sig) {
		return nil, fmt.Errorf("%w: signature does not verify with key %s", ErrBadSignature, env.kid)
	}
	return env, nil
}

// OpenCertificate checks a version-2 certificate envelope's signature with
// the key its kid names and only then decodes it. The caller checks the
// key's status and window against the returned SignedAt and KID.
func OpenCertificate(envelope []byte, key KeyFunc) (*Certificate, error) {
	env, err := open2(certPrefix2, envelope, key)
	if err != nil {
		return nil, err
	}
	c, err := decodeCertificate(env.payload, false)
	if err != nil {
		return nil, err
	}
	c.KID = env.kid
	return c, nil
}

// DecodeCheckedCertificate decodes a version-2 certificate envelope
// WITHOUT checking its signature. It is only for bytes whose signature
// [OpenCertificate] has checked before (the verifier's memo keeps that
// fact keyed by a hash of the exact bytes); anything else must go through
// OpenCertificate. Having decoded once, the bytes are not checked for
// canonical strings again.
func DecodeCheckedCertificate(envelope []byte) (*Certificate, error) {
	env, err := parseEnvelope(envelope, Version2)
	if err != nil {
		return nil, err
	}
	c, err := decodeCertificate(env.payload, true)
	if err != nil {
		return nil, err
	}
	c.KID = env.kid
	return c, nil
}

// OpenCancellation is OpenCertificate for a version-2 revocation envelope.
func OpenCancellation(envelope []byte, key KeyFunc) (*Cancellation, error) {
	env, err := open2(cancelPrefix2, envelope, key)
	if err != nil {
		return nil, err
	}
	c, err := decodeCancellation(env.payload)
	if err != nil {
		return nil, err
	}
	c.KID = env.kid
	return c, nil
}

// EnvelopeKID returns the kid of a version-2 envelope without checking
// anything else; for error messages and for choosing which key to check.
func EnvelopeKID(envelope []byte) (string, error) {
	env, err := parseEnvelope(envelope, Version2)
	if err != nil {
		return "", err
	}
	return env.kid, nil
}

// MaxEnvelope is the longest envelope either version reads.
const MaxEnvelope = maxEnvelope
