// Package canon is the canonical field codec under every signed byte
// layout of the verifier: the certificates and revocations of package
// record and the signed metadata of package trust.
//
// # Rules
//
// Integers are big-endian and fixed-width; a string is a uvarint length
// (minimal) and then valid UTF-8 in Unicode NFC without control or format
// characters; a civil date is year (2 bytes), month, day, or four zero
// bytes where it is optional; an instant is whole Unix seconds (8 bytes).
// The decoder refuses whatever is not the one encoding of its value
// (truncation, trailing bytes, non-minimal varints, impossible dates), so
// a signed value has exactly one byte form.
//
// # Use
//
// A [Format] holds what differs between layouts: the sentinel every error
// wraps, the longest string, the range of years. [Format.Encoder] and
// [Format.Decoder] keep the first error and ignore what follows it, so
// that an encoding function reads as a plain list of fields and checks
// the error once at the end.
package canon

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Format is the rules one family of byte layouts adds to the common ones.
type Format struct {
	// Malformed is the caller's sentinel; every error wraps it.
	Malformed error
	// MaxString is the most bytes one string field may hold.
	MaxString int
	// MinYear and MaxYear bound civil dates; instants run from 1970 to
	// the end of MaxYear.
	MinYear, MaxYear int
	// NoEpoch refuses the instant 0 (1970-01-01T00:00:00Z) when
	// decoding, as a time that was never set.
	NoEpoch bool
}

func (f Format) errorf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{f.Malformed}, a...)...)
}

// CheckString enforces what every string field must be, on both sides,
// so that whatever encodes also decodes: valid UTF-8 in NFC, no control
// or format (bidi) characters, at most MaxString bytes.
func (f Format) CheckString(field, s string) error {
	if len(s) > f.MaxString {
		return f.errorf("%s longer than %d bytes", field, f.MaxString)
	}
	if !utf8.ValidString(s) {
		return f.errorf("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return f.errorf("%s holds control character %U", field, r)
		}
	}
	if !norm.NFC.IsNormalString(s) {
		return f.errorf("%s is not in Unicode NFC", field)
	}
	return nil
}

// maxInstant is the last second of MaxYear.
func (f Format) maxInstant() uint64 {
	return uint64(time.Date(f.MaxYear, 12, 31, 23, 59, 59, 0, time.UTC).Unix())
}

// Encoder appends canonical fields to a buffer.
type Encoder struct {
	f   Format
	b   []byte
	err error
}

// Encoder returns an encoder with room for size bytes.
func (f Format) Encoder(size int) *Encoder {
	return &Encoder{f: f, b: make([]byte, 0, size)}
}

// Result returns the bytes written and the first error.
func (e *Encoder) Result() ([]byte, error) { return e.b, e.err }

// Err returns the first error.
func (e *Encoder) Err() error { return e.err }

// Fail records a malformed-value error unless one is already recorded.
func (e *Encoder) Fail(format string, a ...any) {
	if e.err == nil {
		e.err = e.f.errorf(format, a...)
	}
}

// U8 appends one byte.
func (e *Encoder) U8(v uint8) { e.b = append(e.b, v) }

// U16 appends v big-endian.
func (e *Encoder) U16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }

// U32 appends v big-endian.
func (e *Encoder) U32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }

// U64 appends v big-endian.
func (e *Encoder) U64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }

// Raw appends b as it is: fixed-width fields such as hashes and keys.
func (e *Encoder) Raw(b []byte) { e.b = append(e.b, b...) }

// Str appends s with its length, after [Format.CheckString].
func (e *Encoder) Str(field, s string) {
	if e.err == nil {
		e.err = e.f.CheckString(field, s)
	}
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

// Date appends a civil date (midnight UTC) as year, month, day; the zero
// time is four zero bytes, allowed only where optional says so.
func (e *Encoder) Date(field string, t time.Time, optional bool) {
	if t.IsZero() {
		if !optional {
			e.Fail("%s is missing", field)
		}
		e.b = append(e.b, 0, 0, 0, 0)
		return
	}
	if t.Location() != time.UTC || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		e.Fail("%s must be a civil date (midnight UTC)", field)
	}
	if t.Year() < e.f.MinYear || t.Year() > e.f.MaxYear {
		e.Fail("%s year %d out of range", field, t.Year())
	}
	e.U16(uint16(t.Year()))
	e.U8(uint8(t.Month()))
	e.U8(uint8(t.Day()))
}

