package record

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// tokenBytes is the token's entropy: 160 bits, well above the 128 the
// design asks for, and a multiple of 5 bits so that its base32 form has
// no padding and no slack bits (every 32-character string of the
// alphabet is the encoding of exactly one token).
const tokenBytes = 20

// TokenLen is the length of a token's text form.
const TokenLen = 32

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Token is the unguessable certificate token printed in the QR code: 20
// random bytes (160 bits) in RFC 4648 base32 without padding, uppercase
// (32 characters, A-Z2-7). Uppercase keeps the QR code in its compact
// alphanumeric mode.
type Token string

// NewToken draws a token from rand (crypto/rand.Reader in production, a
// fixed reader in tests).
func NewToken(rand io.Reader) (Token, error) {
	var b [tokenBytes]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", fmt.Errorf("record: reading token randomness: %w", err)
	}
	return tokenFromBytes(b), nil
}

func tokenFromBytes(b [tokenBytes]byte) Token {
	return Token(tokenEncoding.EncodeToString(b[:]))
}

// ParseToken accepts only the canonical form: exactly 32 characters of
// A-Z and 2-7. Anything else (lowercase, padding, fullwidth letters,
// percent escapes, path elements) is an error wrapping [ErrMalformed];
// the verifier does not guess what a mangled token meant.
func ParseToken(s string) (Token, error) {
	if len(s) != TokenLen {
		return "", fmt.Errorf("%w: token must be %d characters, got %d bytes", ErrMalformed, TokenLen, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return "", fmt.Errorf("%w: token has a character outside A-Z2-7 at offset %d", ErrMalformed, i)
		}
	}
	return Token(s), nil
}

// bytes returns the token's 20 bytes; ok is false for a non-canonical token.
func (t Token) bytes() (b [tokenBytes]byte, ok bool) {
	if _, err := ParseToken(string(t)); err != nil {
		return b, false
	}
	n, err := tokenEncoding.Decode(b[:], []byte(t))
	return b, err == nil && n == tokenBytes
}

// URL returns the verifier address of the token, as printed in the QR
// code: verifierBase (with or without a trailing slash) + "/c/" + token.
func (t Token) URL(verifierBase string) string {
	return strings.TrimRight(verifierBase, "/") + "/c/" + string(t)
}

// Hash returns a short hex SHA-256 prefix of the token, for logs: the
// token itself is a bearer secret and is never logged.
func (t Token) Hash() string {
	sum := sha256.Sum256([]byte("qualbridge/token-log/v1\x00" + string(t)))
	return hex.EncodeToString(sum[:6])
}
