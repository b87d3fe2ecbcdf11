package record

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRFC8032 checks crypto/ed25519 against RFC 8032 §7.1 test 1, the
// primitive every signature here rests on.
func TestRFC8032(t *testing.T) {
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	wantPub := "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	wantSig := "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
	priv := ed25519.NewKeyFromSeed(seed)
	if got := hex.EncodeToString(priv.Public().(ed25519.PublicKey)); got != wantPub {
		t.Errorf("public key = %s, want %s", got, wantPub)
	}
	sig := ed25519.Sign(priv, nil)
	if got := hex.EncodeToString(sig); got != wantSig {
		t.Errorf("signature = %s, want %s", got, wantSig)
	}
	if !ed25519.Verify(priv.Public().(ed25519.PublicKey), nil, sig) {
		t.Error("RFC 8032 test 1 signature does not verify")
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	key := testKey("a")
	env, p := signedTest(t, key)
	got, err := trustFor(KeyActive, key).Verify(env)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("Verify = %+v\nwant %+v", got, p)
	}
	if got.KID != KeyID(key.Public().(ed25519.PublicKey)) || got.Version != 1 || !got.SignedAt.Equal(testSignedAt) {
		t.Errorf("KID/Version/SignedAt not set: %q %d %v", got.KID, got.Version, got.SignedAt)
	}
	if !got.MatchName("林测试明") || !got.MatchName(" 林测试明 ") || got.MatchName("林测试") {
		t.Error("MatchName")
	}
	// A retired key's past signatures stay genuine.
	if _, err := trustFor(KeyRetired, key).Verify(env); err != nil {
		t.Errorf("retired key: %v", err)
	}
}

