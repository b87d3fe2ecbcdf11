package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"
)

// Everything here is TEST-ONLY: keys from fixed, published seeds and a
// fictional holder. None of it may ever sign a real certificate.

// testKey returns the TEST-ONLY key derived from label.
func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("qualbridge TEST-ONLY key: " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// testToken returns the token drawn from a fixed TEST-ONLY reader.
func testToken(t testing.TB, fill byte) Token {
	tok, err := NewToken(bytes.NewReader(bytes.Repeat([]byte{fill}, 20)))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var (
	testNotBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	testNotAfter  = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	testSignedAt  = time.Date(2025, 12, 1, 9, 30, 0, 0, time.UTC)
)

func trustFor(status KeyStatus, keys ...ed25519.PrivateKey) *TrustList {
	tl := &TrustList{}
	for _, k := range keys {
		pub := k.Public().(ed25519.PublicKey)
		tl.Keys = append(tl.Keys, TrustedKey{KID: KeyID(pub), PublicKey: pub, NotBefore: testNotBefore, NotAfter: testNotAfter, Status: status, Issuer: "测试中心（TEST-ONLY）"})
	}
	return tl
}

// testPersonal is a fictional holder (TEST-ONLY).
func testPersonal() *Personal {
	return &Personal{
		Salt:      [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Name:      "林测试明",
		Sex:       "女",
		BirthDate: time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC),
		IDType:    Permit,
		IDNumber:  "00000001",
	}
}

// testPublic is the public part of the fictional certificate; the
// qualification mapping is the real batch-5 row (照顾服务员 单一级 →
// 养老护理员 四级), the holder and number are made up.
func testPublic(t testing.TB, tok Token) *Public {
	per := testPersonal()
	dg, err := per.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return &Public{
		Token:           tok,
		Number:          "S000035000001254000001",
		HolderMasked:    MaskName(per.Name),
		BirthYear:       per.BirthDate.Year(),
		IDType:          per.IDType,
		IDMasked:        MaskID(per.IDNumber),
		TaiwanName:      "照顾服务员",
		TaiwanGrade:     "单一级",
		OccupationCode:  "4-10-01-05",
		OccupationName:  "养老护理员",
		Level:           "四级",
		QualificationID: "zhaogu-fuwuyuan-single",
		Issuer:          "测试中心（TEST-ONLY）",
		IssueDate:       time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
		NameCheck:       NameCheck(tok, per.Name),
		PersonalDigest:  dg,
	}
}

func signedTest(t testing.TB, key ed25519.PrivateKey) ([]byte, *Public) {
	p := testPublic(t, testToken(t, 0x42))
	env, err := NewSigner(key).Sign(p, testSignedAt)
	if err != nil {
		t.Fatal(err)
	}
	return env, p
}
