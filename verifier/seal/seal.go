// Package seal keeps a snapshot's certificates unreadable to anyone who
// does not already hold what the certificate itself prints: its token
// (the QR code) or its number, full name and document number (a manual
// lookup).
//
// # Keys from the token
//
// [TokenKeys] expands the token's 20 bytes with HKDF-SHA-256 into a
// [record.Locator] (the name the sealed record is stored under) and a
// 32-byte [Key]; the two come from separate labels, so the locator, which
// the snapshot shows, tells nothing about the key. Both are one-way: a
// snapshot holds no token.
//
// # Keys from a manual lookup
//
// [LookupKeys] normalises the certificate number, the full name and the
// identity document number ([Normalize]), runs the triple once through
// argon2id with a pepper that verifier hosts hold and snapshots never
// do, and expands the result with HKDF into the lookup copy's locator and
// key. Without the pepper the lookup copies cannot be found or opened;
// with it, every guess at a name and a document number costs one
// argon2id ([DefaultParams]).
//
// # Sealing
//
// [Seal] pads the signed certificate envelope to one fixed size
// ([PlainSize]) and encrypts it with XChaCha20-Poly1305 under a random
// 24-byte nonce; the associated data binds the locator, the [Kind] of
// copy and the generation, so that a sealed record moved to another
// locator, swapped between kinds or put back at an older generation
// does not open. Every sealed record is [SealedSize] bytes.
//
// The exact byte layout is in docs/certificate-format.md.
package seal

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Key is a sealed record's 32-byte XChaCha20-Poly1305 key.
type Key [32]byte

// Kind says which copy of a certificate a sealed record is.
type Kind uint8

const (
	// ByToken is the copy found by scanning the QR code.
	ByToken Kind = 1
	// ByLookup is the copy found by a manual lookup.
	ByLookup Kind = 2
)

