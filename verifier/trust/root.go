package trust

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// RootSet is one version of the root keys: the keys that sign trust lists.
type RootSet struct {
	Version   uint32
	SignedAt  time.Time
	Threshold int                 // signatures needed, 1 to len(Keys)
	Keys      []ed25519.PublicKey // sorted by kid
}

const maxRootKeys = 16

// KIDs returns the kids of the set's keys.
func (r *RootSet) keys() map[string]ed25519.PublicKey {
	m := make(map[string]ed25519.PublicKey, len(r.Keys))
	for _, k := range r.Keys {
		m[record.KeyID(k)] = k
	}
	return m
}

func (r *RootSet) encode() ([]byte, error) {
	e := format().Encoder(0)
	if r.Version == 0 {
		e.Fail("root set version 0")
	}
	e.U32(r.Version)
	e.Instant("signed at", r.SignedAt)
	if r.Threshold < 1 || r.Threshold > len(r.Keys) || len(r.Keys) > maxRootKeys {
		e.Fail("threshold %d of %d keys", r.Threshold, len(r.Keys))
	}
	e.U8(uint8(r.Threshold))
	e.U8(uint8(len(r.Keys)))
	sorted := slices.Clone(r.Keys)
	slices.SortFunc(sorted, func(a, b ed25519.PublicKey) int { return strings.Compare(record.KeyID(a), record.KeyID(b)) })
	for i, k := range sorted {
		if len(k) != ed25519.PublicKeySize {
			e.Fail("root key of %d bytes", len(k))
		} else if i > 0 && bytes.Equal(k, sorted[i-1]) {
			e.Fail("root key twice")
		}
		e.Raw(k)
	}
	return e.Result()
}

func decodeRootSet(b []byte) (*RootSet, error) {
	d := format().Decoder(b)
	r := &RootSet{Version: d.U32("version"), SignedAt: d.Instant("signed at"), Threshold: int(d.U8("threshold"))}
	n := int(d.U8("key count"))
	if d.Err() == nil && (n == 0 || n > maxRootKeys || r.Threshold < 1 || r.Threshold > n || r.Version == 0) {
		d.Fail("version %d, threshold %d of %d keys", r.Version, r.Threshold, n)
	}
	for i := 0; i < n && d.Err() == nil; i++ {
		k := ed25519.PublicKey(bytes.Clone(d.Take(ed25519.PublicKeySize, "root key")))
		if d.Err() == nil && i > 0 && record.KeyID(k) <= record.KeyID(r.Keys[i-1]) {
			d.Fail("root keys not sorted by kid, or repeated")
		}
		r.Keys = append(r.Keys, k)
	}
	d.End()
	if d.Err() != nil {
		return nil, d.Err()
	}
	return r, nil
}

// Sign returns the signed root set. Version 1 is signed by its own keys;
// a later version by the keys of the version before and its own: pass
// them all (at least the threshold of each).
func (r *RootSet) Sign(keys ...ed25519.PrivateKey) ([]byte, error) {
	p, err := r.encode()
	if err != nil {
		return nil, fmt.Errorf("trust: root set: %w", err)
	}
	return signObject(magicRoot, prefixRoot, p, keys...)
}

// Hash is the SHA-256 of a signed object's bytes, as the head pins it.
func Hash(b []byte) [32]byte { return sha256.Sum256(b) }

// openRootSet checks a signed root set: against prev's keys and threshold
// first (before decoding) when prev is not nil, then against its own.
func openRootSet(b []byte, prev *RootSet) (*RootSet, error) {
	s, err := parseSigned(magicRoot, prefixRoot, b)
	if err != nil {
		return nil, err
	}
	if prev != nil {
		if n := len(s.verifiedBy(prev.keys())); n < prev.Threshold {
			return nil, fmt.Errorf("%w: root set signed by %d keys of version %d, which needs %d", ErrSignature, n, prev.Version, prev.Threshold)
		}
	}
	r, err := decodeRootSet(s.payload)
	if err != nil {
		return nil, err
	}
	if n := len(s.verifiedBy(r.keys())); n < r.Threshold {
		return nil, fmt.Errorf("%w: root set version %d signed by %d of its own keys, needs %d", ErrSignature, r.Version, n, r.Threshold)
	}
	if prev != nil && r.Version != prev.Version+1 {
		return nil, fmt.Errorf("%w: root set version %d follows version %d", ErrMalformed, r.Version, prev.Version)
	}
	return r, nil
}

// Pin is what a verifier is configured with: a signed root set (normally
// version 1) it trusts without proof, from the trust-root.pub file.
type Pin struct {
	Root  *RootSet
	Bytes []byte // the signed root set
}

const pinHeader = "qualbridge-trust-root-v2 "

// FormatPin returns the trust-root.pub file for a signed root set.
func FormatPin(signedRoot []byte) ([]byte, error) {
	if _, err := openRootSet(signedRoot, nil); err != nil {
		return nil, err
	}
	return []byte("# qualbridge trust root: public; give this file to every verifier (-trust-root)\n" +
		pinHeader + base64.StdEncoding.EncodeToString(signedRoot) + "\n"), nil
}

// ParsePin reads a trust-root.pub file and checks the root set's own
// signatures.
func ParsePin(b []byte) (*Pin, error) {
	if len(b) > 2*maxSigned {
		return nil, fmt.Errorf("%w: trust root file too long", ErrMalformed)
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, ok := strings.CutPrefix(line, pinHeader)
		if !ok {
			return nil, fmt.Errorf("%w: not a trust root file (want a line starting %q)", ErrMalformed, strings.TrimSpace(pinHeader))
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: trust root is not base64", ErrMalformed)
		}
		r, err := openRootSet(raw, nil)
		if err != nil {
			return nil, err
		}
		return &Pin{Root: r, Bytes: raw}, nil
	}
	return nil, fmt.Errorf("%w: trust root file holds no root", ErrMalformed)
}

// OpenRoots checks a chain of signed root sets, version 1 up: the first
// must be the pinned one, and each later one signed by the one before
// and by itself. It returns the newest root set, which signs trust lists.
func OpenRoots(pin *Pin, roots [][]byte) (*RootSet, error) {
	if len(roots) == 0 || Hash(roots[0]) != Hash(pin.Bytes) {
		return nil, fmt.Errorf("%w: root set version %d is not the pinned one", ErrSignature, pin.Root.Version)
	}
	root := pin.Root
	for _, b := range roots[1:] {
		next, err := openRootSet(b, root)
		if err != nil {
			return nil, err
		}
		root = next
	}
	return root, nil
}
