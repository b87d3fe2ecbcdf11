package trust

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Role is what a key of the trust list may sign.
type Role uint8

const (
	// RoleSigning keys sign certificates and revocations.
	RoleSigning Role = 1
	// RoleTimestamp keys sign heads, nothing else.
	RoleTimestamp Role = 2
)

func (r Role) String() string {
	switch r {
	case RoleSigning:
		return "signing"
	case RoleTimestamp:
		return "timestamp"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// Status is a key's life-cycle state.
type Status uint8

const (
	// Active keys may sign inside their window.
	Active Status = 1
	// Retired keys sign no more; what they signed inside their window
	// stays genuine.
	Retired Status = 2
	// Compromised keys are distrusted: nothing they signed is genuine.
	Compromised Status = 3
)

func (s Status) String() string {
	switch s {
	case Active:
		return "active"
	case Retired:
		return "retired"
	case Compromised:
		return "compromised"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Key is one key of the trust list.
type Key struct {
	KID       string // derived: record.KeyID(PublicKey)
	PublicKey ed25519.PublicKey
	Role      Role
	Status    Status
	NotBefore time.Time // the window in which it may sign
	NotAfter  time.Time
	Issuer    string // the body a signing key signs for
}

// List is the trust list: the root-signed set of signing and timestamp
// keys.
type List struct {
	Seq         uint64 // raised by every new list
	SignedAt    time.Time
	Expires     time.Time
	RootVersion uint32 // the root set that signs it
	Keys        []Key  // sorted by kid
}

const maxKeys = 1024

// Key returns the key named kid.
func (l *List) Key(kid string) (Key, bool) {
	i, ok := slices.BinarySearchFunc(l.Keys, kid, func(k Key, kid string) int { return strings.Compare(k.KID, kid) })
	if !ok {
		return Key{}, false
	}
	return l.Keys[i], true
}

// May reports whether kid may sign an object of role at signedAt: the
// key exists with that role, is not compromised, and signedAt is inside
// its window. A retired key's past signatures stay good.
func (l *List) May(kid string, role Role, signedAt time.Time) error {
	k, ok := l.Key(kid)
	switch {
	case !ok:
		return fmt.Errorf("%w: key %s is not in the trust list", ErrSignature, kid)
	case k.Role != role:
		return fmt.Errorf("%w: key %s is a %s key, not a %s key", ErrSignature, kid, k.Role, role)
	case k.Status == Compromised:
		return fmt.Errorf("%w: key %s is compromised", ErrSignature, kid)
	case signedAt.Before(k.NotBefore) || signedAt.After(k.NotAfter):
		return fmt.Errorf("%w: key %s signed at %s, outside its window %s .. %s", ErrSignature, kid,
			signedAt.Format(time.RFC3339), k.NotBefore.Format(time.RFC3339), k.NotAfter.Format(time.RFC3339))
	}
	return nil
}

func (l *List) encode() ([]byte, error) {
	e := format().Encoder(0)
	e.U64(l.Seq)
	e.Instant("signed at", l.SignedAt)
	e.Instant("expires", l.Expires)
	if !l.SignedAt.Before(l.Expires) {
		e.Fail("trust list expires before it is signed")
	}
	e.U32(l.RootVersion)
	keys := slices.Clone(l.Keys)
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.KID, b.KID) })
	if len(keys) > maxKeys {
		e.Fail("%d keys", len(keys))
	}
	e.U16(uint16(len(keys)))
	for i, k := range keys {
		if len(k.PublicKey) != ed25519.PublicKeySize || record.KeyID(k.PublicKey) != k.KID {
			e.Fail("key %q: kid does not match its public key", k.KID)
			break
		}
		if i > 0 && k.KID == keys[i-1].KID {
			e.Fail("key %s twice", k.KID)
		}
		if k.Role != RoleSigning && k.Role != RoleTimestamp {
			e.Fail("key %s: unknown role", k.KID)
		}
		if k.Status < Active || k.Status > Compromised {
			e.Fail("key %s: unknown status", k.KID)
		}
		if !k.NotBefore.Before(k.NotAfter) {
			e.Fail("key %s: empty window", k.KID)
		}
		e.Raw(k.PublicKey)
		e.U8(uint8(k.Role))
		e.U8(uint8(k.Status))
		e.Instant("not before", k.NotBefore)
		e.Instant("not after", k.NotAfter)
		e.Str("issuer", k.Issuer)
	}
	return e.Result()
}

func decodeList(b []byte) (*List, error) {
	d := format().Decoder(b)
	l := &List{Seq: d.U64("seq"), SignedAt: d.Instant("signed at"), Expires: d.Instant("expires"), RootVersion: d.U32("root version")}
	if d.Err() == nil && !l.SignedAt.Before(l.Expires) {
		d.Fail("trust list expires before it is signed")
	}
	n := int(d.U16("key count"))
	if d.Err() == nil && n > maxKeys {
		d.Fail("%d keys", n)
	}
	for i := 0; i < n && d.Err() == nil; i++ {
		pub := ed25519.PublicKey(bytes.Clone(d.Take(ed25519.PublicKeySize, "public key")))
		k := Key{PublicKey: pub, Role: Role(d.U8("role")), Status: Status(d.U8("status")),
			NotBefore: d.Instant("not before"), NotAfter: d.Instant("not after"), Issuer: d.Str("issuer", maxString)}
		if d.Err() != nil {
			break
		}
		k.KID = record.KeyID(pub)
		switch {
		case k.Role != RoleSigning && k.Role != RoleTimestamp:
			d.Fail("key %s: unknown role %d", k.KID, k.Role)
		case k.Status < Active || k.Status > Compromised:
			d.Fail("key %s: unknown status %d", k.KID, k.Status)
		case !k.NotBefore.Before(k.NotAfter):
			d.Fail("key %s: empty window", k.KID)
		case i > 0 && k.KID <= l.Keys[i-1].KID:
			d.Fail("keys not sorted by kid, or repeated")
		}
		l.Keys = append(l.Keys, k)
	}
	d.End()
	if d.Err() != nil {
		return nil, d.Err()
	}
	return l, nil
}

// Sign returns the signed trust list; keys are root keys of the root set
// l.RootVersion names (at least its threshold).
func (l *List) Sign(keys ...ed25519.PrivateKey) ([]byte, error) {
	p, err := l.encode()
	if err != nil {
		return nil, fmt.Errorf("trust: trust list: %w", err)
	}
	return signObject(magicList, prefixList, p, keys...)
}

// OpenList checks a signed trust list against the root set (signatures
// first, then decoding) and that it names that root set's version.
func OpenList(b []byte, root *RootSet) (*List, error) {
	s, err := parseSigned(magicList, prefixList, b)
	if err != nil {
		return nil, err
	}
	if n := len(s.verifiedBy(root.keys())); n < root.Threshold {
		return nil, fmt.Errorf("%w: trust list signed by %d keys of root version %d, which needs %d", ErrSignature, n, root.Version, root.Threshold)
	}
	l, err := decodeList(s.payload)
	if err != nil {
		return nil, err
	}
	if l.RootVersion != root.Version {
		return nil, fmt.Errorf("%w: trust list names root version %d, signed by version %d", ErrSignature, l.RootVersion, root.Version)
	}
	return l, nil
}

// Compromised returns the kids the list marks compromised, sorted.
func (l *List) Compromised() []string {
	var out []string
	for _, k := range l.Keys {
		if k.Status == Compromised {
			out = append(out, k.KID)
		}
	}
	return out
}

// PublicKey is a [record.KeyFunc] over the list's keys of role.
func (l *List) PublicKey(role Role) record.KeyFunc {
	return func(kid string) (ed25519.PublicKey, bool) {
		k, ok := l.Key(kid)
		if !ok || k.Role != role {
			return nil, false
		}
		return k.PublicKey, true
	}
}
