// Package trusttest builds TEST-ONLY verifier snapshots for tests and the
// benchmark: keys from fixed, published seeds, fictional certificates, a
// fixed pepper. It takes records and keys directly, without a registry.
// Nothing it makes may ever sign or stand for a real certificate.
package trusttest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// Key returns the TEST-ONLY private key derived from label.
func Key(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("qualbridge snapshot TEST-ONLY key: " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Token returns a TEST-ONLY token derived from label.
func Token(label string) record.Token {
	tok, err := record.NewToken(Rand("token " + label))
	if err != nil {
		panic(err)
	}
	return tok
}

// Rand is a deterministic TEST-ONLY byte stream (SHA-256 in counter
// mode) for nonces: tests give byte-identical snapshots.
func Rand(label string) io.Reader { return &stream{label: label} }

type stream struct {
	label string
	n     uint64
	buf   []byte
}

func (s *stream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) {
		sum := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("qualbridge TEST-ONLY stream: "+s.label), s.n))
		s.n++
		s.buf = append(s.buf, sum[:]...)
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// Pepper is the TEST-ONLY lookup pepper.
func Pepper() seal.Pepper {
	return seal.Pepper(sha256.Sum256([]byte("qualbridge TEST-ONLY lookup pepper")))
}

// Issuer is the fictional issuer of test certificates.
const Issuer = "测试签发机构（TEST-ONLY）"

// Window is the default key window of a Builder.
var (
	NotBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	NotAfter  = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Builder holds what a snapshot is made of. The zero value is not
// usable: call New.
type Builder struct {
	RootKeys    []ed25519.PrivateKey // the root set in force's keys
	Roots       [][]byte             // signed root sets, version 1 up
	Root        trust.RootSet        // the root set in force
	List        trust.List           // signed by Sign
	Timestamp   ed25519.PrivateKey
	Signing     ed25519.PrivateKey
	Records     []trust.Object
	Revocations [][]byte
	Seq         uint64
	Params      seal.Params
	PackSize    int // records per pack; 0: trust.Publish's default
	rand        io.Reader
}

// New returns a builder under the TEST-ONLY root key "root"+label with an
// active signing key ("signing") and timestamp key ("timestamp"), a
// trust list of sequence 1 expiring in 2030.
func New(label string) *Builder {
	b := &Builder{
		RootKeys:  []ed25519.PrivateKey{Key("root" + label)},
		Timestamp: Key("timestamp"), Signing: Key("signing"),
		Params: seal.DefaultParams(), rand: Rand("nonces " + label),
	}
	b.Root = trust.RootSet{Version: 1, SignedAt: NotBefore, Threshold: 1, Keys: []ed25519.PublicKey{pub(b.RootKeys[0])}}
	r, err := b.Root.Sign(b.RootKeys...)
	if err != nil {
		panic(err)
	}
	b.Roots = [][]byte{r}
	b.List = trust.List{Seq: 1, SignedAt: NotBefore, Expires: NotAfter, RootVersion: 1}
	b.AddKey(b.Signing, trust.RoleSigning, trust.Active, NotBefore, NotAfter)
	b.AddKey(b.Timestamp, trust.RoleTimestamp, trust.Active, NotBefore, NotAfter)
	return b
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// AddKey adds (or replaces) a key of the trust list.
func (b *Builder) AddKey(k ed25519.PrivateKey, role trust.Role, st trust.Status, notBefore, notAfter time.Time) {
	kid := record.KeyID(pub(k))
	for i, x := range b.List.Keys {
		if x.KID == kid {
			b.List.Keys = append(b.List.Keys[:i], b.List.Keys[i+1:]...)
			break
		}
	}
	b.List.Keys = append(b.List.Keys, trust.Key{KID: kid, PublicKey: pub(k), Role: role, Status: st, NotBefore: notBefore, NotAfter: notAfter, Issuer: Issuer})
}

// SetStatus changes a key's status in the trust list.
func (b *Builder) SetStatus(k ed25519.PrivateKey, st trust.Status) {
	kid := record.KeyID(pub(k))
	for i := range b.List.Keys {
		if b.List.Keys[i].KID == kid {
			b.List.Keys[i].Status = st
		}
	}
}

// RotateRoot makes a new root set version with the given keys, signed by
// the old and the new.
func (b *Builder) RotateRoot(keys ...ed25519.PrivateKey) error {
	next := trust.RootSet{Version: b.Root.Version + 1, SignedAt: b.Root.SignedAt.Add(time.Hour), Threshold: 1}
	for _, k := range keys {
		next.Keys = append(next.Keys, pub(k))
	}
	s, err := next.Sign(append(append([]ed25519.PrivateKey{}, b.RootKeys...), keys...)...)
	if err != nil {
		return err
	}
	b.Roots, b.Root, b.RootKeys = append(b.Roots, s), next, keys
	b.List.RootVersion = next.Version
	return nil
}

// Holder is a fictional holder's full lookup triple.
type Holder struct {
	Name, IDNumber string
	BirthYear      int
}

// Cert returns a fictional version-2 certificate of number for h. The
// qualification mapping is a real catalog row (照顾服务员 单一级 →
// 养老护理员 四级, 4-10-01-05); holder, number and issuer are made up.
func Cert(number string, h Holder, issued time.Time) record.Certificate {
	return record.Certificate{
		Number: number, HolderMasked: record.MaskName(h.Name), BirthYear: h.BirthYear,
		IDType: record.Permit, IDMasked: record.MaskID(h.IDNumber),
		TaiwanName: "照顾服务员", TaiwanGrade: "单一级", OccupationCode: "4-10-01-05",
		OccupationName: "养老护理员", Level: "四级", QualificationID: "test-qualification",
		Issuer: Issuer, IssueDate: issued, Generation: 1,
		PersonalDigest: sha256.Sum256([]byte("TEST-ONLY personal " + number)),
	}
}

// Add signs c with signer at signedAt under tok's locator and seals its
// token copy, and, when h is not nil, its lookup copy. It returns the
// envelope.
func (b *Builder) Add(tok record.Token, c record.Certificate, h *Holder, signer ed25519.PrivateKey, signedAt time.Time) ([]byte, error) {
	loc, key, err := seal.TokenKeys(tok)
	if err != nil {
		return nil, err
	}
	c.Locator = loc
	env, err := record.NewSigner(signer).SignCertificate(&c, signedAt)
	if err != nil {
		return nil, err
	}
	if err := b.AddSealed(loc, key, seal.ByToken, c.Generation, env); err != nil {
		return nil, err
	}
	if h != nil {
		l, err := seal.Normalize(c.Number, h.Name, h.IDNumber)
		if err != nil {
			return nil, err
		}
		lloc, lkey, err := seal.LookupKeys(l, Pepper(), b.Params)
		if err != nil {
			return nil, err
		}
		if err := b.AddSealed(lloc, lkey, seal.ByLookup, c.Generation, env); err != nil {
			return nil, err
		}
	}
	return env, nil
}

// AddSealed seals env under (loc, key, kind, gen), replacing a record of
// the same locator.
func (b *Builder) AddSealed(loc record.Locator, key seal.Key, kind seal.Kind, gen uint32, env []byte) error {
	s, err := seal.Seal(b.rand, key, loc, kind, gen, env)
	if err != nil {
		return err
	}
	o := trust.Object{Locator: loc, Kind: kind, Generation: gen, Sealed: s}
	for i := range b.Records {
		if b.Records[i].Locator == loc {
			b.Records[i] = o
			return nil
		}
	}
	b.Records = append(b.Records, o)
	return nil
}

// Filler adds n lookup-kind records of random bytes (the benchmark's
// stand-in for lookup copies, which cost an argon2id each to make).
func (b *Builder) Filler(n int) {
	for range n {
		var o trust.Object
		o.Kind, o.Generation, o.Sealed = seal.ByLookup, 1, make([]byte, seal.SealedSize)
		io.ReadFull(b.rand, o.Locator[:])
		io.ReadFull(b.rand, o.Sealed)
		b.Records = append(b.Records, o)
	}
}

// Revoke appends a signed revocation of tok's certificate.
func (b *Builder) Revoke(tok record.Token, date time.Time, reason record.Reason, signer ed25519.PrivateKey, at time.Time) error {
	loc, err := seal.Locator(tok)
	if err != nil {
		return err
	}
	env, err := record.NewSigner(signer).SignCancellation(&record.Cancellation{Locator: loc, Date: date, Reason: reason}, at)
	if err != nil {
		return err
	}
	b.Revocations = append(b.Revocations, env)
	return nil
}

// Publish signs the trust list with the root keys and writes the
// snapshot to dir with the next head sequence, signed at now, living
// lifetime.
func (b *Builder) Publish(dir string, now time.Time, lifetime time.Duration) (*trust.Head, error) {
	list, err := b.List.Sign(b.RootKeys...)
	if err != nil {
		return nil, err
	}
	b.Seq++
	h, err := trust.Publish(dir, trust.Input{
		Roots: b.Roots, List: list, Revocations: b.Revocations, Records: b.Records,
		Seq: b.Seq, Now: now, Lifetime: lifetime, Timestamp: b.Timestamp, PackSize: b.PackSize,
	})
	if h != nil {
		b.Seq = h.Seq
	}
	return h, err
}

// PinFile writes the trust-root.pub of root set version 1 to dir and
// returns its path.
func (b *Builder) PinFile(dir string) (string, error) {
	p, err := trust.FormatPin(b.Roots[0])
	if err != nil {
		return "", err
	}
	name := filepath.Join(dir, "trust-root.pub")
	return name, os.WriteFile(name, p, 0o644)
}

// Pin returns the parsed pin of root set version 1.
func (b *Builder) Pin() *trust.Pin {
	p, err := trust.FormatPin(b.Roots[0])
	if err != nil {
		panic(err)
	}
	pin, err := trust.ParsePin(p)
	if err != nil {
		panic(fmt.Sprint("trusttest: ", err))
	}
	return pin
}

// NewestPack returns the path of the pack file written last in the
// snapshot folder dir (by modification time): one the last head names.
// A folder without packs fails t (a *testing.T or *testing.B; the
// interface keeps package testing out of the benchmark binary).
func NewestPack(t interface {
	Helper()
	Fatalf(format string, args ...any)
}, dir string) string {
	t.Helper()
	des, err := os.ReadDir(filepath.Join(dir, trust.RecordsDir))
	if err != nil || len(des) == 0 {
		t.Fatalf("trusttest: no packs in %s: %v", dir, err)
	}
	var name string
	var newest time.Time
	for _, de := range des {
		if fi, err := de.Info(); err == nil && !fi.ModTime().Before(newest) {
			name, newest = de.Name(), fi.ModTime()
		}
	}
	return filepath.Join(dir, trust.RecordsDir, name)
}

// Object returns the file of the snapshot folder dir that its head names
// at path, a function of the head ([trust.ListFile],
// [trust.RevocationsFile]): for tests that tamper with one object. A
// folder whose head does not parse fails t.
func Object(t interface {
	Helper()
	Fatalf(format string, args ...any)
}, dir string, path func(*trust.Head) string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, trust.HeadFile))
	if err != nil {
		t.Fatalf("trusttest: %v", err)
	}
	h, err := trust.ParseHead(b)
	if err != nil {
		t.Fatalf("trusttest: head of %s: %v", dir, err)
	}
	return filepath.Join(dir, filepath.FromSlash(path(h)))
}

// List is the trust list's path of a head, for [Object].
func List(h *trust.Head) string { return trust.ListFile(h.ListHash) }

// Revocations is the revocation list's path of a head, for [Object].
func Revocations(h *trust.Head) string { return trust.RevocationsFile(h.RevChain) }

// PublishTo is [Builder.Publish] to any target (an object store, say).
func (b *Builder) PublishTo(ctx context.Context, t trust.Target, now time.Time, lifetime time.Duration) (*trust.Published, error) {
	list, err := b.List.Sign(b.RootKeys...)
	if err != nil {
		return nil, err
	}
	b.Seq++
	p, err := trust.PublishTo(ctx, t, trust.Input{
		Roots: b.Roots, List: list, Revocations: b.Revocations, Records: b.Records,
		Seq: b.Seq, Now: now, Lifetime: lifetime, Timestamp: b.Timestamp, PackSize: b.PackSize,
	})
	if p != nil && p.Head != nil {
		b.Seq = p.Seq
	}
	return p, err
}
