package seal

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// FuzzOpenPlaintext reaches what Open reads after the tag checks (the
// length and the padding), which no random sealed bytes reach: any
// 512-byte plaintext, sealed as the issuer would, opens if and only if
// its length fits and its padding is zero, and then to exactly the
// envelope it holds, which Seal seals again to the same plaintext.
func FuzzOpenPlaintext(f *testing.F) {
	f.Add([]byte{0, 1, 'x'})
	f.Add([]byte{0xff, 0xff})
	f.Add(append([]byte{0, 0}, bytes.Repeat([]byte{0}, 510)...))
	f.Add(append([]byte{0, 1, 'x', 0, 0}, 1))
	key, loc := Key{1}, record.Locator{2}
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		plain := make([]byte, PlainSize)
		copy(plain, p)
		nonce := make([]byte, NonceSize)
		sealed := aead.Seal(bytes.Clone(nonce), nonce, plain, additionalData(loc, ByToken, 1))
		env, err := Open(key, loc, ByToken, 1, sealed)
		n := int(binary.BigEndian.Uint16(plain))
		good := n <= MaxEnvelope && bytes.Count(plain[2+n:], []byte{0}) == len(plain[2+n:])
		if (err == nil) != good {
			t.Fatalf("length %d: open error %v, want well-formed %v", n, err, good)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(env, plain[2:2+n]) {
			t.Fatal("the envelope opened is not the one sealed")
		}
		again, err := Seal(bytes.NewReader(nonce), key, loc, ByToken, 1, env)
		if err != nil || !bytes.Equal(again, sealed) {
			t.Fatalf("sealing the envelope again gives other bytes: %v", err)
		}
	})
}
