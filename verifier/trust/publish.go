package trust

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
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
	// Seq is the lowest sequence the head may have: one above the last
	// the publisher recorded. Publish raises it above the head the
	// target holds (a registry restored from an older backup must not
	// publish a head every verifier refuses as a rollback).
	Seq uint64
	// Now is the head's signed-at time; Lifetime how long it lives.
	Now      time.Time
	Lifetime time.Duration
	// Timestamp is the timestamp key that signs the head.
	Timestamp ed25519.PrivateKey
	// PackSize is the records per pack; 0 means 16384.
	PackSize int
}

// Target is where [PublishTo] writes a snapshot: a folder ([Folder]) or an
// object store (package remote). Paths are slash-separated, as [Objects]
// gives them; every write replaces an object whole (a reader sees the old
// bytes or the new, never part).
type Target interface {
	// ReadHead returns the head the target holds, or nil if none.
	ReadHead(ctx context.Context) ([]byte, error)
	// Has reports whether the target holds path with exactly data.
	Has(ctx context.Context, path string, data []byte) (bool, error)
	// Write puts data at path, whole.
	Write(ctx context.Context, path string, data []byte) error
	// List returns the size of every object the target holds, by path,
	// freshly (not from an earlier listing).
	List(ctx context.Context) (map[string]int64, error)
	// Delete removes path.
	Delete(ctx context.Context, path string) error
}

// Published is what [PublishTo] did.
type Published struct {
	*Head
	Written   int   // objects written, the head included
	Unchanged int   // objects the target held already
	Pruned    int   // objects deleted after the head
	Bytes     int64 // bytes written
	// PrevSeq is the sequence of the head the target held before, if it
	// verified against the trust list published (else 0).
	PrevSeq uint64
}

// Publish writes the snapshot of in to the folder dir ([Folder]).
func Publish(dir string, in Input) (*Head, error) {
	p, err := PublishTo(context.Background(), Folder(dir), in)
	if err != nil {
		return nil, err
	}
	return p.Head, nil
}

