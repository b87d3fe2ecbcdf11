package record

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"
)

// Signer signs certificates and revocations with one of the centre's
// keys. It is the only holder of a private key in this package.
type Signer struct {
	priv ed25519.PrivateKey
	kid  string
}

// NewSigner returns a signer for priv; its kid is derived from the
// public half.
func NewSigner(priv ed25519.PrivateKey) *Signer {
	return &Signer{priv: priv, kid: KeyID(priv.Public().(ed25519.PublicKey))}
}

// KID returns the signer's key id.
func (s *Signer) KID() string { return s.kid }

// Public returns the signer's public key.
func (s *Signer) Public() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// Sign sets p's Version, KID and SignedAt (now, truncated to whole
// seconds in UTC) and returns the signed envelope. It refuses a record
// that would not decode again (bad token, dates, strings).
func (s *Signer) Sign(p *Public, now time.Time) ([]byte, error) {
	q := *p
	q.Version, q.KID, q.SignedAt = Version, s.kid, now.UTC().Truncate(time.Second)
	payload, err := encodePublic(&q)
	if err != nil {
		return nil, err
	}
	*p = q
	return s.frame(Version, certPrefix, payload), nil
}

// SignRevocation sets r's KID and SignedAt and returns the signed envelope.
func (s *Signer) SignRevocation(r *Revocation, now time.Time) ([]byte, error) {
	q := *r
	q.KID, q.SignedAt = s.kid, now.UTC().Truncate(time.Second)
	payload, err := encodeRevocation(&q)
	if err != nil {
		return nil, err
	}
	*r = q
	return s.frame(Version, revocationPrefix, payload), nil
}

// frame frames payload under version and appends the signature over
// prefix || frame.
func (s *Signer) frame(version byte, prefix string, payload []byte) []byte {
	env := make([]byte, 0, 1+1+len(s.kid)+3+len(payload)+sigSize)
	env = append(env, version)
	env = binary.AppendUvarint(env, uint64(len(s.kid)))
	env = append(env, s.kid...)
	env = binary.AppendUvarint(env, uint64(len(payload)))
	env = append(env, payload...)
	msg := make([]byte, 0, len(prefix)+len(env))
	msg = append(append(msg, prefix...), env...)
	return append(env, ed25519.Sign(s.priv, msg)...)
}

// envelope is the framing of a signed record, parsed without looking
// inside the payload.
type envelope struct {
	kid     string
	signed  []byte // every byte before the signature
	payload []byte
	sig     []byte
}

func parseEnvelope(b []byte, version byte) (*envelope, error) {
	if len(b) > maxEnvelope {
		return nil, fmt.Errorf("%w: envelope of %d bytes is too long", ErrMalformed, len(b))
	}
	if len(b) < 1+sigSize {
		return nil, fmt.Errorf("%w: envelope too short", ErrMalformed)
	}
	if b[0] != version {
		return nil, fmt.Errorf("%w: envelope version %d, want %d", ErrMalformed, b[0], version)
	}
	d := format().Decoder(b[1 : len(b)-sigSize])
	kid := string(d.Take(int(min(d.Uvarint("kid"), maxKID+1)), "kid"))
	if d.Err() == nil && (len(kid) == 0 || len(kid) > maxKID) {
		d.Fail("bad kid length")
	}
	for i := 0; d.Err() == nil && i < len(kid); i++ {
		if c := kid[i]; !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			d.Fail("kid has a character outside a-z2-7")
		}
	}
	n := d.Uvarint("payload")
	if d.Err() == nil && n != uint64(len(d.Rest())) {
		d.Fail("payload length %d does not match the %d bytes before the signature", n, len(d.Rest()))
	}
	if d.Err() != nil {
		return nil, d.Err()
	}
	return &envelope{kid: kid, signed: b[:len(b)-sigSize], payload: d.Rest(), sig: b[len(b)-sigSize:]}, nil
}

// open checks the envelope's signature and the key's status; the
// payload is not decoded yet.
func (tl *TrustList) open(prefix string, b []byte) (*envelope, TrustedKey, error) {
	env, err := parseEnvelope(b, Version)
	if err != nil {
		return nil, TrustedKey{}, err
	}
	k, ok := tl.Key(env.kid)
	if !ok {
		return nil, k, fmt.Errorf("%w: kid %s", ErrUnknownKey, env.kid)
	}
	if len(k.PublicKey) != ed25519.PublicKeySize {
		// A trust list built by hand rather than by ParseTrustList;
		// ed25519.Verify would panic on it.
		return nil, k, fmt.Errorf("%w: key %s has a %d-byte public key", ErrUnknownKey, env.kid, len(k.PublicKey))
	}
	msg := make([]byte, 0, len(prefix)+len(env.signed))
	msg = append(append(msg, prefix...), env.signed...)
	if !ed25519.Verify(k.PublicKey, msg, env.sig) {
		return nil, k, fmt.Errorf("%w: signature does not verify with key %s", ErrBadSignature, env.kid)
	}
	if k.Status == KeyCompromised {
		return nil, k, fmt.Errorf("%w: key %s", ErrKeyCompromised, env.kid)
	}
	return env, k, nil
}

func checkWindow(k TrustedKey, signedAt time.Time) error {
	if signedAt.Before(k.NotBefore) || signedAt.After(k.NotAfter) {
		return fmt.Errorf("%w: signed %s, key %s may sign %s .. %s", ErrOutsideWindow,
			signedAt.Format(time.RFC3339), k.KID, k.NotBefore.Format(time.RFC3339), k.NotAfter.Format(time.RFC3339))
	}
	return nil
}

// Verify checks the envelope's signature with the key its kid names
// before parsing the payload, then parses it and checks SignedAt against
// the key's window. It returns the public part with KID set.
func (tl *TrustList) Verify(envelope []byte) (*Public, error) {
	env, k, err := tl.open(certPrefix, envelope)
	if err != nil {
		return nil, err
	}
	p, err := decodePublic(env.payload)
	if err != nil {
		return nil, err
	}
	p.KID = env.kid
	if err := checkWindow(k, p.SignedAt); err != nil {
		return nil, err
	}
	return p, nil
}

// VerifyRevocation is Verify for a revocation envelope.
func (tl *TrustList) VerifyRevocation(envelope []byte) (*Revocation, error) {
	env, k, err := tl.open(revocationPrefix, envelope)
	if err != nil {
		return nil, err
	}
	r, err := decodeRevocation(env.payload)
	if err != nil {
		return nil, err
	}
	r.KID = env.kid
	if err := checkWindow(k, r.SignedAt); err != nil {
		return nil, err
	}
	return r, nil
}
