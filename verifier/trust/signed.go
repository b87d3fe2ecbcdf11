package trust

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Errors callers branch on; every error of the package for bad input
// wraps one of them.
var (
	// ErrMalformed: bytes that are not the one encoding of a value.
	ErrMalformed = errors.New("malformed")
	// ErrSignature: a signature is missing, does not verify, or is made
	// by a key that may not sign this object.
	ErrSignature = errors.New("bad signature")
)

// Object types: the 4-byte magic that starts each signed object, and the
// domain-separation prefix its signatures cover.
const (
	magicRoot  = "QBR2"
	magicList  = "QBT2"
	magicHead  = "QBH2"
	prefixRoot = "qualbridge/root/v2\x00"
	prefixList = "qualbridge/trust-list/v2\x00"
	prefixHead = "qualbridge/head/v2\x00"
)

// Limits checked before anything is decoded.
const (
	maxSigned     = 1 << 20 // bytes of one signed object
	maxSignatures = 16
	maxKID        = 64
	sigSize       = ed25519.SignatureSize
)

// signature is one (kid, signature) pair of a signed object.
type signature struct {
	kid string
	sig []byte
}

// signed is a parsed signed object: its payload is not decoded yet.
type signed struct {
	msg     []byte // the signed bytes: prefix || magic || uvarint len || payload
	payload []byte
	sigs    []signature
}

// signObject frames payload and signs it with every key.
func signObject(magic, prefix string, payload []byte, keys ...ed25519.PrivateKey) ([]byte, error) {
	if len(keys) == 0 || len(keys) > maxSignatures {
		return nil, fmt.Errorf("trust: %d signing keys, want 1 to %d", len(keys), maxSignatures)
	}
	body := append([]byte(magic), binary.AppendUvarint(nil, uint64(len(payload)))...)
	body = append(body, payload...)
	msg := append([]byte(prefix), body...)
	out := append(body, byte(len(keys)))
	seen := map[string]bool{}
	for _, k := range keys {
		kid := record.KeyID(k.Public().(ed25519.PublicKey))
		if seen[kid] {
			return nil, fmt.Errorf("trust: key %s signs twice", kid)
		}
		seen[kid] = true
		out = binary.AppendUvarint(out, uint64(len(kid)))
		out = append(out, kid...)
		out = append(out, ed25519.Sign(k, msg)...)
	}
	if len(out) > maxSigned {
		return nil, fmt.Errorf("trust: signed object of %d bytes is over the limit of %d", len(out), maxSigned)
	}
	return out, nil
}

// parseSigned reads the framing of a signed object of the given magic.
func parseSigned(magic, prefix string, b []byte) (*signed, error) {
	if len(b) > maxSigned {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrMalformed, len(b), maxSigned)
	}
	if len(b) < 4 || string(b[:4]) != magic {
		return nil, fmt.Errorf("%w: not a %s object", ErrMalformed, magic)
	}
	d := format().Decoder(b[4:])
	n := d.Uvarint("payload")
	payload := d.Take(int(min(n, maxSigned)), "payload")
	bodyLen := len(b) - len(d.Rest())
	count := int(d.U8("signature count"))
	if d.Err() == nil && (count == 0 || count > maxSignatures) {
		d.Fail("%d signatures", count)
	}
	s := &signed{payload: payload}
	for i := 0; i < count && d.Err() == nil; i++ {
		kid := string(d.Take(int(min(d.Uvarint("kid"), maxKID+1)), "kid"))
		if d.Err() == nil && (len(kid) == 0 || len(kid) > maxKID) {
			d.Fail("bad kid length")
		}
		sig := d.Take(sigSize, "signature")
		s.sigs = append(s.sigs, signature{kid: kid, sig: sig})
	}
	d.End()
	if d.Err() != nil {
		return nil, d.Err()
	}
	s.msg = append([]byte(prefix), b[:bodyLen]...)
	return s, nil
}

// verifiedBy returns the kids among keys (kid → public key) whose
// signature on s verifies. A signature by a kid not in keys is ignored.
func (s *signed) verifiedBy(keys map[string]ed25519.PublicKey) map[string]bool {
	ok := map[string]bool{}
	for _, sg := range s.sigs {
		pub, known := keys[sg.kid]
		if known && len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, s.msg, sg.sig) {
			ok[sg.kid] = true
		}
	}
	return ok
}
