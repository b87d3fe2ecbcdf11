package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// KeyStatus is the life-cycle state of a signing key.
type KeyStatus string

const (
	// KeyActive keys may sign now (inside their window).
	KeyActive KeyStatus = "active"
	// KeyRetired keys sign no more; what they signed inside their window
	// stays genuine.
	KeyRetired KeyStatus = "retired"
	// KeyCompromised keys are distrusted: nothing they signed is genuine.
	KeyCompromised KeyStatus = "compromised"
)

// TrustedKey is one of the centre's public keys with the window in which
// it may sign.
type TrustedKey struct {
	KID       string
	PublicKey ed25519.PublicKey
	NotBefore time.Time
	NotAfter  time.Time
	Status    KeyStatus
	Issuer    string // the body the key signs for
}

// TrustList is the centre's public keys. It is a JSON file that the site
// publishes (also at /.well-known/qualbridge-trust.json) and the verifier
// loads.
type TrustList struct {
	Keys []TrustedKey
}

// KeyID derives a key's id from its public key: lowercase base32 of the
// first 10 bytes of SHA-256("qualbridge/kid/v1" || pub), 16 characters.
// Deriving it means a kid cannot be attached to the wrong key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.New()
	h.Write([]byte("qualbridge/kid/v1"))
	h.Write(pub)
	sum := h.Sum(nil)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}

// trustFile is the JSON form. Times are RFC 3339 in UTC.
type trustFile struct {
	Version int        `json:"version"`
	Keys    []trustKey `json:"keys"`
}

type trustKey struct {
	KID       string    `json:"kid"`
	PublicKey string    `json:"public_key"` // standard base64 of the 32-byte Ed25519 key
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Status    KeyStatus `json:"status"`
	Issuer    string    `json:"issuer,omitempty"`
}

// ParseTrustList parses and checks a trust list: it rejects unknown
// fields, keys that are not 32 bytes, a kid that does not equal
// KeyID(public key), duplicates, unknown statuses and empty windows.
func ParseTrustList(data []byte) (*TrustList, error) {
	var f trustFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: trust list: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trust list: data after the JSON object", ErrMalformed)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("%w: trust list: version %d, want 1", ErrMalformed, f.Version)
	}
	tl := &TrustList{}
	seen := map[string]bool{}
	for i, k := range f.Keys {
		pub, err := base64.StdEncoding.Strict().DecodeString(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("%w: trust list: key %d: public_key is not base64", ErrMalformed, i+1)
		}
		tk := TrustedKey{KID: k.KID, PublicKey: pub, NotBefore: k.NotBefore.UTC(), NotAfter: k.NotAfter.UTC(), Status: k.Status, Issuer: k.Issuer}
		if err := tk.check(); err != nil {
			return nil, fmt.Errorf("%w: trust list: key %d: %v", ErrMalformed, i+1, err)
		}
		if seen[k.KID] {
			return nil, fmt.Errorf("%w: trust list: key %d: duplicate kid %s", ErrMalformed, i+1, k.KID)
		}
		seen[k.KID] = true
		tl.Keys = append(tl.Keys, tk)
	}
	tl.sort()
	return tl, nil
}

func (k *TrustedKey) check() error {
	if len(k.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("public key is %d bytes, want %d", len(k.PublicKey), ed25519.PublicKeySize)
	}
	if want := KeyID(k.PublicKey); k.KID != want {
		return fmt.Errorf("kid %q does not match its public key (want %s)", k.KID, want)
	}
	switch k.Status {
	case KeyActive, KeyRetired, KeyCompromised:
	default:
		return fmt.Errorf("status %q is not active, retired or compromised", k.Status)
	}
	if k.NotBefore.IsZero() || k.NotAfter.IsZero() || !k.NotBefore.Before(k.NotAfter) {
		return fmt.Errorf("window %s .. %s is empty", k.NotBefore.Format(time.RFC3339), k.NotAfter.Format(time.RFC3339))
	}
	return nil
}

// sort orders keys by the start of their window, then kid, so that the
// file is the same whatever order keys were added in.
func (tl *TrustList) sort() {
	sort.Slice(tl.Keys, func(i, j int) bool {
		a, b := tl.Keys[i], tl.Keys[j]
		if !a.NotBefore.Equal(b.NotBefore) {
			return a.NotBefore.Before(b.NotBefore)
		}
		return a.KID < b.KID
	})
}

// Marshal returns the canonical JSON form: keys sorted, indented, UTC
// times, a final newline. It refuses a list ParseTrustList would refuse.
func (tl *TrustList) Marshal() ([]byte, error) {
	c := &TrustList{Keys: append([]TrustedKey(nil), tl.Keys...)}
	c.sort()
	f := trustFile{Version: 1, Keys: []trustKey{}}
	seen := map[string]bool{}
	for i := range c.Keys {
		k := c.Keys[i]
		k.NotBefore, k.NotAfter = k.NotBefore.UTC().Truncate(time.Second), k.NotAfter.UTC().Truncate(time.Second)
		if err := k.check(); err != nil {
			return nil, fmt.Errorf("trust list: %v", err)
		}
		if seen[k.KID] {
			return nil, fmt.Errorf("trust list: duplicate kid %s", k.KID)
		}
		seen[k.KID] = true
		f.Keys = append(f.Keys, trustKey{
			KID: k.KID, PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey),
			NotBefore: k.NotBefore, NotAfter: k.NotAfter, Status: k.Status, Issuer: k.Issuer,
		})
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Key returns the key named kid.
func (tl *TrustList) Key(kid string) (TrustedKey, bool) {
	for _, k := range tl.Keys {
		if k.KID == kid {
			return k, true
		}
	}
	return TrustedKey{}, false
}
