package trust

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Input is what [Publish] writes: everything already signed or sealed,
// except the head, which Publish signs.
type Input struct {
	// Roots are the signed root sets, version 1 up, in order.
	Roots [][]byte
	// List is the signed trust list.
	List []byte
	// Revocations are the signed revocation envelopes (record version 2)
	// in the order the registry appended them; a new list must extend
	// the last one published.
	Revocations [][]byte
	// Records are the sealed records, both copies of every certificate,
	// in the registry's order (issue order): packs are cut from it, so
	// that an append-only registry rewrites only its last pack.
	Records []Object
	// Seq is the head's sequence: above every head published before.
	Seq uint64
	// Now is the head's signed-at time; Lifetime how long it lives.
	Now      time.Time
	Lifetime time.Duration
	// Timestamp is the timestamp key that signs the head.
	Timestamp ed25519.PrivateKey
	// PackSize is the records per pack; 0 means 16384.
	PackSize int
}

// Publish writes a snapshot folder dir from in: the root sets, the trust
// list, the revocation list and the packs first, each through a
// temporary file and a rename, and the head last, so that a verifier
// reading the folder meanwhile sees the old head (whose objects are all
// still there: pack files are named by their hash and never rewritten)
// or the new one. It checks what it writes as a verifier would (the
// root chain, the trust list's signature, the timestamp key's role and
// window) and returns the head.
func Publish(dir string, in Input) (*Head, error) {
	if len(in.Roots) == 0 {
		return nil, fmt.Errorf("trust: publish: no root set")
	}
	var root *RootSet
	for i, b := range in.Roots {
		r, err := openRootSet(b, root)
		if err != nil {
			return nil, fmt.Errorf("trust: publish: root set %d: %w", i+1, err)
		}
		if root == nil && r.Version != 1 {
			return nil, fmt.Errorf("trust: publish: the first root set is version %d, want 1", r.Version)
		}
		root = r
	}
	list, err := OpenList(in.List, root)
	if err != nil {
		return nil, fmt.Errorf("trust: publish: %w", err)
	}
	now := in.Now.UTC().Truncate(time.Second)
	kid := record.KeyID(in.Timestamp.Public().(ed25519.PublicKey))
	if err := list.May(kid, RoleTimestamp, now); err != nil {
		return nil, fmt.Errorf("trust: publish: the head cannot be signed: %w", err)
	}
	if !now.Before(list.Expires) {
		return nil, fmt.Errorf("trust: publish: the trust list expired at %s; have the root sign a new one", list.Expires.Format(time.RFC3339))
	}
	if in.Lifetime <= 0 {
		return nil, fmt.Errorf("trust: publish: head lifetime %s", in.Lifetime)
	}
	size := in.PackSize
	if size <= 0 {
		size = 16384
	}
	seen := make(map[record.Locator]bool, len(in.Records))
	for _, o := range in.Records {
		if seen[o.Locator] {
			return nil, fmt.Errorf("trust: publish: record %s twice", o.Locator)
		}
		seen[o.Locator] = true
	}
	revs, err := encodeRevocations(in.Revocations)
	if err != nil {
		return nil, err
	}

	for _, d := range []string{dir, filepath.Join(dir, RootsDir), filepath.Join(dir, RecordsDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	var rootHash [32]byte
	for i, b := range in.Roots {
		if err := writeIfChanged(filepath.Join(dir, RootFile(uint32(i+1))), b); err != nil {
			return nil, err
		}
		rootHash = Hash(b)
	}
	if err := writeIfChanged(filepath.Join(dir, ListFile), in.List); err != nil {
		return nil, err
	}
	if err := writeIfChanged(filepath.Join(dir, RevocationsFile), revs); err != nil {
		return nil, err
	}
	h := &Head{
		Seq: in.Seq, SignedAt: now, Expires: now.Add(in.Lifetime),
		RootVersion: root.Version, RootHash: rootHash,
		ListSeq: list.Seq, ListHash: Hash(in.List),
		Revocations: uint32(len(in.Revocations)), RevChain: Chain(in.Revocations)[len(in.Revocations)],
		Records: uint32(len(in.Records)), RecordsHash: RecordsHash(in.Records),
	}
	for start := 0; start < len(in.Records); start += size {
		part := in.Records[start:min(start+size, len(in.Records))]
		b := make([]byte, 0, packHeader+len(part)*ObjectSize)
		b = append(b, magicPack...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		for _, o := range part {
			if b, err = appendObject(b, o); err != nil {
				return nil, err
			}
		}
		sum := Hash(b)
		name := hex.EncodeToString(sum[:16]) + ".pack"
		if err := writeIfChanged(filepath.Join(dir, RecordsDir, name), b); err != nil {
			return nil, err
		}
		h.Packs = append(h.Packs, Pack{Name: name, Records: uint32(len(part))})
	}
	hb, err := h.Sign(in.Timestamp)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, p := range packsOf(filepath.Join(dir, HeadFile)) {
		keep[p] = true // a verifier may be reading the old head right now
	}
	if err := record.WriteFileAtomic(filepath.Join(dir, HeadFile), hb, 0o644); err != nil {
		return nil, err
	}
	for _, p := range h.Packs {
		keep[p.Name] = true
	}
	if err := prune(filepath.Join(dir, RecordsDir), keep); err != nil {
		return nil, err
	}
	h.KID = kid
	return h, nil
}

// packsOf returns the pack names of the head file name, unverified: only
// to know which packs to keep. A head that does not parse keeps none.
func packsOf(name string) []string {
	b, err := readLimited(name, maxSigned)
	if err != nil {
		return nil
	}
	s, err := parseSigned(magicHead, prefixHead, b)
	if err != nil {
		return nil
	}
	h, err := decodeHead(s.payload)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range h.Packs {
		out = append(out, p.Name)
	}
	return out
}

// prune removes the pack files of dir that keep does not name: those of
// heads before the last two.
func prune(dir string, keep map[string]bool) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		if validPackName(de.Name()) && !keep[de.Name()] {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeIfChanged writes name atomically unless it holds data already, so
// that republishing leaves unchanged files (and their times) alone.
func writeIfChanged(name string, data []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return record.WriteFileAtomic(name, data, 0o644)
}
