package record

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Errors callers branch on; the verifier maps each to an outcome. Every
// error the package returns for bad input wraps one of them.
var (
	// ErrMalformed: not a well-formed token, envelope or record.
	ErrMalformed = errors.New("malformed")
	// ErrUnknownKey: the kid is not in the trust list (not genuine).
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrBadSignature: the signature does not verify, or the record was
	// tampered with (not genuine).
	ErrBadSignature = errors.New("bad signature")
	// ErrOutsideWindow: signed outside the key's window (not genuine).
	ErrOutsideWindow = errors.New("signed outside the key's window")
	// ErrKeyCompromised: the signing key is marked compromised.
	ErrKeyCompromised = errors.New("signing key compromised")
)

// Version is the encoding version this package writes and reads.
const Version = 1

// IDType is the holder's identity document.
type IDType string

const (
	// Permit is the 台湾居民来往大陆通行证 (台胞证), an 8-digit number.
	Permit IDType = "permit"
	// Residence is the 台湾居民居住证, an 18-digit number with the 830000 prefix.
	Residence IDType = "residence"
)

// Label is the document's Chinese name, as printed on the certificate.
func (t IDType) Label() string {
	switch t {
	case Permit:
		return "台湾居民来往大陆通行证"
	case Residence:
		return "台湾居民居住证"
	}
	return string(t)
}

// Public is the public, already-masked part of a certificate: all a
// verifier may show.
type Public struct {
	Version         int       // encoding version (1)
	Token           Token     // the QR code's token
	Number          string    // certificate number (证书编号)
	HolderMasked    string    // 陈*明 (first and last character; 2-character names: 陈*)
	BirthYear       int       // year of birth only
	IDType          IDType    // permit (台湾居民来往大陆通行证) or residence (台湾居民居住证)
	IDMasked        string    // ****1234
	TaiwanName      string    // Taiwan qualification (照顾服务员)
	TaiwanGrade     string    // 单一级 (may be empty)
	OccupationCode  string    // 4-10-01-05
	OccupationName  string    // 养老护理员
	Level           string    // 四级
	QualificationID string    // catalog qualification id
	Issuer          string    // 福建省（平潭）台胞职业资格考证认证一体化服务中心
	IssueDate       time.Time // civil date, UTC midnight
	ValidUntil      time.Time // civil date, UTC midnight; zero = no expiry
	SignedAt        time.Time // when the record was signed (checked against the key's window); whole seconds, UTC
	KID             string    // key id of the signing key (from the envelope)
	// NameCheck is a hash of the full NFC name keyed by the token, so
	// that a manual lookup (number + name) can be answered without the
	// record holding the name. See [NameCheck].
	//
	// Version 1 only (the issuer still writes it): anyone holding the token and the record
	// can test names against it; version 2 ([Certificate]) has no such
	// value and answers lookups through sealed copies (package seal).
	NameCheck [32]byte
	// PersonalDigest is the SHA-256 of the canonical encoding of the
	// salted Personal record: the signature covers both parts through it.
	PersonalDigest [32]byte
}

// MatchName reports, in constant time, whether name (NFC-normalised and
// trimmed of surrounding space by the function) is the holder's full name.
func (p *Public) MatchName(name string) bool {
	want := NameCheck(p.Token, name)
	return subtle.ConstantTimeCompare(want[:], p.NameCheck[:]) == 1
}

// NameCheck returns the keyed hash of the holder's full name that
// [Public.NameCheck] holds. The key is the token: it makes the hash
// differ per certificate, so equal names are not linkable across records.
//
// Version 1 only; see [Public.NameCheck].
func NameCheck(t Token, name string) [32]byte {
	name = norm.NFC.String(strings.TrimSpace(name))
	m := hmac.New(sha256.New, []byte("qualbridge/name/v1\x00"+string(t)))
	m.Write([]byte(name))
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// MaskName masks a full name for the public part: first and last
// character kept (陈*明); a two-character name keeps its first (陈*).
func MaskName(name string) string {
	r := []rune(name)
	switch len(r) {
	case 0:
		return ""
	case 1, 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

// MaskID masks an identity document number, keeping its last 4 characters.
func MaskID(id string) string {
	if utf8.RuneCountInString(id) <= 4 {
		return "****"
	}
	r := []rune(id)
	return "****" + string(r[len(r)-4:])
}

// Personal is the full personal record. It is only ever stored
// age-encrypted; Salt keeps its digest from being a dictionary-attackable
// fingerprint of the holder.
type Personal struct {
	Salt      [16]byte
	Name      string
	Sex       string    // 男 | 女
	BirthDate time.Time // civil date, UTC midnight
	IDType    IDType
	IDNumber  string
}

// Digest returns the SHA-256 of the canonical encoding of p, the value
// signed as [Public.PersonalDigest].
func (p *Personal) Digest() ([32]byte, error) {
	b, err := p.MarshalBinary()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// Reason is a generic revocation reason; the verifier shows it, so it
// never says anything about the holder.
type Reason string

// Revocation reasons.
const (
	IssuedInError Reason = "issued-in-error"
	Superseded    Reason = "superseded"
	HolderRequest Reason = "holder-request"
	Withdrawn     Reason = "withdrawn"
)

// Reasons lists the valid reasons in their encoding order.
func Reasons() []Reason { return []Reason{IssuedInError, Superseded, HolderRequest, Withdrawn} }

// ParseReason accepts one of the four reason codes.
func ParseReason(s string) (Reason, error) {
	for _, r := range Reasons() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: unknown revocation reason %q (want issued-in-error, superseded, holder-request or withdrawn)", ErrMalformed, s)
}

// String returns the reason in Chinese, as the verifier shows it.
func (r Reason) String() string {
	switch r {
	case IssuedInError:
		return "误发"
	case Superseded:
		return "已换发新证"
	case HolderRequest:
		return "持证人申请注销"
	case Withdrawn:
		return "已撤销"
	}
	return string(r)
}

// Revocation is a signed statement that a certificate is revoked.
type Revocation struct {
	Token    Token
	Number   string
	Date     time.Time // civil date, UTC midnight
	Reason   Reason
	KID      string    // from the envelope
	SignedAt time.Time // whole seconds, UTC
}
