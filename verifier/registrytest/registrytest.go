// Package registrytest builds TEST-ONLY registries for the verifier's tests and
// its benchmark: keys derived from fixed, published seeds, fictional
// holders and certificate numbers. Nothing it makes may ever sign or
// stand for a real certificate.
package registrytest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Key returns the TEST-ONLY private key derived from label.
func Key(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("qualbridge verifier TEST-ONLY key: " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Token returns a TEST-ONLY token derived from label (a real issuer
// draws tokens from crypto/rand).
func Token(label string) record.Token {
	sum := sha256.Sum256([]byte("qualbridge verifier TEST-ONLY token: " + label))
	tok, err := record.NewToken(bytesReader(sum[:20]))
	if err != nil {
		panic(err)
	}
	return tok
}

type bytesReader []byte

func (b bytesReader) Read(p []byte) (int, error) { return copy(p, b), nil }

// Trusted returns the trust-list entry of priv.
func Trusted(priv ed25519.PrivateKey, notBefore, notAfter time.Time, status record.KeyStatus) record.TrustedKey {
	pub := priv.Public().(ed25519.PublicKey)
	return record.TrustedKey{KID: record.KeyID(pub), PublicKey: pub, NotBefore: notBefore, NotAfter: notAfter, Status: status, Issuer: Issuer}
}

// WriteTrust writes dir/trust.json.
func WriteTrust(dir string, keys ...record.TrustedKey) error {
	b, err := (&record.TrustList{Keys: keys}).Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return record.WriteFileAtomic(filepath.Join(dir, record.TrustFile), b, 0o644)
}

// Issuer is the fictional issuer of test certificates.
const Issuer = "测试签发机构（TEST-ONLY）"

// Holder is a fictional certificate holder.
type Holder struct {
	Name      string
	Sex       string
	BirthDate time.Time
	IDType    record.IDType
	IDNumber  string
}

// Synthetic returns the i-th synthetic holder: a made-up name that says
// it is a test ("测" + two characters) and a made-up permit number.
func Synthetic(i int) Holder {
	const given = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"
	r := []rune(given)
	return Holder{
		Name:      "测" + string(r[i%len(r)]) + string(r[(i/len(r))%len(r)]),
		Sex:       "男",
		BirthDate: time.Date(1970+i%30, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC),
		IDType:    record.Permit,
		IDNumber:  fmt.Sprintf("%08d", 90000000+i%10000000),
	}
}

// Public returns the public part of a fictional certificate for h. The
// qualification mapping is a real catalog row (照顾服务员 单一级 →
// 养老护理员 四级, 4-10-01-05, batch 5); holder, number and issuer are
// made up.
func Public(tok record.Token, number string, h Holder, issued time.Time) (*record.Public, error) {
	var salt [16]byte
	binary.BigEndian.PutUint64(salt[:], uint64(len(number)))
	copy(salt[8:], tok[:8])
	per := &record.Personal{Salt: salt, Name: h.Name, Sex: h.Sex, BirthDate: h.BirthDate, IDType: h.IDType, IDNumber: h.IDNumber}
	dg, err := per.Digest()
	if err != nil {
		return nil, err
	}
	return &record.Public{
		Token:           tok,
		Number:          number,
		HolderMasked:    record.MaskName(h.Name),
		BirthYear:       h.BirthDate.Year(),
		IDType:          h.IDType,
		IDMasked:        record.MaskID(h.IDNumber),
		TaiwanName:      "照顾服务员",
		TaiwanGrade:     "单一级",
		OccupationCode:  "4-10-01-05",
		OccupationName:  "养老护理员",
		Level:           "四级",
		QualificationID: "test-qualification",
		Issuer:          Issuer,
		IssueDate:       issued,
		NameCheck:       record.NameCheck(tok, h.Name),
		PersonalDigest:  dg,
	}, nil
}

// Sign signs p with priv at now and returns its registry entry.
func Sign(priv ed25519.PrivateKey, p *record.Public, now time.Time) (record.Entry, error) {
	env, err := record.NewSigner(priv).Sign(p, now)
	if err != nil {
		return record.Entry{}, err
	}
	return record.Entry{Token: p.Token, Number: p.Number, Envelope: env}, nil
}

// Revoke appends a signed revocation of e to dir's revocations.log.
func Revoke(dir string, priv ed25519.PrivateKey, e record.Entry, date time.Time, reason record.Reason, now time.Time) error {
	env, err := record.NewSigner(priv).SignRevocation(&record.Revocation{Token: e.Token, Number: e.Number, Date: date, Reason: reason}, now)
	if err != nil {
		return err
	}
	return record.AppendRevocation(dir, env)
}

// Placeholder stands in for a batch's age-encrypted personal records:
// the verifier never reads them.
const Placeholder = "TEST-ONLY: no personal records\n"
