package trust

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"
)

// Head is the short-lived statement, signed by the timestamp key, of what
// a snapshot holds.
type Head struct {
	Seq         uint64 // raised by every head
	SignedAt    time.Time
	Expires     time.Time
	RootVersion uint32
	RootHash    [32]byte // SHA-256 of roots/<version>.root
	ListSeq     uint64
	ListHash    [32]byte // SHA-256 of trust.list
	Revocations uint32   // entries in revocations.list
	RevChain    [32]byte // chained hash of the list (see [Chain])
	Records     uint32   // sealed records in all packs
	RecordsHash [32]byte // see [RecordsHash]
	Packs       []Pack
	KID         string // the timestamp key, from the signature
}

// Pack names one pack file of the snapshot and how many records it holds.
type Pack struct {
	Name    string // records/<Name>
	Records uint32
}

const maxPacks = 4096

func (h *Head) encode() ([]byte, error) {
	e := &enc{}
	e.u64(h.Seq)
	e.instant("signed at", h.SignedAt)
	e.instant("expires", h.Expires)
	if !h.SignedAt.Before(h.Expires) {
		e.fail("head expires before it is signed")
	}
	e.u32(h.RootVersion)
	e.raw(h.RootHash[:])
	e.u64(h.ListSeq)
	e.raw(h.ListHash[:])
	e.u32(h.Revocations)
	e.raw(h.RevChain[:])
	e.u32(h.Records)
	e.raw(h.RecordsHash[:])
	if len(h.Packs) > maxPacks {
		e.fail("%d packs", len(h.Packs))
	}
	e.u16(uint16(len(h.Packs)))
	var sum uint64
	for _, p := range h.Packs {
		if !validPackName(p.Name) {
			e.fail("pack name %q", p.Name)
		}
		e.str("pack", p.Name)
		e.u32(p.Records)
		sum += uint64(p.Records)
	}
	if sum != uint64(h.Records) {
		e.fail("packs hold %d records, head says %d", sum, h.Records)
	}
	return e.b, e.err
}

// validPackName is 32 lowercase hex digits and ".pack".
func validPackName(s string) bool {
	base, ok := strings.CutSuffix(s, ".pack")
	if !ok || len(base) != 32 {
		return false
	}
	for i := 0; i < len(base); i++ {
		if c := base[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func decodeHead(b []byte) (*Head, error) {
	d := &dec{b: b}
	h := &Head{Seq: d.u64("seq"), SignedAt: d.instant("signed at"), Expires: d.instant("expires"),
		RootVersion: d.u32("root version"), RootHash: d.hash("root hash"),
		ListSeq: d.u64("trust list seq"), ListHash: d.hash("trust list hash"),
		Revocations: d.u32("revocations"), RevChain: d.hash("revocation chain"),
		Records: d.u32("records"), RecordsHash: d.hash("records hash")}
	if d.err == nil && !h.SignedAt.Before(h.Expires) {
		d.fail("head expires before it is signed")
	}
	n := int(d.u16("pack count"))
	if d.err == nil && n > maxPacks {
		d.fail("%d packs", n)
	}
	var sum uint64
	seen := map[string]bool{}
	for i := 0; i < n && d.err == nil; i++ {
		p := Pack{Name: d.str("pack", 64), Records: d.u32("pack records")}
		if d.err == nil && (!validPackName(p.Name) || seen[p.Name]) {
			d.fail("bad or repeated pack name")
		}
		seen[p.Name] = true
		sum += uint64(p.Records)
		h.Packs = append(h.Packs, p)
	}
	d.end()
	if d.err == nil && sum != uint64(h.Records) {
		d.fail("packs hold %d records, head says %d", sum, h.Records)
	}
	if d.err != nil {
		return nil, d.err
	}
	return h, nil
}

// Sign returns the signed head; key is the timestamp key.
func (h *Head) Sign(key ed25519.PrivateKey) ([]byte, error) {
	p, err := h.encode()
	if err != nil {
		return nil, fmt.Errorf("trust: head: %w", err)
	}
	return signObject(magicHead, prefixHead, p, key)
}

// OpenHead checks a signed head: exactly one signature, by a timestamp
// key of list that may sign at the head's signed-at time. The signature
// is checked before the payload is decoded.
func OpenHead(b []byte, list *List) (*Head, error) {
	s, err := parseSigned(magicHead, prefixHead, b)
	if err != nil {
		return nil, err
	}
	if len(s.sigs) != 1 {
		return nil, fmt.Errorf("%w: head has %d signatures, want 1", ErrSignature, len(s.sigs))
	}
	kid := s.sigs[0].kid
	k, ok := list.Key(kid)
	if !ok || k.Role != RoleTimestamp {
		return nil, fmt.Errorf("%w: head signed by %s, not a timestamp key of the trust list", ErrSignature, kid)
	}
	if !ed25519.Verify(k.PublicKey, s.msg, s.sigs[0].sig) {
		return nil, fmt.Errorf("%w: head signature does not verify with key %s", ErrSignature, kid)
	}
	h, err := decodeHead(s.payload)
	if err != nil {
		return nil, err
	}
	h.KID = kid
	if err := list.May(kid, RoleTimestamp, h.SignedAt); err != nil {
		return nil, err
	}
	return h, nil
}