func (k Kind) String() string {
	switch k {
	case ByToken:
		return "token"
	case ByLookup:
		return "lookup"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Sizes of a sealed record.
const (
	// PlainSize is the padded plaintext: a 2-byte big-endian length, the
	// envelope, zero bytes.
	PlainSize = 512
	// MaxEnvelope is the longest envelope that can be sealed.
	MaxEnvelope = PlainSize - 2
	// NonceSize is XChaCha20's nonce.
	NonceSize = chacha20poly1305.NonceSizeX
	// SealedSize is nonce || ciphertext || tag: every sealed record's size.
	SealedSize = NonceSize + PlainSize + chacha20poly1305.Overhead
)

// Labels: every derivation has its own.
const (
	tokenSalt   = "qualbridge/token/v2"
	locatorInfo = "qualbridge/locator/v2"
	keyInfo     = "qualbridge/seal-key/v2"
	lookupInfoL = "qualbridge/lookup-locator/v2"
	lookupInfoK = "qualbridge/lookup-key/v2"
	adPrefix    = "qualbridge/sealed/v2\x00"
)

// ErrOpen is returned for a sealed record that does not open: wrong key,
// locator, kind or generation, or bytes changed.
var ErrOpen = errors.New("seal: record does not open")

var tokenEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// TokenKeys returns the locator and key of the token copy. The token must
// be canonical ([record.ParseToken]).
func TokenKeys(tok record.Token) (record.Locator, Key, error) {
	var raw [20]byte
	if len(tok) != record.TokenLen {
		return record.Locator{}, Key{}, fmt.Errorf("%w: token length", record.ErrMalformed)
	}
	if n, err := tokenEnc.Decode(raw[:], []byte(tok)); err != nil || n != len(raw) {
		return record.Locator{}, Key{}, fmt.Errorf("%w: token is not base32", record.ErrMalformed)
	}
	// HKDF-SHA-256 (RFC 5869), written out: both outputs are one block
	// of Expand, and crypto/hkdf's allocations were most of a scan's
	// cost. TestTokenKeysIsHKDF holds it to crypto/hkdf.
	prk := hmac256([]byte(tokenSalt), raw[:], nil)
	var loc record.Locator
	var key Key
	l := hmac256(prk[:], []byte(locatorInfo), []byte{1})
	k := hmac256(prk[:], []byte(keyInfo), []byte{1})
	copy(loc[:], l[:])
	copy(key[:], k[:])
	return loc, key, nil
}

// hmac256 is HMAC-SHA-256 of a || b under key (at most 64 bytes),
// without allocating.
func hmac256(key, a, b []byte) [32]byte {
	var pad [64]byte
	copy(pad[:], key)
	var buf [64 + 64]byte // ipad || message (a || b fit in 64 bytes here)
	for i := range pad {
		buf[i] = pad[i] ^ 0x36
	}
	n := 64 + copy(buf[64:], a)
	n += copy(buf[n:], b)
	inner := sha256.Sum256(buf[:n])
	var outer [64 + 32]byte
	for i := range pad {
		outer[i] = pad[i] ^ 0x5c
	}
	copy(outer[64:], inner[:])
	return sha256.Sum256(outer[:])
}

// expand derives a locator and a key from a pseudorandom key.
func expand(prk []byte, locInfo, keyInfo string) (loc record.Locator, key Key, err error) {
	l, err := hkdf.Expand(sha256.New, prk, locInfo, record.LocatorSize)
	if err != nil {
		return loc, key, err
	}
	k, err := hkdf.Expand(sha256.New, prk, keyInfo, len(key))
	if err != nil {
		return loc, key, err
	}
	copy(loc[:], l)
	copy(key[:], k)
	return loc, key, nil
}

// Locator returns the token copy's locator; see [TokenKeys].
func Locator(tok record.Token) (record.Locator, error) {
	l, _, err := TokenKeys(tok)
	return l, err
}

// additionalData binds a sealed record to its place.
func additionalData(loc record.Locator, kind Kind, gen uint32) []byte {
	ad := make([]byte, 0, len(adPrefix)+record.LocatorSize+1+4)
	ad = append(ad, adPrefix...)
	ad = append(ad, loc[:]...)
	ad = append(ad, byte(kind))
	return binary.BigEndian.AppendUint32(ad, gen)
}

// Seal pads envelope to [PlainSize] and encrypts it under key, with a
// nonce drawn from rand (crypto/rand.Reader in production).
func Seal(rand io.Reader, key Key, loc record.Locator, kind Kind, gen uint32, envelope []byte) ([]byte, error) {
	if len(envelope) > MaxEnvelope {
		return nil, fmt.Errorf("seal: envelope of %d bytes is longer than %d; shorten the certificate's fields", len(envelope), MaxEnvelope)
	}
	if kind != ByToken && kind != ByLookup {
		return nil, fmt.Errorf("seal: unknown kind %d", kind)
	}
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, NonceSize, SealedSize)
	if _, err := io.ReadFull(rand, out); err != nil {
		return nil, fmt.Errorf("seal: reading nonce randomness: %w", err)
	}
	plain := make([]byte, PlainSize)
	binary.BigEndian.PutUint16(plain, uint16(len(envelope)))
	copy(plain[2:], envelope)
	return aead.Seal(out, out[:NonceSize], plain, additionalData(loc, kind, gen)), nil
}

// Open decrypts a sealed record and returns the envelope inside. The
// padding must be all zero.
func Open(key Key, loc record.Locator, kind Kind, gen uint32, sealed []byte) ([]byte, error) {
	return new(Opener).Open(key, loc, kind, gen, sealed)
}

// Opener is [Open] with its buffers, for a caller that opens many
// records one after the other (the verifier keeps them in a pool): the
// envelope it returns lives in the Opener until its next Open.
type Opener struct {
	plain [PlainSize]byte
	ad    [len(adPrefix) + record.LocatorSize + 1 + 4]byte
}

// Clear zeroes o's buffers, so that no opened record stays in memory.
func (o *Opener) Clear() { clear(o.plain[:]) }

// Open is [Open] into o's buffers.
func (o *Opener) Open(key Key, loc record.Locator, kind Kind, gen uint32, sealed []byte) ([]byte, error) {
	if len(sealed) != SealedSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrOpen, len(sealed), SealedSize)
	}
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	ad := append(append(append(append(o.ad[:0], adPrefix...), loc[:]...), byte(kind)), byte(gen>>24), byte(gen>>16), byte(gen>>8), byte(gen))
	plain, err := aead.Open(o.plain[:0], sealed[:NonceSize], sealed[NonceSize:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	n := int(binary.BigEndian.Uint16(plain))
	if n > MaxEnvelope {
		return nil, fmt.Errorf("%w: length %d", ErrOpen, n)
	}
	for _, c := range plain[2+n:] {
		if c != 0 {
			return nil, fmt.Errorf("%w: padding is not zero", ErrOpen)
		}
	}
	return plain[2 : 2+n], nil
}
