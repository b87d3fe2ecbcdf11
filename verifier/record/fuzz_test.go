package record

import (
	"bytes"
	"regexp"
	"testing"
)

// FuzzVerify: Verify never panics, and whatever it accepts is exactly
// what re-signing the decoded record gives (Ed25519 is deterministic),
// so an accepted envelope has one byte form.
func FuzzVerify(f *testing.F) {
	key := testKey("known-answer")
	env, _ := signedTest(f, key)
	f.Add(env)
	f.Add(revocationEnv(f, key))
	f.Add([]byte{1})
	tl := trustFor(KeyActive, key)
	s := NewSigner(key)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := tl.Verify(b)
		if err != nil {
			return
		}
		again, err := s.Sign(p, p.SignedAt)
		if err != nil {
			t.Fatalf("accepted record does not re-sign: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted envelope is not canonical:\n%x\n%x", b, again)
		}
	})
}

// FuzzDecode: the payload decoders never panic and are exact inverses of
// the encoders on everything they accept. The first byte picks the kind.
func FuzzDecode(f *testing.F) {
	p := testPublic(f, testToken(f, 5))
	p.SignedAt = testSignedAt
	pub, err := encodePublic(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte{0}, pub...))
	per, _ := testPersonal().MarshalBinary()
	f.Add(append([]byte{2}, per...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		kind, b := b[0]%3, b[1:]
		var again []byte
		switch kind {
		case 0:
			p, err := decodePublic(b)
			if err != nil {
				return
			}
			if again, err = encodePublic(p); err != nil {
				t.Fatalf("decoded public part does not encode: %v", err)
			}
		case 1:
			r, err := decodeRevocation(b)
			if err != nil {
				return
			}
			if again, err = encodeRevocation(r); err != nil {
				t.Fatalf("decoded revocation does not encode: %v", err)
			}
		case 2:
			var q Personal
			if err := q.UnmarshalBinary(b); err != nil {
				return
			}
			if again, err = q.MarshalBinary(); err != nil {
				t.Fatalf("decoded personal record does not encode: %v", err)
			}
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("kind %d: not canonical:\n%x\n%x", kind, b, again)
		}
	})
}

var canonicalToken = regexp.MustCompile(`^[A-Z2-7]{32}$`)

// FuzzParseToken: ParseToken accepts exactly the canonical form, and an
// accepted token round-trips through its 20 bytes.
func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"IJBEEQSCIJBEEQSCIJBEEQSCIJBEEQSC", "ijbeeqscijbeeqscijbeeqscijbeeqsc", "%00", "../", "ＡＡ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if (err == nil) != canonicalToken.MatchString(s) {
			t.Fatalf("ParseToken(%q) err = %v, canonical = %v", s, err, canonicalToken.MatchString(s))
		}
		if err != nil {
			return
		}
		b, ok := tok.bytes()
		if !ok || tokenFromBytes(b) != tok || string(tok) != s {
			t.Fatalf("token %q does not round-trip", s)
		}
	})
}