// Instant appends t as whole Unix seconds; the zero time is refused.
func (e *Encoder) Instant(field string, t time.Time) {
	if t.Nanosecond() != 0 || t.Year() < 1970 || t.Year() > e.f.MaxYear {
		e.Fail("%s must be whole seconds between 1970 and %d", field, e.f.MaxYear)
	}
	e.U64(uint64(t.Unix()))
}

// Decoder reads canonical fields; after the first error every read
// returns a zero value.
type Decoder struct {
	f   Format
	b   []byte
	err error
	// all, when set, is the whole input as one string: Str returns
	// substrings of it, one allocation for every field of a record.
	all  string
	base int // len of the input
	// trusted skips the per-string checks (UTF-8, NFC, control
	// characters): set only for bytes that decoded with them before.
	trusted bool
}

// Decoder returns a decoder of b.
func (f Format) Decoder(b []byte) *Decoder { return &Decoder{f: f, b: b} }

// SharedDecoder returns a decoder of b whose strings share one copy of
// it. With trusted set it skips the per-string checks: only for bytes
// that have decoded with them before.
func (f Format) SharedDecoder(b []byte, trusted bool) *Decoder {
	return &Decoder{f: f, b: b, all: string(b), base: len(b), trusted: trusted}
}

// Err returns the first error.
func (d *Decoder) Err() error { return d.err }

// Rest returns the bytes not read yet.
func (d *Decoder) Rest() []byte { return d.b }

// Fail records a malformed-value error unless one is already recorded.
func (d *Decoder) Fail(format string, a ...any) {
	if d.err == nil {
		d.err = d.f.errorf(format, a...)
	}
}

// Take reads n bytes; nil after an error.
func (d *Decoder) Take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.Fail("truncated %s", what)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// U8 reads one byte.
func (d *Decoder) U8(what string) uint8 {
	if b := d.Take(1, what); b != nil {
		return b[0]
	}
	return 0
}

// U16 reads a big-endian uint16.
func (d *Decoder) U16(what string) uint16 {
	if b := d.Take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

// U32 reads a big-endian uint32.
func (d *Decoder) U32(what string) uint32 {
	if b := d.Take(4, what); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// U64 reads a big-endian uint64.
func (d *Decoder) U64(what string) uint64 {
	if b := d.Take(8, what); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// Hash reads a 32-byte hash.
func (d *Decoder) Hash(what string) (h [32]byte) {
	copy(h[:], d.Take(32, what))
	return h
}

// Uvarint reads a length, refusing a non-minimal encoding.
func (d *Decoder) Uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.Fail("bad length of %s", what)
		return 0
	}
	if n > 1 && d.b[n-1] == 0 {
		d.Fail("non-minimal length of %s", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Str reads a string of at most max bytes, checked as [Format.CheckString]
// does unless the decoder is trusted.
func (d *Decoder) Str(field string, max int) string {
	n := d.Uvarint(field)
	if n > uint64(max) {
		d.Fail("%s too long", field)
		return ""
	}
	var s string
	if d.all != "" {
		off := d.base - len(d.b)
		if d.Take(int(n), field) != nil {
			s = d.all[off : off+int(n)]
		}
	} else {
		s = string(d.Take(int(n), field))
	}
	if d.err == nil && !d.trusted {
		if err := d.f.CheckString(field, s); err != nil {
			d.err = err
		}
	}
	return s
}

// Date reads a civil date written by [Encoder.Date].
func (d *Decoder) Date(field string, optional bool) time.Time {
	y, m, dd := d.U16(field), d.U8(field), d.U8(field)
	if d.err != nil {
		return time.Time{}
	}
	if y == 0 && m == 0 && dd == 0 {
		if !optional {
			d.Fail("%s is missing", field)
		}
		return time.Time{}
	}
	t := time.Date(int(y), time.Month(m), int(dd), 0, 0, 0, 0, time.UTC)
	if int(y) < d.f.MinYear || int(y) > d.f.MaxYear || t.Year() != int(y) || t.Month() != time.Month(m) || t.Day() != int(dd) {
		d.Fail("%s is not a valid date", field)
		return time.Time{}
	}
	return t
}

// Instant reads whole Unix seconds written by [Encoder.Instant], in UTC.
func (d *Decoder) Instant(field string) time.Time {
	s := d.U64(field)
	if d.err != nil {
		return time.Time{}
	}
	if (s == 0 && d.f.NoEpoch) || s > d.f.maxInstant() {
		d.Fail("%s out of range", field)
		return time.Time{}
	}
	return time.Unix(int64(s), 0).UTC()
}

// End refuses trailing bytes.
func (d *Decoder) End() {
	if d.err == nil && len(d.b) != 0 {
		d.Fail("%d trailing bytes", len(d.b))
	}
}
