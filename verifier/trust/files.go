package trust

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

// The revocation list file: "QBV2", a 4-byte count, then each revocation
// envelope (package record, version 2) with a uvarint length.
const (
	magicRevs  = "QBV2"
	chainLabel = "qualbridge/revocations/v2\x00"
	maxRevs    = 1 << 20
)

// Chain is the revocation list's chained hash after each entry:
// c0 = SHA-256(label), c(i) = SHA-256(c(i-1) || SHA-256(envelope i)).
// A list extends another when its chain at the other's count equals the
// other's chain.
func Chain(envelopes [][]byte) [][32]byte {
	out := make([][32]byte, len(envelopes)+1)
	out[0] = sha256.Sum256([]byte(chainLabel))
	for i, e := range envelopes {
		h := sha256.Sum256(e)
		out[i+1] = sha256.Sum256(append(out[i][:], h[:]...))
	}
	return out
}

// encodeRevocations returns the revocations.list file.
func encodeRevocations(envelopes [][]byte) ([]byte, error) {
	if len(envelopes) > maxRevs {
		return nil, fmt.Errorf("trust: %d revocations, over the limit of %d", len(envelopes), maxRevs)
	}
	b := append([]byte(magicRevs), binary.BigEndian.AppendUint32(nil, uint32(len(envelopes)))...)
	for _, e := range envelopes {
		if len(e) > record.MaxEnvelope {
			return nil, fmt.Errorf("trust: revocation envelope of %d bytes", len(e))
		}
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
	}
	return b, nil
}

// parseRevocations splits a revocations.list file into its envelopes,
// which must number want. The envelopes alias b.
func parseRevocations(b []byte, want uint32) ([][]byte, error) {
	if len(b) < 8 || string(b[:4]) != magicRevs {
		return nil, fmt.Errorf("%w: not a revocation list", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(b[4:8])
	if n != want {
		return nil, fmt.Errorf("%w: revocation list holds %d entries, the head says %d", ErrMismatch, n, want)
	}
	// Every entry takes at least a byte: a count beyond the bytes (or the
	// limit) is refused before anything is allocated for it. A head
	// signed with a stolen timestamp key could otherwise name 2³² - 1
	// revocations over an 8-byte file and have every verifier that
	// loads it die out of memory, at every restart.
	if n > maxRevs || uint64(n) > uint64(len(b)-8) {
		return nil, fmt.Errorf("%w: %d revocations in %d bytes", ErrMalformed, n, len(b))
	}
	d := format().Decoder(b[8:])
	out := make([][]byte, 0, n)
	for i := uint32(0); i < n && d.Err() == nil; i++ {
		l := d.Uvarint("revocation")
		if l > record.MaxEnvelope {
			d.Fail("revocation %d too long", i+1)
			break
		}
		out = append(out, d.Take(int(l), "revocation"))
	}
	d.End()
	if d.Err() != nil {
		return nil, d.Err()
	}
	return out, nil
}

// A pack file: "QBP2", a 4-byte count, then that many objects of
// [ObjectSize] bytes: locator (16) || kind (1) || generation (4) || sealed.
const (
	magicPack  = "QBP2"
	packHeader = 8
	// ObjectSize is one record's size in a pack.
	ObjectSize  = record.LocatorSize + 1 + 4 + seal.SealedSize
	maxRecords  = 4 << 20
	recordLabel = "qualbridge/records/v2\x00"
)

// Object is one sealed record as a pack holds it.
type Object struct {
	Locator    record.Locator
	Kind       seal.Kind
	Generation uint32
	Sealed     []byte // seal.SealedSize bytes
}

func appendObject(b []byte, o Object) ([]byte, error) {
	if len(o.Sealed) != seal.SealedSize {
		return nil, fmt.Errorf("trust: sealed record of %d bytes, want %d", len(o.Sealed), seal.SealedSize)
	}
	if o.Kind != seal.ByToken && o.Kind != seal.ByLookup {
		return nil, fmt.Errorf("trust: record of unknown kind %d", o.Kind)
	}
	if o.Generation == 0 {
		return nil, fmt.Errorf("trust: record of generation 0")
	}
	b = append(b, o.Locator[:]...)
	b = append(b, byte(o.Kind))
	b = binary.BigEndian.AppendUint32(b, o.Generation)
	return append(b, o.Sealed...), nil
}

// RecordsHash is the hash the head pins over every record: SHA-256 of
// the label, the 4-byte count, and for each record in locator order its
// locator, kind, 4-byte generation and SHA-256 of its sealed bytes.
// hashes[i] is SHA-256 of objs[i]'s sealed bytes.
func RecordsHash(objs []Object) [32]byte {
	hashes := make([][32]byte, len(objs))
	for i, o := range objs {
		hashes[i] = sha256.Sum256(o.Sealed)
	}
	order := make([]int, len(objs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareLoc(objs[a].Locator, objs[b].Locator) })
	h := sha256.New()
	h.Write([]byte(recordLabel))
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(objs))))
	var buf [record.LocatorSize + 1 + 4 + 32]byte
	for _, i := range order {
		o := objs[i]
		copy(buf[:], o.Locator[:])
		buf[16] = byte(o.Kind)
		binary.BigEndian.PutUint32(buf[17:], o.Generation)
		copy(buf[21:], hashes[i][:])
		h.Write(buf[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func compareLoc(a, b record.Locator) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