// PublishTo writes the snapshot of in to t, so that a reader never sees
// half a snapshot and a publish stopped at any point leaves the old head
// valid with all its objects:
//
//  1. it reads the head t holds; the new head's sequence is above it
//     (when it verifies against the trust list) and at least in.Seq;
//  2. it writes every object the new head names that t does not hold
//     with the same bytes (objects are named by their content, see
//     [Objects], so none the old head names is overwritten);
//  3. it lists t and checks that every object is there at its size;
//  4. it writes the head;
//  5. it deletes the objects ([Managed]) that neither the new head nor
//     the one before names: a reader of the previous head may still be
//     fetching it.
//
// It checks what it writes as a verifier would (the root chain, the
// trust list's signature, the timestamp key's role and window).
func PublishTo(ctx context.Context, t Target, in Input) (*Published, error) {
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
		return nil, fmt.Errorf("trust: publish: the trust list expired at %s; have the root sign a new one (qualbridge trust renew)", list.Expires.Format(time.RFC3339))
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

	// 1. The head in place now: what to keep, and the sequence to beat.
	res := &Published{}
	prevBytes, err := t.ReadHead(ctx)
	if err != nil {
		return nil, fmt.Errorf("trust: publish: reading the head in place: %w", err)
	}
	var prev *Head
	if prevBytes != nil {
		prev, _ = ParseHead(prevBytes) // unparsable: nothing of it to keep
		if h, err := OpenHead(prevBytes, list); err == nil {
			res.PrevSeq = h.Seq
		}
	}
	seq := max(in.Seq, 1)
	if res.PrevSeq >= seq {
		if res.PrevSeq == math.MaxUint64 {
			return nil, fmt.Errorf("trust: publish: the head in place has the largest sequence")
		}
		seq = res.PrevSeq + 1
	}

	// 2. The objects.
	put := func(path string, data []byte) error {
		has, err := t.Has(ctx, path, data)
		if err != nil {
			return fmt.Errorf("trust: publish: %s: %w", path, err)
		}
		if has {
			res.Unchanged++
			return nil
		}
		if err := t.Write(ctx, path, data); err != nil {
			return fmt.Errorf("trust: publish: %s: %w", path, err)
		}
		res.Written++
		res.Bytes += int64(len(data))
		return nil
	}
	var rootHash [32]byte
	for i, b := range in.Roots {
		if err := put(RootFile(uint32(i+1)), b); err != nil {
			return nil, err
		}
		rootHash = Hash(b)
	}
	h := &Head{
		Seq: seq, SignedAt: now, Expires: now.Add(in.Lifetime),
		RootVersion: root.Version, RootHash: rootHash,
		ListSeq: list.Seq, ListHash: Hash(in.List),
		Revocations: uint32(len(in.Revocations)), RevChain: Chain(in.Revocations)[len(in.Revocations)],
		Records: uint32(len(in.Records)), RecordsHash: RecordsHash(in.Records),
	}
	if err := put(ListFile(h.ListHash), in.List); err != nil {
		return nil, err
	}
	if err := put(RevocationsFile(h.RevChain), revs); err != nil {
		return nil, err
	}
	sizes := map[string]int64{RevocationsFile(h.RevChain): int64(len(revs)), ListFile(h.ListHash): int64(len(in.List))}
	for i, b := range in.Roots {
		sizes[RootFile(uint32(i+1))] = int64(len(b))
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
		if err := put(PackFile(name), b); err != nil {
			return nil, err
		}
		sizes[PackFile(name)] = int64(len(b))
		h.Packs = append(h.Packs, Pack{Name: name, Records: uint32(len(part))})
	}
	hb, err := h.Sign(in.Timestamp)
	if err != nil {
		return nil, err
	}
	h.KID = kid

	// 3. Nothing missing, before the head points at it.
	have, err := t.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("trust: publish: listing the objects written: %w", err)
	}
	for _, p := range Objects(h) {
		if n, ok := have[p]; !ok || n != sizes[p] {
			return nil, fmt.Errorf("trust: publish: %s is missing or of the wrong size after writing it (%d bytes, want %d); the head was not written", p, n, sizes[p])
		}
	}

	// 4. The head.
	if err := t.Write(ctx, HeadFile, hb); err != nil {
		return nil, fmt.Errorf("trust: publish: head: %w", err)
	}
	res.Written++
	res.Bytes += int64(len(hb))
	res.Head = h

	// 5. Prune.
	keep := map[string]bool{}
	for _, p := range Objects(h) {
		keep[p] = true
	}
	if prev != nil {
		for _, p := range Objects(prev) {
			keep[p] = true
		}
	}
	var doomed []string
	for p := range have {
		if Managed(p) && !keep[p] {
			doomed = append(doomed, p)
		}
	}
	slices.Sort(doomed)
	for _, p := range doomed {
		if err := t.Delete(ctx, p); err != nil {
			return res, fmt.Errorf("trust: publish: the head is published, but removing %s failed: %w", p, err)
		}
		res.Pruned++
	}
	return res, nil
}

// Folder is a snapshot folder as a [Target]: each object a file, written
// through a temporary file, fsync and a rename.
type Folder string

func (d Folder) file(path string) string { return filepath.Join(string(d), filepath.FromSlash(path)) }

// ReadHead implements [Target].
func (d Folder) ReadHead(context.Context) ([]byte, error) {
	b, err := readLimited(d.file(HeadFile), maxSigned)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Has implements [Target]: the file holds exactly data.
func (d Folder) Has(_ context.Context, path string, data []byte) (bool, error) {
	st, err := os.Stat(d.file(path))
	if err != nil || st.Size() != int64(len(data)) {
		return false, nil
	}
	old, err := os.ReadFile(d.file(path))
	return err == nil && bytes.Equal(old, data), nil
}

// Write implements [Target].
func (d Folder) Write(_ context.Context, path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(d.file(path)), 0o755); err != nil {
		return err
	}
	return record.WriteFileAtomic(d.file(path), data, 0o644)
}

// List implements [Target]: the files of the snapshot's folders and the
// files at its top.
func (d Folder) List(context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, dir := range []string{"", RootsDir, ListsDir, RevocationsDir, RecordsDir} {
		des, err := os.ReadDir(d.file(dir))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, de := range des {
			if !de.Type().IsRegular() {
				continue
			}
			fi, err := de.Info()
			if err != nil {
				return nil, err
			}
			out[path.Join(dir, de.Name())] = fi.Size()
		}
	}
	return out, nil
}

// Delete implements [Target].
func (d Folder) Delete(_ context.Context, path string) error {
	err := os.Remove(d.file(path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
