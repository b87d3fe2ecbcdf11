package record

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"
)

func testCertificate() *Certificate {
	return &Certificate{
		Locator: Locator{1, 2, 3}, Number: "S000035000001254000001", HolderMasked: "林**明", BirthYear: 1990,
		IDType: Permit, IDMasked: "****6152", TaiwanName: "照顾服务员", TaiwanGrade: "单一级",
		OccupationCode: "4-10-01-05", OccupationName: "养老护理员", Level: "四级", QualificationID: "q",
		Issuer: "测试中心（TEST-ONLY）", IssueDate: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Generation: 1,
	}
}

// FuzzOpenCertificate: no input panics the v2 readers, and whatever
// they accept is the one encoding of its value (decode, encode again:
// the same payload), so a signed record has exactly one byte form.
func FuzzOpenCertificate(f *testing.F) {
	key := testKey("fuzz v2")
	pub := key.Public().(ed25519.PublicKey)
	s := NewSigner(key)
	env, err := s.SignCertificate(testCertificate(), testSignedAt)
	if err != nil {
		f.Fatal(err)
	}
	rev, _ := s.SignCancellation(&Cancellation{Locator: Locator{9}, Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Reason: Withdrawn}, testSignedAt)
	f.Add(env)
	f.Add(rev)
	f.Add(env[:len(env)-1])
	f.Add([]byte{2, 0x80, 0})
	keys := func(string) (ed25519.PublicKey, bool) { return pub, true }
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := OpenCertificate(b, keys); err == nil {
			e, _ := parseEnvelope(b, Version2)
			again, err := encodeCertificate(c)
			if err != nil || !bytes.Equal(again, e.payload) {
				t.Fatalf("accepted a payload that is not canonical: %v", err)
			}
		}
		if c, err := DecodeCheckedCertificate(b); err == nil {
			if _, err := encodeCertificate(c); err != nil && bytes.Equal(b, env) {
				t.Fatal(err)
			}
		}
		if c, err := OpenCancellation(b, keys); err == nil {
			e, _ := parseEnvelope(b, Version2)
			again, err := encodeCancellation(c)
			if err != nil || !bytes.Equal(again, e.payload) {
				t.Fatalf("accepted a revocation that is not canonical: %v", err)
			}
		}
		// The payload itself, as if signed.
		if c, err := decodeCertificate(b, false); err == nil {
			if again, err := encodeCertificate(c); err != nil || !bytes.Equal(again, b) {
				t.Fatalf("decode/encode differ: %v", err)
			}
		}
	})
}

func TestCertificateV2(t *testing.T) {
	key, other := testKey("v2"), testKey("v2 other")
	pub := key.Public().(ed25519.PublicKey)
	c := testCertificate()
	env, err := NewSigner(key).SignCertificate(c, testSignedAt)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenCertificate(env, func(kid string) (ed25519.PublicKey, bool) { return pub, kid == KeyID(pub) })
	if err != nil || got.Number != c.Number || got.Generation != 1 || got.KID != KeyID(pub) || !got.SignedAt.Equal(testSignedAt) {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := OpenCertificate(env, func(string) (ed25519.PublicKey, bool) { return other.Public().(ed25519.PublicKey), true }); err == nil {
		t.Error("verified with another key")
	}
	bad := bytes.Clone(env)
	bad[30] ^= 1
	if _, err := OpenCertificate(bad, func(string) (ed25519.PublicKey, bool) { return pub, true }); err == nil {
		t.Error("a tampered envelope verified")
	}
	// A v1 envelope is not a v2 one, and the other way round.
	if _, err := (&TrustList{}).Verify(env); err == nil {
		t.Error("v1 reader took a v2 envelope")
	}
	c.Generation = 0
	if _, err := NewSigner(key).SignCertificate(c, testSignedAt); err == nil {
		t.Error("generation 0 signed")
	}
}
