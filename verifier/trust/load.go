package trust

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

// ErrMismatch: an object differs from what the head pins.
var ErrMismatch = errors.New("object does not match the head")

// Reason says why a snapshot was refused; it is the label of the
// verifier's refusal metric and a field of its log line.
type Reason string

// The reasons a snapshot is refused.
const (
	ReasonUnreadable  Reason = "unreadable"  // a file missing, torn, over its size limit
	ReasonRoot        Reason = "root"        // another root, or a broken root chain
	ReasonTrustList   Reason = "trust-list"  // the trust list is not signed by the root (a key added, say)
	ReasonHead        Reason = "head"        // the head is not signed by a timestamp key that may sign it
	ReasonRollback    Reason = "rollback"    // a sequence or count lower than one seen before
	ReasonFuture      Reason = "future"      // a head signed too far in the future
	ReasonExpired     Reason = "expired"     // the head or the trust list has expired
	ReasonLifetime    Reason = "lifetime"    // a head that lives longer than the maximum
	ReasonMismatch    Reason = "mismatch"    // an object differs from the head: deleted, replaced, mixed in
	ReasonRevocations Reason = "revocations" // the revocation list does not extend the one seen before
	ReasonState       Reason = "state"       // the high-water marks cannot be read
	ReasonMalformed   Reason = "malformed"   // bytes that are not the format
)

// Reasons lists every reason, for metrics that start at zero.
func Reasons() []Reason {
	return []Reason{ReasonUnreadable, ReasonRoot, ReasonTrustList, ReasonHead, ReasonRollback, ReasonFuture,
		ReasonExpired, ReasonLifetime, ReasonMismatch, ReasonRevocations, ReasonState, ReasonMalformed}
}

// Refusal is the error of a refused snapshot.
type Refusal struct {
	Reason Reason
	Err    error
}

func (r *Refusal) Error() string { return string(r.Reason) + ": " + r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// ReasonOf returns the reason of a refusal, or malformed for another error.
func ReasonOf(err error) Reason {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ReasonMalformed
}

func refuse(reason Reason, format string, a ...any) error {
	return &Refusal{Reason: reason, Err: fmt.Errorf(format, a...)}
}

// Options are a verifier's limits on heads.
type Options struct {
	MaxSkew     time.Duration // how far in the future a head may be signed (clocks differ)
	MaxLifetime time.Duration // the longest a head may live, signed-at to expiry
}

// DefaultOptions: 5 minutes of skew, heads of at most 31 days.
func DefaultOptions() Options {
	return Options{MaxSkew: 5 * time.Minute, MaxLifetime: 31 * 24 * time.Hour}
}

// Snapshot is a loaded, fully checked snapshot folder.
type Snapshot struct {
	Root     *RootSet
	List     *List
	Head     *Head
	HeadHash [32]byte
	// Cancellations are the revocations whose signature, key role,
	// status and window check, by locator (the first of each).
	Cancellations map[record.Locator]*record.Cancellation
	// Untrusted counts revocations that are in the signed list but do
	// not check (their key is compromised or gone): skipped, not
	// refused, so that marking a key compromised cannot freeze a
	// verifier. The centre re-signs the ones it stands by.
	Untrusted int
	Records   Records
}

// Records are the sealed records of a snapshot, in one arena with no
// pointers (the collector marks it as one object and never looks
// inside) and an index of fixed-size keys.
type Records struct {
	raw    []byte // n × ObjectSize, in pack order
	index  map[record.Locator]uint32
	hashes [][32]byte // SHA-256 of each record's sealed bytes
}

// Len is the number of records.
func (r *Records) Len() int { return len(r.hashes) }

// Find returns the record stored under loc.
func (r *Records) Find(loc record.Locator) (uint32, bool) {
	i, ok := r.index[loc]
	return i, ok
}

func (r *Records) obj(i uint32) []byte { return r.raw[int(i)*ObjectSize : (int(i)+1)*ObjectSize] }

// Locator returns record i's locator.
func (r *Records) Locator(i uint32) (l record.Locator) {
	copy(l[:], r.obj(i))
	return l
}

// Kind returns record i's kind.
func (r *Records) Kind(i uint32) seal.Kind { return seal.Kind(r.obj(i)[record.LocatorSize]) }

// Generation returns record i's generation.
func (r *Records) Generation(i uint32) uint32 {
	return binary.BigEndian.Uint32(r.obj(i)[record.LocatorSize+1:])
}

// Sealed returns record i's sealed bytes (aliasing the arena: read only).
func (r *Records) Sealed(i uint32) []byte {
	o := r.obj(i)
	return o[record.LocatorSize+5 : ObjectSize : ObjectSize]
}

// Hash returns the SHA-256 of record i's sealed bytes.
func (r *Records) Hash(i uint32) [32]byte { return r.hashes[i] }

// Marks are the high-water marks a verifier keeps across restarts: it
// never accepts a root, trust list, head or revocation list older than
// these. See [Load] for when marks are reset.
type Marks struct {
	RootVersion uint32   `json:"root_version"`
	RootHash    string   `json:"root_hash,omitempty"`
	ListSeq     uint64   `json:"trust_list_seq"`
	ListHash    string   `json:"trust_list_hash,omitempty"`
	HeadSeq     uint64   `json:"head_seq"`
	HeadKID     string   `json:"head_kid,omitempty"`
	HeadHash    string   `json:"head_hash,omitempty"`
	Revocations uint32   `json:"revocations"`
	RevChain    string   `json:"revocation_chain,omitempty"`
	Compromised []string `json:"compromised,omitempty"`
}

func hexOf(h [32]byte) string { return hex.EncodeToString(h[:]) }

// openRegular opens name for reading if it is a regular file. It opens
// without blocking: a FIFO put in a snapshot folder (by anyone who can
// write to the store) would otherwise block the open until a writer
// came, and with it every later reload.
func openRegular(name string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s is not a regular file", filepath.Base(name))
	}
	return f, st, nil
}

