package seal_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"testing"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

func testToken(t testing.TB) record.Token {
	tok, err := record.NewToken(bytes.NewReader(bytes.Repeat([]byte{0x42}, 20)))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSealOpen: what is sealed opens only at its place: the same
// locator, kind and generation under the same key; every sealed record
// has one size whatever its envelope's length.
func TestSealOpen(t *testing.T) {
	tok := testToken(t)
	loc, key, err := seal.TokenKeys(tok)
	if err != nil {
		t.Fatal(err)
	}
	other, okey, _ := seal.TokenKeys(record.Token("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
	for _, env := range [][]byte{{1}, bytes.Repeat([]byte{7}, 300), bytes.Repeat([]byte{9}, seal.MaxEnvelope)} {
		s, err := seal.Seal(rand.Reader, key, loc, seal.ByToken, 3, env)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != seal.SealedSize {
			t.Errorf("sealed %d bytes, want %d", len(s), seal.SealedSize)
		}
		got, err := seal.Open(key, loc, seal.ByToken, 3, s)
		if err != nil || !bytes.Equal(got, env) {
			t.Fatalf("open: %v", err)
		}
		for name, f := range map[string]func() ([]byte, error){
			"other locator":    func() ([]byte, error) { return seal.Open(key, other, seal.ByToken, 3, s) },
			"other key":        func() ([]byte, error) { return seal.Open(okey, loc, seal.ByToken, 3, s) },
			"other kind":       func() ([]byte, error) { return seal.Open(key, loc, seal.ByLookup, 3, s) },
			"older generation": func() ([]byte, error) { return seal.Open(key, loc, seal.ByToken, 2, s) },
			"flipped byte": func() ([]byte, error) {
				b := bytes.Clone(s)
				b[40] ^= 1
				return seal.Open(key, loc, seal.ByToken, 3, b)
			},
			"truncated": func() ([]byte, error) { return seal.Open(key, loc, seal.ByToken, 3, s[:len(s)-1]) },
		} {
			if _, err := f(); !errors.Is(err, seal.ErrOpen) {
				t.Errorf("%s: %v, want ErrOpen", name, err)
			}
		}
	}
	if _, err := seal.Seal(rand.Reader, key, loc, seal.ByToken, 1, make([]byte, seal.MaxEnvelope+1)); err == nil {
		t.Error("an over-long envelope was sealed")
	}
}

// TestTokenKeysIsHKDF holds the written-out HKDF to crypto/hkdf.
func TestTokenKeysIsHKDF(t *testing.T) {
	tok := testToken(t)
	loc, key, _ := seal.TokenKeys(tok)
	raw, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(tok))
	wantLoc, _ := hkdf.Key(sha256.New, raw, []byte("qualbridge/token/v2"), "qualbridge/locator/v2", 16)
	wantKey, _ := hkdf.Key(sha256.New, raw, []byte("qualbridge/token/v2"), "qualbridge/seal-key/v2", 32)
	if !bytes.Equal(loc[:], wantLoc) || !bytes.Equal(key[:], wantKey) {
		t.Errorf("TokenKeys differs from HKDF-SHA-256")
	}
}

func TestTokenKeysSeparate(t *testing.T) {
	loc, key, err := seal.TokenKeys(testToken(t))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(loc[:], key[:16]) {
		t.Error("the locator is the key's prefix")
	}
	if _, _, err := seal.TokenKeys("not a token"); err == nil {
		t.Error("a malformed token gave keys")
	}
}

func TestNormalize(t *testing.T) {
	for _, tt := range []struct{ number, name, id, want string }{
		{"S0000350000012540", "林测试明", "80736152", "S0000350000012540|林测试明|80736152"},
		{" ｓ０００ 035 ", "林 测试明\u3000", "８０７３６１５２", "S000035|林测试明|80736152"},
		{"s1", "阿美・测试", "a123", "S1|阿美·测试|A123"},
		{"s1", "阿美‧测试", "a123", "S1|阿美·测试|A123"},
		{"s1", "阿美•测试", "a123", "S1|阿美·测试|A123"},
		{"s1", "阿美･测试", "a123", "S1|阿美·测试|A123"},
	} {
		l, err := seal.Normalize(tt.number, tt.name, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Number + "|" + l.Name + "|" + l.IDNumber; got != tt.want {
			t.Errorf("Normalize(%q, %q, %q) = %q, want %q", tt.number, tt.name, tt.id, got, tt.want)
		}
	}
	for _, bad := range [][3]string{{"", "a", "b"}, {"a", " ", "b"}, {"a", "b", "\xff"}} {
		if _, err := seal.Normalize(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("Normalize%q accepted", bad)
		}
	}
}

func TestLookupNeedsThePepper(t *testing.T) {
	l, _ := seal.Normalize("S1", "林测试明", "80736152")
	p := seal.Params{Time: 1, Memory: 64, Threads: 1}
	a, ak, _ := seal.LookupKeys(l, seal.Pepper{1}, p)
	b, bk, _ := seal.LookupKeys(l, seal.Pepper{2}, p)
	if a == b || ak == bk {
		t.Error("two peppers give the same lookup keys")
	}
	a2, _, _ := seal.LookupKeys(l, seal.Pepper{1}, p)
	if a != a2 {
		t.Error("the lookup KDF is not deterministic")
	}
}

func TestPepperFile(t *testing.T) {
	p, _ := seal.NewPepper(bytes.NewReader(bytes.Repeat([]byte{5}, 32)))
	b, _ := p.MarshalText()
	q, err := seal.ParsePepper(append(b, '\n'))
	if err != nil || q != p {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := seal.ParsePepper([]byte("qualbridge-lookup-pepper-v2 AAAA")); err == nil {
		t.Error("a short pepper parsed")
	}
}

func BenchmarkTokenKeys(b *testing.B) {
	tok := testToken(b)
	for b.Loop() {
		seal.TokenKeys(tok)
	}
}

func BenchmarkOpen(b *testing.B) {
	loc, key, _ := seal.TokenKeys(testToken(b))
	s, _ := seal.Seal(rand.Reader, key, loc, seal.ByToken, 1, make([]byte, 380))
	b.ReportAllocs()
	for b.Loop() {
		seal.Open(key, loc, seal.ByToken, 1, s)
	}
}

// FuzzOpen: no input panics Open, and bytes not sealed under the key do
// not open (the tag is 128 bits: a random input never passes).
func FuzzOpen(f *testing.F) {
	loc, key, _ := seal.TokenKeys(testToken(f))
	// A fixed nonce: fuzzing workers run this setup again and must seal
	// the same bytes.
	s, _ := seal.Seal(bytes.NewReader(make([]byte, 24)), key, loc, seal.ByToken, 1, []byte("x"))
	f.Add(s)
	f.Add(s[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := seal.Open(key, loc, seal.ByToken, 1, b); err == nil && !bytes.Equal(b, s) {
			t.Fatal("bytes that were not sealed opened")
		}
	})
}

// FuzzNormalize: normalising is idempotent, and its output has no space.
func FuzzNormalize(f *testing.F) {
	f.Add("ｓ０００ 035", "林 测試・明", "８０７３ ６１５２")
	f.Add("a", "\u00b7\u30fb", "b")
	f.Fuzz(func(t *testing.T, number, name, id string) {
		l, err := seal.Normalize(number, name, id)
		if err != nil {
			return
		}
		again, err := seal.Normalize(l.Number, l.Name, l.IDNumber)
		if err != nil || again != l {
			t.Fatalf("not idempotent: %q -> %q (%v)", l, again, err)
		}
	})
}

func FuzzParsePepper(f *testing.F) {
	p, _ := seal.NewPepper(bytes.NewReader(bytes.Repeat([]byte{5}, 32)))
	b, _ := p.MarshalText()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := seal.ParsePepper(b); err == nil {
			out, _ := p.MarshalText()
			if q, err := seal.ParsePepper(out); err != nil || q != p {
				t.Fatal("pepper does not round-trip")
			}
		}
	})
}
