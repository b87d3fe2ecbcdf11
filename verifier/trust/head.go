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
	e := format().Encoder(0)
	e.U64(h.Seq)
	e.Instant("signed at", h.SignedAt)
	e.Instant("expires", h.Expires)
	if !h.SignedAt.Before(h.Expires) {
		e.Fail("head expires before it is signed")
	}
	e.U32(h.RootVersion)
	e.Raw(h.RootHash[:])
	e.U64(h.ListSeq)
	e.Raw(h.ListHash[:])
	e.U32(h.Revocations)
	e.Raw(h.RevChain[:])
	e.U32(h.Records)
	e.Raw(h.RecordsHash[:])
	if len(h.Packs) > maxPacks {
		e.Fail("%d packs", len(h.Packs))
	}
	e.U16(uint16(len(h.Packs)))
	var sum uint64
	for _, p := range h.Packs {
		if !validPackName(p.Name) {
			e.Fail("pack name %q", p.Name)
		}
		e.Str("pack", p.Name)
		e.U32(p.Records)
		sum += uint64(p.Records)
	}
	if sum != uint64(h.Records) {
		e.Fail("packs hold %d records, head says %d", sum, h.Records)
	}
	return e.Result()
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
	d := format().Decoder(b)
	h := &Head{Seq: d.U64("seq"), SignedAt: d.Instant("signed at"), Expires: d.Instant("expires"),
		RootVersion: d.U32("root version"), RootHash: d.Hash("root hash"),
		ListSeq: d.U64("trust list seq"), ListHash: d.Hash("trust list hash"),
		Revocations: d.U32("revocations"), RevChain: d.Hash("revocation chain"),
		Records: d.U32("records"), RecordsHash: d.Hash("records hash")}
	if d.Err() == nil && !h.SignedAt.Before(h.Expires) {
		d.Fail("head expires before it is signed")
	}
	n := int(d.U16("pack count"))
	if d.Err() == nil && n > maxPacks {
		d.Fail("%d packs", n)
	}
	var sum uint64
	seen := map[string]bool{}
	for i := 0; i < n && d.Err() == nil; i++ {
		p := Pack{Name: d.Str("pack", 64), Records: d.U32("pack records")}
		if d.Err() == nil && (!validPackName(p.Name) || seen[p.Name]) {
			d.Fail("bad or repeated pack name")
		}
		seen[p.Name] = true
		sum += uint64(p.Records)
		h.Packs = append(h.Packs, p)
	}
	d.End()
	if d.Err() == nil && sum != uint64(h.Records) {
		d.Fail("packs hold %d records, head says %d", sum, h.Records)
	}
	if d.Err() != nil {
		return nil, d.Err()
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
