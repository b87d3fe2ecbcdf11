package issuance

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// CentreName is the issuer the trust list and certificates name by default.
const CentreName = "福建省（平潭）台胞职业资格考证认证一体化服务中心"

// keyFileHeader is the first line of a decrypted key file; the second
// is the base64 Ed25519 seed.
const keyFileHeader = "qualbridge signing key v1"

// SealKey returns a key file: the seed, age-encrypted to recipients.
func SealKey(priv ed25519.PrivateKey, recipients []age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recipients...)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%s\n%s\n", keyFileHeader, base64.StdEncoding.EncodeToString(priv.Seed()))
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// OpenKey decrypts a key file made by [SealKey]; name is shown in errors.
func OpenKey(name string, data []byte, ids ...age.Identity) (ed25519.PrivateKey, error) {
	r, err := age.Decrypt(bytes.NewReader(data), ids...)
	if err != nil {
		return nil, fmt.Errorf("%s：无法解密签名密钥（口令或身份文件不对）", name)
	}
	plain, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return nil, fmt.Errorf("%s：无法解密签名密钥：%v", name, err)
	}
	head, seed64, _ := strings.Cut(strings.TrimSpace(string(plain)), "\n")
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(seed64))
	if head != keyFileHeader || err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s：不是 qualbridge 签名密钥", name)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParseRecipients reads age recipients: single values and the contents
// of recipients files (name → data), as the -recipient and
// -recipients-file flags give them.
func ParseRecipients(values []string, files map[string][]byte) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range values {
		rs, err := age.ParseRecipients(strings.NewReader(s))
		if err != nil || len(rs) != 1 {
			return nil, fmt.Errorf("-recipient %q 不是 age 接收者（应以 age1 开头）", s)
		}
		out = append(out, rs...)
	}
	for name, data := range files {
		rs, err := age.ParseRecipients(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s：不是 age 接收者文件：%v", name, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// signerFor checks that the root-signed trust list has the key as an
// active signing key that may sign at now, so that nothing is signed
// that a verifier would call not genuine.
func signerFor(l *trust.List, priv ed25519.PrivateKey, now time.Time) (*record.Signer, error) {
	s := record.NewSigner(priv)
	k, ok := l.Key(s.KID())
	switch {
	case !ok || k.Role != trust.RoleSigning:
		return nil, fmt.Errorf("签名密钥 %s 不在登记库根签名的信任列表中（用错了密钥文件，或登记库不对）", s.KID())
	case k.Status != trust.Active:
		return nil, fmt.Errorf("签名密钥 %s 已%s，不再可以签名", s.KID(), statusWord(k.Status))
	}
	if err := maySign(l, s.KID(), trust.RoleSigning, now); err != nil {
		return nil, fmt.Errorf("签名密钥 %s 只能在 %s 至 %s 之间签名（检查本机时钟）：%v", s.KID(), localTime(k.NotBefore), localTime(k.NotAfter), err)
	}
	return s, nil
}

func statusWord(s trust.Status) string {
	switch s {
	case trust.Retired:
		return "停用"
	case trust.Compromised:
		return "标记为泄露"
	}
	return fmt.Sprint(s)
}

// fingerprinter makes the keyed fingerprints of the index and the
// manifests: HMAC of (identity number, qualification) under a key
// derived from the signing key, so that they cannot be brute-forced over
// the small space of 8-digit permit numbers without that key.
type fingerprinter struct {
	kid string
	mac hash.Hash // reused: one run computes one per row
}

func newFingerprinter(priv ed25519.PrivateKey) *fingerprinter {
	m := hmac.New(sha256.New, priv.Seed())
	m.Write([]byte("qualbridge/issued-index/v1"))
	return &fingerprinter{kid: record.KeyID(priv.Public().(ed25519.PublicKey)), mac: hmac.New(sha256.New, m.Sum(nil))}
}

// of returns the kid and the fingerprint of a holder and qualification.
func (f *fingerprinter) of(idNumber, qualification string) (kid, fp string) {
	f.mac.Reset()
	f.mac.Write([]byte(idNumber))
	f.mac.Write([]byte{0})
	f.mac.Write([]byte(qualification))
	var sum [sha256.Size]byte
	return f.kid, hex.EncodeToString(f.mac.Sum(sum[:0])[:16])
}