// readLimited reads a whole regular file of at most max bytes.
func readLimited(name string, max int64) ([]byte, error) {
	f, st, err := openRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d", filepath.Base(name), st.Size(), max)
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("%s: %w (changed while read?)", filepath.Base(name), err)
	}
	return b, nil
}

// Load reads the snapshot folder dir and checks all of it, in this order
// (docs/certificate-format.md, "Verifying a snapshot"):
//
//  1. the root chain from the pinned root set up, each version signed by
//     the one before; not below the marks' root version, and the same
//     root set at that version;
//  2. the trust list, signed by the newest root set, not older than the
//     marks, not expired;
//  3. the head, signed by a timestamp key of the trust list inside its
//     window, pinning that root set and trust list; not from more than
//     MaxSkew in the future, not expired, not living longer than
//     MaxLifetime, and not older than the marks;
//  4. the revocation list, its count and chained hash equal to the head's
//     and extending the marks' list;
//  5. every pack, of exactly the size the head says, every record hashed
//     into the records hash, which must equal the head's.
//
// Marks of the head and of the revocation list are reset when the trust
// list newly marks the key that signed the marked head compromised: a
// stolen timestamp key may have signed a head, or a revocation list, far
// ahead, to freeze every verifier, and the root's word undoes it. The
// compromise of any other key resets nothing: the trust list that says
// so is public, and a timestamp key (stolen, but not known to be) could
// otherwise sign a head over it and a shortened revocation list.
//
// Load reads the files the head names ([Objects]) and every root set
// the folder holds; anything else in dir is ignored, so a folder may hold
// the objects of several snapshots at once.
//
// It returns the snapshot and the marks to keep once it is put in force.
func Load(dir string, pin *Pin, m Marks, now time.Time, o Options) (*Snapshot, Marks, error) {
	headBytes, err := readLimited(filepath.Join(dir, HeadFile), maxSigned)
	if err != nil {
		return nil, m, refuse(ReasonUnreadable, "head: %v", err)
	}
	c, err := checkHead(dir, headBytes, pin, m, now, o)
	if err != nil {
		return nil, m, err
	}
	root, rootBytes, list, listHash, head, headHash := c.root, c.rootBytes, c.list, c.listHash, c.head, c.headHash
	file := func(path string) string { return filepath.Join(dir, filepath.FromSlash(path)) }
	// An object the head names and the folder lacks is a mismatch (a
	// deleted object, or a head put in without its objects); one that
	// is there but cannot be read is unreadable.
	missing := func(what string, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return refuse(ReasonMismatch, "the head names %s, which the snapshot does not hold", what)
		}
		return refuse(ReasonUnreadable, "%s: %v", what, err)
	}

	newly := map[string]bool{}
	for _, kid := range list.Compromised() {
		if !slices.Contains(m.Compromised, kid) {
			newly[kid] = true
		}
	}
	keep := m
	if newly[m.HeadKID] {
		keep.HeadSeq, keep.HeadHash = 0, ""
		keep.Revocations, keep.RevChain = 0, ""
	}
	if head.Seq < keep.HeadSeq || head.Seq == keep.HeadSeq && keep.HeadHash != "" && keep.HeadHash != hexOf(headHash) {
		return nil, m, refuse(ReasonRollback, "head sequence %d, but %d was seen before", head.Seq, keep.HeadSeq)
	}

	// 4. The revocation list.
	revBytes, err := readLimited(file(RevocationsFile(head.RevChain)), 8+int64(head.Revocations)*int64(3+record.MaxEnvelope))
	if err != nil {
		return nil, m, missing("revocation list "+RevocationsFile(head.RevChain), err)
	}
	envs, err := parseRevocations(revBytes, head.Revocations)
	if err != nil {
		return nil, m, refuse(ReasonMismatch, "revocation list: %v", err)
	}
	chain := Chain(envs)
	if chain[len(envs)] != head.RevChain {
		return nil, m, refuse(ReasonMismatch, "revocation list differs from the head (edited, shortened or replaced)")
	}
	if uint32(len(envs)) < keep.Revocations {
		return nil, m, refuse(ReasonRevocations, "revocation list of %d entries, but %d were seen before", len(envs), keep.Revocations)
	}
	if keep.RevChain != "" && hexOf(chain[keep.Revocations]) != keep.RevChain {
		return nil, m, refuse(ReasonRevocations, "revocation list does not extend the one seen before: its first %d entries differ", keep.Revocations)
	}
	s := &Snapshot{Root: root, List: list, Head: head, HeadHash: headHash, Cancellations: map[record.Locator]*record.Cancellation{}}
	for _, env := range envs {
		c, err := record.OpenCancellation(env, list.PublicKey(RoleSigning))
		if err == nil {
			err = list.May(c.KID, RoleSigning, c.SignedAt)
		}
		if err != nil {
			s.Untrusted++
			continue
		}
		if _, dup := s.Cancellations[c.Locator]; !dup {
			s.Cancellations[c.Locator] = c
		}
	}

	// 5. The records.
	if err := s.Records.load(dir, head); err != nil {
		return nil, m, err
	}

	next := Marks{
		RootVersion: root.Version, RootHash: hexOf(Hash(rootBytes)),
		ListSeq: list.Seq, ListHash: hexOf(listHash),
		HeadSeq: head.Seq, HeadKID: head.KID, HeadHash: hexOf(headHash),
		Revocations: uint32(len(envs)), RevChain: hexOf(chain[len(envs)]),
		Compromised: list.Compromised(),
	}
	return s, next, nil
}

