package trust

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

func fuzzKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("qualbridge trust fuzz TEST-ONLY key: " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// FuzzReaders: no input panics a reader of the signed metadata, and every
// payload a decoder accepts encodes back to the same bytes: each value
// has one byte form, so a signature covers exactly one meaning.
func FuzzReaders(f *testing.F) {
	k := fuzzKey("root")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	root := &RootSet{Version: 1, SignedAt: t0, Threshold: 1, Keys: []ed25519.PublicKey{k.Public().(ed25519.PublicKey)}}
	rb, _ := root.Sign(k)
	ts := fuzzKey("ts")
	list := &List{Seq: 1, SignedAt: t0, Expires: t0.AddDate(1, 0, 0), RootVersion: 1,
		Keys: []Key{{KID: record.KeyID(ts.Public().(ed25519.PublicKey)), PublicKey: ts.Public().(ed25519.PublicKey), Role: RoleTimestamp, Status: Active, NotBefore: t0, NotAfter: t0.AddDate(2, 0, 0), Issuer: "测试"}}}
	lb, _ := list.Sign(k)
	head := &Head{Seq: 1, SignedAt: t0.Add(time.Hour), Expires: t0.Add(48 * time.Hour), RootVersion: 1, Records: 1,
		Packs: []Pack{{Name: "0123456789abcdef0123456789abcdef.pack", Records: 1}}}
	hb, _ := head.Sign(ts)
	revs, _ := encodeRevocations([][]byte{{1, 2, 3}})
	for _, b := range [][]byte{rb, lb, hb, revs, []byte("QBH2\x00\x00")} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		openRootSet(b, nil)
		openRootSet(b, root)
		if l, err := OpenList(b, root); err == nil {
			p, err := l.encode()
			s, _ := parseSigned(magicList, prefixList, b)
			if err != nil || !bytes.Equal(p, s.payload) {
				t.Fatalf("trust list not canonical: %v", err)
			}
		}
		OpenHead(b, list)
		ParsePin(b)
		parseRevocations(b, 1)
		for name, dec := range map[string]func([]byte) (interface{ encode() ([]byte, error) }, error){
			"root": func(b []byte) (interface{ encode() ([]byte, error) }, error) { return decodeRootSet(b) },
			"list": func(b []byte) (interface{ encode() ([]byte, error) }, error) { return decodeList(b) },
			"head": func(b []byte) (interface{ encode() ([]byte, error) }, error) { return decodeHead(b) },
		} {
			v, err := dec(b)
			if err != nil {
				continue
			}
			again, err := v.encode()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("%s: decode/encode differ: %v", name, err)
			}
		}
	})
}

// FuzzLoad replaces one file of a published snapshot with the fuzzer's
// bytes: Load never panics, and loads only when the bytes are the
// published ones (no other bytes pass the head).
func FuzzLoad(f *testing.F) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rk, sk, tk := fuzzKey("root"), fuzzKey("signing"), fuzzKey("ts")
	pub := func(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }
	root := &RootSet{Version: 1, SignedAt: t0, Threshold: 1, Keys: []ed25519.PublicKey{pub(rk)}}
	rb, _ := root.Sign(rk)
	list := &List{Seq: 1, SignedAt: t0, Expires: t0.AddDate(3, 0, 0), RootVersion: 1, Keys: []Key{
		{KID: record.KeyID(pub(sk)), PublicKey: pub(sk), Role: RoleSigning, Status: Active, NotBefore: t0, NotAfter: t0.AddDate(3, 0, 0)},
		{KID: record.KeyID(pub(tk)), PublicKey: pub(tk), Role: RoleTimestamp, Status: Active, NotBefore: t0, NotAfter: t0.AddDate(3, 0, 0)},
	}}
	lb, _ := list.Sign(rk)
	rev, _ := record.NewSigner(sk).SignCancellation(&record.Cancellation{Locator: record.Locator{7}, Date: t0, Reason: record.Withdrawn}, t0.Add(time.Hour))
	obj := Object{Locator: record.Locator{1}, Kind: 1, Generation: 1, Sealed: bytes.Repeat([]byte{3}, 552)}
	dir := f.TempDir()
	now := t0.AddDate(1, 0, 0)
	h, err := Publish(dir, Input{Roots: [][]byte{rb}, List: lb, Revocations: [][]byte{rev}, Records: []Object{obj},
		Seq: 1, Now: now, Lifetime: 24 * time.Hour, Timestamp: tk})
	if err != nil {
		f.Fatal(err)
	}
	pin := &Pin{Root: root, Bytes: rb}
	files := append([]string{HeadFile}, Objects(h)...)
	orig := map[string][]byte{}
	for _, name := range files {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		orig[name] = b
		f.Add(uint8(len(orig)-1), b)
	}
	// One working copy per fuzzing process, each file put back after use.
	work := filepath.Join(f.TempDir(), "work")
	if err := os.CopyFS(work, os.DirFS(dir)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		name := files[int(which)%len(files)]
		os.WriteFile(filepath.Join(work, name), b, 0o644)
		defer os.WriteFile(filepath.Join(work, name), orig[name], 0o644)
		_, _, err := Load(work, pin, Marks{}, now.Add(time.Minute), DefaultOptions())
		if err == nil && !bytes.Equal(b, orig[name]) {
			t.Fatalf("%s replaced by other bytes loaded", name)
		}
	})
}

// FuzzParsePin: no trust-root.pub file panics ParsePin, and one it
// accepts pins a root set that opens on its own, written back by
// FormatPin to a file that pins the same bytes.
func FuzzParsePin(f *testing.F) {
	k := fuzzKey("root")
	root := &RootSet{Version: 1, SignedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Threshold: 1, Keys: []ed25519.PublicKey{k.Public().(ed25519.PublicKey)}}
	rb, _ := root.Sign(k)
	pin, _ := FormatPin(rb)
	f.Add(pin)
	f.Add([]byte("# comment only\n"))
	f.Add(bytes.Replace(pin, []byte("\n"), []byte("\r\n"), -1))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePin(b)
		if err != nil {
			return
		}
		if _, err := openRootSet(p.Bytes, nil); err != nil {
			t.Fatalf("a pin whose root set does not open: %v", err)
		}
		again, err := FormatPin(p.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ParsePin(again)
		if err != nil || !bytes.Equal(q.Bytes, p.Bytes) || q.Root.Version != p.Root.Version {
			t.Fatalf("pin does not round-trip: %v", err)
		}
	})
}

// FuzzReadMarks: no marks file panics ReadMarks; one it reads is kept
// by WriteMarks and read back the same, and one it refuses is refused
// for the reason state (the verifier then refuses every snapshot rather
// than forget what it saw).
func FuzzReadMarks(f *testing.F) {
	f.Add([]byte(`{"root_version":1,"trust_list_seq":2,"head_seq":3,"revocations":4,"compromised":["a"]}`))
	f.Add([]byte(`{"head_seq": 7`))
	f.Add([]byte(`{"head_seq":-1}`))
	f.Add([]byte(`{"unknown":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, MarksFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := ReadMarks(dir)
		if err != nil {
			if ReasonOf(err) != ReasonState {
				t.Fatalf("refused for %s, want state", ReasonOf(err))
			}
			return
		}
		if err := WriteMarks(dir, m); err != nil {
			t.Fatal(err)
		}
		again, err := ReadMarks(dir)
		if len(m.Compromised) == 0 {
			m.Compromised = nil // "compromised": [] is kept as no field
		}
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("marks do not round-trip: %+v, %+v, %v", m, again, err)
		}
	})
}
