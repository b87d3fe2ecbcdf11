package seal

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Pepper is the manual lookup's secret: 32 random bytes held on verifier
// hosts and, age-encrypted, by the centre, never in a snapshot.
type Pepper [32]byte

// NewPepper draws a pepper from rand.
func NewPepper(rand io.Reader) (Pepper, error) {
	var p Pepper
	_, err := io.ReadFull(rand, p[:])
	return p, err
}

const pepperHeader = "qualbridge-lookup-pepper-v2 "

// MarshalText is the pepper file's one line: "qualbridge-lookup-pepper-v2 "
// and the standard base64 of the 32 bytes.
func (p Pepper) MarshalText() ([]byte, error) {
	return []byte(pepperHeader + base64.StdEncoding.EncodeToString(p[:])), nil
}

// ParsePepper reads a pepper file (one line, surrounding space ignored).
func ParsePepper(b []byte) (Pepper, error) {
	var p Pepper
	s, ok := strings.CutPrefix(strings.TrimSpace(string(b)), pepperHeader)
	if !ok {
		return p, fmt.Errorf("not a lookup pepper file (want a line starting %q)", strings.TrimSpace(pepperHeader))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != len(p) {
		return p, fmt.Errorf("lookup pepper is not 32 bytes of base64")
	}
	copy(p[:], raw)
	return p, nil
}

// Params are the argon2id cost parameters of the lookup KDF. They are
// part of the format: changing them changes every lookup copy's locator.
type Params struct {
	Time    uint32 // passes
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultParams is argon2id with 3 passes over 8 MiB, one lane (the
// OWASP floor is 5 passes over 7 MiB or 4 over 9 MiB; this is a little
// below, chosen so that one lookup costs at most 30 ms of CPU on the
// verifier hosts: measured about 20 ms here), and 8 MiB of memory per
// lookup in flight.
func DefaultParams() Params { return Params{Time: 3, Memory: 8 << 10, Threads: 1} }

// Lookup is the normalised triple a manual lookup is keyed by.
type Lookup struct {
	Number, Name, IDNumber string
}

// Middle dots that people type in Taiwan residents' transliterated names
// (e.g. 阿美族 names): all become U+00B7 MIDDLE DOT.
func isMiddleDot(r rune) bool {
	switch r {
	case '\u00B7', '\u0387', '\u2022', '\u2027', '\u2219', '\u22C5', '\u30FB', '\uFF65', '\u318D', '\u16EB':
		return true
	}
	return false
}

// Normalize turns what a person typed into the triple the lookup key is
// derived from:
//
//   - every field: Unicode NFKC (fullwidth letters and digits become
//     ASCII), then every White_Space character removed;
//   - number and document number: ASCII letters in upper case;
//   - name: every middle-dot variant (·, ・, ‧, •, ⋅, …) becomes U+00B7.
//
// It fails when a field is empty or too long after normalisation.
func Normalize(number, name, id string) (Lookup, error) {
	field := func(what, s string, max int, f func(rune) rune) (string, error) {
		if !utf8.ValidString(s) {
			return "", fmt.Errorf("%w: %s is not UTF-8", record.ErrMalformed, what)
		}
		s = norm.NFKC.String(s)
		s = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || unicode.Is(unicode.White_Space, r) {
				return -1
			}
			return f(r)
		}, s)
		if s == "" || utf8.RuneCountInString(s) > max {
			return "", fmt.Errorf("%w: %s is empty or longer than %d characters", record.ErrMalformed, what, max)
		}
		return s, nil
	}
	upper := func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	dot := func(r rune) rune {
		if isMiddleDot(r) {
			return '\u00B7'
		}
		return r
	}
	var l Lookup
	var err error
	if l.Number, err = field("number", number, 64, upper); err != nil {
		return l, err
	}
	if l.Name, err = field("name", name, 64, dot); err != nil {
		return l, err
	}
	if l.IDNumber, err = field("id number", id, 32, upper); err != nil {
		return l, err
	}
	return l, nil
}

const lookupPrefix = "qualbridge/lookup/v2\x00"

// password is the argon2id password: the prefix and each field with its
// uvarint length.
func (l Lookup) password() []byte {
	var b bytes.Buffer
	b.WriteString(lookupPrefix)
	for _, s := range []string{l.Number, l.Name, l.IDNumber} {
		b.Write(binary.AppendUvarint(nil, uint64(len(s))))
		b.WriteString(s)
	}
	return b.Bytes()
}

// LookupKeys runs the lookup KDF: argon2id over the normalised triple with
// the pepper as salt, expanded into the lookup copy's locator and key.
func LookupKeys(l Lookup, pepper Pepper, p Params) (record.Locator, Key, error) {
	if p.Time == 0 || p.Memory < 8*uint32(max(p.Threads, 1)) || p.Threads == 0 {
		return record.Locator{}, Key{}, fmt.Errorf("seal: bad argon2id parameters %+v", p)
	}
	seed := argon2.IDKey(l.password(), pepper[:], p.Time, p.Memory, p.Threads, 32)
	prk, err := hkdf.Extract(sha256.New, seed, nil)
	if err != nil {
		return record.Locator{}, Key{}, err
	}
	return expand(prk, lookupInfoL, lookupInfoK)
}