// load reads every pack the head names into one arena and checks it
// against the head's records hash.
func (r *Records) load(dir string, head *Head) error {
	if head.Records > maxRecords {
		return refuse(ReasonMalformed, "head names %d records, over the limit of %d", head.Records, maxRecords)
	}
	n := int(head.Records)
	// Sizes first: nothing is allocated for records the files do not hold.
	for _, p := range head.Packs {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(PackFile(p.Name))))
		if err != nil {
			return refuse(ReasonMismatch, "pack %s: %v", p.Name, err)
		}
		body := st.Size() - packHeader
		switch {
		case body < 0 || body%ObjectSize != 0:
			return refuse(ReasonUnreadable, "pack %s is %d bytes, not a whole number of records: torn", p.Name, st.Size())
		case body/ObjectSize != int64(p.Records):
			return refuse(ReasonMismatch, "pack %s holds %d records, the head says %d: records deleted or mixed in", p.Name, body/ObjectSize, p.Records)
		}
	}
	r.raw = make([]byte, n*ObjectSize)
	at := 0
	for _, p := range head.Packs {
		if err := readPack(filepath.Join(dir, filepath.FromSlash(PackFile(p.Name))), p.Records, r.raw[at*ObjectSize:(at+int(p.Records))*ObjectSize]); err != nil {
			return err
		}
		at += int(p.Records)
	}
	r.index = make(map[record.Locator]uint32, n)
	r.hashes = make([][32]byte, n)
	// Hash on every CPU: this is most of the load's time.
	var wg sync.WaitGroup
	parts := 4
	for p := range parts {
		wg.Go(func() {
			for i := p * n / parts; i < (p+1)*n/parts; i++ {
				r.hashes[i] = sha256.Sum256(r.Sealed(uint32(i)))
			}
		})
	}
	for i := range n {
		loc := r.Locator(uint32(i))
		if _, dup := r.index[loc]; dup {
			wg.Wait()
			return refuse(ReasonMismatch, "record %s appears twice", loc)
		}
		r.index[loc] = uint32(i)
		if k := r.Kind(uint32(i)); (k != seal.ByToken && k != seal.ByLookup) || r.Generation(uint32(i)) == 0 {
			wg.Wait()
			return refuse(ReasonMalformed, "record %s has kind %d, generation %d", loc, k, r.Generation(uint32(i)))
		}
	}
	wg.Wait()
	if got := r.recordsHash(); got != head.RecordsHash {
		return refuse(ReasonMismatch, "the records differ from the head (a record deleted, replaced, moved or mixed in)")
	}
	return nil
}

