package trust

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
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