// TestTamperEveryByte flips every bit pattern 0x01 and 0xff at every
// position of a signed envelope: each must be refused, and never as valid.
func TestTamperEveryByte(t *testing.T) {
	key := testKey("a")
	env, _ := signedTest(t, key)
	tl := trustFor(KeyActive, key)
	for i := range env {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(env)
			b[i] ^= x
			if p, err := tl.Verify(b); err == nil {
				t.Fatalf("byte %d ^ %#x: accepted %+v", i, x, p)
			} else if !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("byte %d ^ %#x: unexpected error class %v", i, x, err)
			}
		}
	}
	// Truncations and extensions.
	for n := range len(env) {
		if _, err := tl.Verify(env[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
	if _, err := tl.Verify(append(bytes.Clone(env), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func TestVerifyRefuses(t *testing.T) {
	a, b := testKey("a"), testKey("b")
	envA, _ := signedTest(t, a)
	envB, _ := signedTest(t, b)
	kidA, kidB := KeyID(a.Public().(ed25519.PublicKey)), KeyID(b.Public().(ed25519.PublicKey))

	// The envelope of b with a's kid swapped in: same length kids.
	swapped := bytes.Replace(bytes.Clone(envB), []byte(kidB), []byte(kidA), 1)

	outside := func(at time.Time) []byte {
		p := testPublic(t, testToken(t, 7))
		env, err := NewSigner(a).Sign(p, at)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	short := trustFor(KeyActive, a)
	short.Keys[0].PublicKey = short.Keys[0].PublicKey[:31]
	long := trustFor(KeyActive, a)
	long.Keys[0].PublicKey = append(bytes.Clone(long.Keys[0].PublicKey), 0)

	tests := []struct {
		name string
		tl   *TrustList
		env  []byte
		want error
	}{
		{"unknown kid", trustFor(KeyActive, a), envB, ErrUnknownKey},
		{"swapped kid", trustFor(KeyActive, a, b), swapped, ErrBadSignature},
		{"signed by another key", &TrustList{Keys: []TrustedKey{{KID: kidA, PublicKey: b.Public().(ed25519.PublicKey), NotBefore: testNotBefore, NotAfter: testNotAfter, Status: KeyActive}}}, envA, ErrBadSignature},
		{"before window", trustFor(KeyActive, a), outside(testNotBefore.Add(-time.Second)), ErrOutsideWindow},
		{"after window", trustFor(KeyActive, a), outside(testNotAfter.Add(time.Second)), ErrOutsideWindow},
		{"compromised", trustFor(KeyCompromised, a), envA, ErrKeyCompromised},
		{"short key", short, envA, ErrUnknownKey},
		{"long key", long, envA, ErrUnknownKey},
		{"empty", trustFor(KeyActive, a), nil, ErrMalformed},
		{"revocation as certificate", trustFor(KeyActive, a), revocationEnv(t, a), ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.tl.Verify(tt.env)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, %v; want %v", p, err, tt.want)
			}
		})
	}
	// The window's ends are inclusive.
	if _, err := trustFor(KeyActive, a).Verify(outside(testNotBefore)); err != nil {
		t.Errorf("at not_before: %v", err)
	}
}

func revocationEnv(t testing.TB, key ed25519.PrivateKey) []byte {
	r := &Revocation{Token: testToken(t, 0x42), Number: "S000035000001254000001", Date: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Reason: IssuedInError}
	env, err := NewSigner(key).SignRevocation(r, testSignedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestRevocationRoundTrip(t *testing.T) {
	a := testKey("a")
	env := revocationEnv(t, a)
	tl := trustFor(KeyActive, a)
	r, err := tl.VerifyRevocation(env)
	if err != nil {
		t.Fatal(err)
	}
	if r.Reason != IssuedInError || r.Reason.String() != "误发" || r.KID != KeyID(a.Public().(ed25519.PublicKey)) || r.Number != "S000035000001254000001" {
		t.Errorf("got %+v", r)
	}
	certEnv, _ := signedTest(t, a)
	if _, err := tl.VerifyRevocation(certEnv); !errors.Is(err, ErrBadSignature) {
		t.Errorf("certificate taken for a revocation: %v", err)
	}
}

func TestSignRefusesBadRecords(t *testing.T) {
	s := NewSigner(testKey("a"))
	tests := []struct {
		name string
		edit func(p *Public)
	}{
		{"bad token", func(p *Public) { p.Token = "abc" }},
		{"empty number", func(p *Public) { p.Number = "" }},
		{"control character", func(p *Public) { p.Issuer = "a\x00b" }},
		{"bidi override", func(p *Public) { p.HolderMasked = "陈\u202e*明" }},
		{"not NFC", func(p *Public) { p.TaiwanName = "e\u0301" }},
		{"invalid UTF-8", func(p *Public) { p.Level = "\xff" }},
		{"unknown id type", func(p *Public) { p.IDType = "passport" }},
		{"issue date with time", func(p *Public) { p.IssueDate = p.IssueDate.Add(time.Hour) }},
		{"no issue date", func(p *Public) { p.IssueDate = time.Time{} }},
		{"birth year", func(p *Public) { p.BirthYear = 12 }},
		{"long string", func(p *Public) { p.Issuer = strings.Repeat("a", maxString+1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPublic(t, testToken(t, 3))
			tt.edit(p)
			if _, err := s.Sign(p, testSignedAt); !errors.Is(err, ErrMalformed) {
				t.Errorf("Sign = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestParseToken(t *testing.T) {
	good := string(testToken(t, 0x42))
	tests := []struct {
		in string
		ok bool
	}{
		{good, true},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true},
		{"77777777777777777777777777777777", true},
		{strings.ToLower(good), false},
		{good + "=", false},
		{good[:31], false},
		{good[:31] + "1", false},
		{good[:31] + "8", false},
		{"", false},
		{"../../../../../../../etc/passwd", false},
		{"%00" + good[3:], false},
		{"ＡＡＡＡＡＡＡＡＡＡ" + good[:2], false}, // fullwidth: 30 bytes + 2
		{good[:30] + "Ａ", false},
		{good[:31] + " ", false},
	}
	for _, tt := range tests {
		got, err := ParseToken(tt.in)
		if tt.ok != (err == nil) || tt.ok && string(got) != tt.in {
			t.Errorf("ParseToken(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseToken(%q): error %v does not wrap ErrMalformed", tt.in, err)
		}
	}
}

func TestTokenURLAndHash(t *testing.T) {
	tok := testToken(t, 0)
	for _, base := range []string{"https://verify.example.org", "https://verify.example.org/", "https://verify.example.org//"} {
		if got, want := tok.URL(base), "https://verify.example.org/c/"+string(tok); got != want {
			t.Errorf("URL(%q) = %q", base, got)
		}
	}
	if h := tok.Hash(); len(h) != 12 || strings.Contains(string(tok), h) {
		t.Errorf("Hash = %q", h)
	}
	if _, err := NewToken(bytes.NewReader(make([]byte, 19))); err == nil {
		t.Error("NewToken with a short reader succeeded")
	}
}

func TestMask(t *testing.T) {
	names := map[string]string{"陈小明": "陈*明", "陈明": "陈*", "欧阳小明": "欧**明", "明": "明*", "": ""}
	for in, want := range names {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	ids := map[string]string{"12345678": "****5678", "830000199001011234": "****1234", "123": "****"}
	for in, want := range ids {
		if got := MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPersonalRoundTrip(t *testing.T) {
	p := testPersonal()
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var q Personal
	if err := q.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&q, p) {
		t.Errorf("round trip: %+v != %+v", q, *p)
	}
	if err := q.UnmarshalBinary(append(b, 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing byte: %v", err)
	}
	p.Sex = "x"
	if _, err := p.MarshalBinary(); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad sex: %v", err)
	}
}

func TestDecodeRejectsNonCanonical(t *testing.T) {
	payload, err := encodePublic(func() *Public { p := testPublic(t, testToken(t, 9)); p.SignedAt = testSignedAt; return p }())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodePublic(payload); err != nil {
		t.Fatal(err)
	}
	// The number's length is the byte after the 20-byte token; re-encode
	// it as a two-byte varint.
	nonMinimal := append(append(bytes.Clone(payload[:20]), payload[20]|0x80, 0x00), payload[21:]...)
	badDate := bytes.Clone(payload)
	// Issue date follows 9 strings; find it by encoding a known date.
	i := bytes.Index(badDate, []byte{0x07, 0xe9, 12, 1})
	badDate[i+3] = 32
	for name, b := range map[string][]byte{
		"non-minimal varint": nonMinimal,
		"trailing":           append(bytes.Clone(payload), 0),
		"bad date":           badDate,
	} {
		if _, err := decodePublic(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
