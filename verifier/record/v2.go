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
	e := &enc{b: make([]byte, 0, 384)}
	e.raw(c.Locator[:])
	e.str("number", c.Number)
	e.str("holder", c.HolderMasked)
	if c.BirthYear < minYear || c.BirthYear > maxYear {
		e.fail("birth year %d out of range", c.BirthYear)
	}
	e.u16(uint16(c.BirthYear))
	t := idTypeCode(c.IDType)
	if t == 0 {
		e.fail("unknown identity document type %q", c.IDType)
	}
	e.u8(t)
	e.str("id", c.IDMasked)
	e.str("taiwan name", c.TaiwanName)
	e.str("taiwan grade", c.TaiwanGrade)
	e.str("occupation code", c.OccupationCode)
	e.str("occupation name", c.OccupationName)
	e.str("level", c.Level)
	e.str("qualification", c.QualificationID)
	e.str("issuer", c.Issuer)
	e.date("issue date", c.IssueDate, false)
	e.date("valid until", c.ValidUntil, true)
	e.instant("signed at", c.SignedAt)
	if c.Generation == 0 {
		e.fail("generation must be 1 or more")
	}
	e.b = binary.BigEndian.AppendUint32(e.b, c.Generation)
	e.raw(c.PersonalDigest[:])
	if e.err == nil && c.Number == "" {
		e.fail("number is empty")
	}
	if e.err == nil && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.IssueDate) {
		e.fail("valid until is before the issue date")
	}
	return e.b, e.err
}

func decodeCertificate(b []byte, trusted bool) (*Certificate, error) {
	d := &dec{b: b, trusted: trusted, all: string(b), base: len(b)}
	c := &Certificate{}
	copy(c.Locator[:], d.take(LocatorSize, "locator"))
	c.Number = d.str("number", maxString)
	c.HolderMasked = d.str("holder", maxString)
	c.BirthYear = int(d.u16("birth year"))
	if d.err == nil && (c.BirthYear < minYear || c.BirthYear > maxYear) {
		d.fail("birth year out of range")
	}
	t, ok := idTypeOf(d.u8("id type"))
	if d.err == nil && !ok {
		d.fail("unknown identity document type")
	}
	c.IDType = t
	c.IDMasked = d.str("id", maxString)
	c.TaiwanName = d.str("taiwan name", maxString)
	c.TaiwanGrade = d.str("taiwan grade", maxString)
	c.OccupationCode = d.str("occupation code", maxString)
	c.OccupationName = d.str("occupation name", maxString)
	c.Level = d.str("level", maxString)
	c.QualificationID = d.str("qualification", maxString)
	c.Issuer = d.str("issuer", maxString)
	c.IssueDate = d.date("issue date", false)
	c.ValidUntil = d.date("valid until", true)
	c.SignedAt = d.instant("signed at")
	if g := d.take(4, "generation"); g != nil {
		c.Generation = binary.BigEndian.Uint32(g)
	}
	copy(c.PersonalDigest[:], d.take(32, "personal digest"))
	d.end()
	if d.err == nil && c.Number == "" {
		d.fail("number is empty")
	}
	if d.err == nil && c.Generation == 0 {
		d.fail("generation 0")
	}
	if d.err == nil && !c.ValidUntil.IsZero() && c.ValidUntil.Before(c.IssueDate) {
		d.fail("valid until is before the issue date")
	}
	if d.err != nil {
		return nil, d.err
	}
	return c, nil
}

func encodeCancellation(c *Cancellation) ([]byte, error) {
	e := &enc{b: make([]byte, 0, 48)}
	e.raw(c.Locator[:])
	e.date("date", c.Date, false)
	r := reasonCode(c.Reason)
	if r == 0 {
		e.fail("unknown reason %q", c.Reason)
	}
	e.u8(r)
	e.instant("signed at", c.SignedAt)
	return e.b, e.err
}

func decodeCancellation(b []byte) (*Cancellation, error) {
	d := &dec{b: b}
	c := &Cancellation{}
	copy(c.Locator[:], d.take(LocatorSize, "locator"))
	c.Date = d.date("date", false)
	r := d.u8("reason")
	if d.err == nil {
		if r == 0 || int(r) > len(Reasons()) {
			d.fail("unknown reason")
		} else {
			c.Reason = Reasons()[r-1]
		}
	}
	c.SignedAt = d.instant("signed at")
	d.end()
	if d.err != nil {
		return nil, d.err
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