// recordsHash is [RecordsHash] over the arena.
func (r *Records) recordsHash() [32]byte {
	// Sorted by the locator's first 8 bytes as one integer (locators
	// are uniform, so ties are rare), then by the whole locator: a third
	// of the time of comparing byte strings.
	type key struct {
		hi uint64
		i  uint32
	}
	keys := make([]key, len(r.hashes))
	for i := range keys {
		keys[i] = key{binary.BigEndian.Uint64(r.obj(uint32(i))), uint32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.hi != b.hi {
			return cmp.Compare(a.hi, b.hi)
		}
		return bytes.Compare(r.obj(a.i)[:record.LocatorSize], r.obj(b.i)[:record.LocatorSize])
	})
	order := make([]uint32, len(keys))
	for j, k := range keys {
		order[j] = k.i
	}
	h := sha256.New()
	h.Write([]byte(recordLabel))
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(order))))
	var buf [record.LocatorSize + 1 + 4 + 32]byte
	for _, i := range order {
		copy(buf[:21], r.obj(i)[:21])
		copy(buf[21:], r.hashes[i][:])
		h.Write(buf[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// readPack reads a pack file of want records into dst.
func readPack(name string, want uint32, dst []byte) error {
	f, st, err := openRegular(name)
	if errors.Is(err, os.ErrNotExist) {
		return refuse(ReasonMismatch, "pack %s: %v", filepath.Base(name), err)
	}
	if err != nil {
		return refuse(ReasonUnreadable, "pack %s: %v", filepath.Base(name), err)
	}
	defer f.Close()
	if st.Size() < packHeader {
		return refuse(ReasonUnreadable, "pack %s is not a pack file", filepath.Base(name))
	}
	var hdr [packHeader]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return refuse(ReasonUnreadable, "pack %s: %v", filepath.Base(name), err)
	}
	has := binary.BigEndian.Uint32(hdr[4:])
	if string(hdr[:4]) != magicPack {
		return refuse(ReasonMismatch, "pack %s: not a pack file", filepath.Base(name))
	}
	if size := int64(packHeader) + int64(has)*ObjectSize; st.Size() != size {
		return refuse(ReasonUnreadable, "pack %s is %d bytes, its header says %d records (%d bytes): torn", filepath.Base(name), st.Size(), has, size)
	}
	if has != want {
		return refuse(ReasonMismatch, "pack %s holds %d records, the head says %d: records deleted or mixed in", filepath.Base(name), has, want)
	}
	if _, err := io.ReadFull(f, dst); err != nil {
		return refuse(ReasonUnreadable, "pack %s: %v (changed while read?)", filepath.Base(name), err)
	}
	return nil
}

// checked is what checkHead has checked.
type checked struct {
	root      *RootSet
	rootBytes []byte
	list      *List
	listHash  [32]byte
	head      *Head
	headHash  [32]byte
}

// CheckHead checks what of the head headBytes can be checked before the
// packs it names are read: the root chain in dir from the pin, the trust
// list it names (in dir), its signature, role, window and times. A
// reader fetching a snapshot calls it before the packs, so that a forged
// head cannot make it fetch up to the format's limits; [Load] checks it
// all again, with the marks.
func CheckHead(dir string, headBytes []byte, pin *Pin, now time.Time, o Options) error {
	_, err := checkHead(dir, headBytes, pin, Marks{}, now, o)
	return err
}

// checkHead is steps 1 to 3 of [Load].
func checkHead(dir string, headBytes []byte, pin *Pin, m Marks, now time.Time, o Options) (*checked, error) {
	// The head's names, unverified: they only say which files to read,
	// and every file is checked against the head once its signature is.
	named, err := ParseHead(headBytes)
	if err != nil {
		return nil, refuse(ReasonHead, "head: %v", err)
	}
	file := func(path string) string { return filepath.Join(dir, filepath.FromSlash(path)) }
	// An object the head names and the folder lacks is a mismatch (a
	// deleted object, or a head put in without its objects); one that
	// is there but cannot be read is unreadable.
	missing := func(what string, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return refuse(ReasonMismatch, "the head names %s, which the snapshot does not hold", what)
		}
		return refuse(ReasonUnreadable, "%s: %v", what, err)
	}

	// 1. The root chain.
	pinned, err := readLimited(file(RootFile(pin.Root.Version)), maxSigned)
	if err != nil {
		return nil, refuse(ReasonRoot, "the snapshot holds no root set version %d (the pinned one): %v", pin.Root.Version, err)
	}
	if Hash(pinned) != Hash(pin.Bytes) {
		return nil, refuse(ReasonRoot, "the snapshot is under another root: its root set version %d is not the pinned one", pin.Root.Version)
	}
	root, rootBytes := pin.Root, pinned
	// Every version the folder holds, not only those the head names: a
	// root set put in beside them must chain too, and the head must name
	// the newest.
	for v := pin.Root.Version + 1; ; v++ {
		if v-pin.Root.Version > 64 {
			return nil, refuse(ReasonRoot, "more than 64 root sets")
		}
		b, err := readLimited(file(RootFile(v)), maxSigned)
		if errors.Is(err, os.ErrNotExist) && v > named.RootVersion {
			break
		}
		if err != nil {
			return nil, missing(RootFile(v), err)
		}
		next, err := openRootSet(b, root)
		if err != nil {
			return nil, refuse(ReasonRoot, "root set %d: %v", v, err)
		}
		root, rootBytes = next, b
	}
	if root.Version < m.RootVersion {
		return nil, refuse(ReasonRollback, "root set version %d, but version %d was seen before", root.Version, m.RootVersion)
	}
	if m.RootVersion > 0 {
		b, err := readLimited(file(RootFile(m.RootVersion)), maxSigned)
		if err != nil || hexOf(Hash(b)) != m.RootHash {
			return nil, refuse(ReasonRoot, "root set version %d differs from the one seen before", m.RootVersion)
		}
	}

	// 2. The trust list.
	listBytes, err := readLimited(file(ListFile(named.ListHash)), maxSigned)
	if err != nil {
		return nil, missing("trust list "+ListFile(named.ListHash), err)
	}
	list, err := OpenList(listBytes, root)
	if err != nil {
		return nil, refuse(ReasonTrustList, "trust list: %v", err)
	}
	listHash := Hash(listBytes)
	if list.Seq < m.ListSeq || list.Seq == m.ListSeq && m.ListHash != "" && m.ListHash != hexOf(listHash) {
		return nil, refuse(ReasonRollback, "trust list sequence %d, but %d was seen before", list.Seq, m.ListSeq)
	}
	if !now.Before(list.Expires) {
		return nil, refuse(ReasonExpired, "trust list expired at %s", list.Expires.Format(time.RFC3339))
	}

	// 3. The head.
	head, err := OpenHead(headBytes, list)
	if err != nil {
		return nil, refuse(ReasonHead, "head: %v", err)
	}
	headHash := Hash(headBytes)
	if head.RootVersion != root.Version || head.RootHash != Hash(rootBytes) {
		return nil, refuse(ReasonMismatch, "the head names root set %d, the snapshot's newest is %d", head.RootVersion, root.Version)
	}
	if head.ListSeq != list.Seq || head.ListHash != listHash {
		return nil, refuse(ReasonMismatch, "the head names trust list %d, the snapshot holds %d or another list", head.ListSeq, list.Seq)
	}
	switch {
	case head.SignedAt.After(now.Add(o.MaxSkew)):
		return nil, refuse(ReasonFuture, "head %d signed at %s, in the future", head.Seq, head.SignedAt.Format(time.RFC3339))
	case !now.Before(head.Expires):
		return nil, refuse(ReasonExpired, "head %d expired at %s", head.Seq, head.Expires.Format(time.RFC3339))
	case head.Expires.Sub(head.SignedAt) > o.MaxLifetime:
		return nil, refuse(ReasonLifetime, "head %d lives %s, over the maximum of %s", head.Seq, head.Expires.Sub(head.SignedAt), o.MaxLifetime)
	}
	return &checked{root: root, rootBytes: rootBytes, list: list, listHash: listHash, head: head, headHash: headHash}, nil
}
