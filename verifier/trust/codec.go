package trust

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// enc and dec are the canonical field codec of the signed metadata: the
// same rules as package record (big-endian fixed-width integers, uvarint
// lengths, NFC UTF-8 without control characters, whole seconds), so that
// every value has exactly one byte form. The first error sticks.
type enc struct {
	b   []byte
	err error
}

func (e *enc) fail(f string, a ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: "+f, append([]any{ErrMalformed}, a...)...)
	}
}
func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *enc) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *enc) raw(b []byte) { e.b = append(e.b, b...) }
func (e *enc) str(field, s string) {
	if e.err == nil {
		if err := checkString(field, s); err != nil {
			e.err = err
		}
	}
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *enc) instant(field string, t time.Time) {
	if t.IsZero() || t.Nanosecond() != 0 || t.Year() < 1970 || t.Year() > 2999 {
		e.fail("%s must be whole seconds between 1970 and 2999", field)
	}
	e.u64(uint64(t.Unix()))
}

type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(f string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+f, append([]any{ErrMalformed}, a...)...)
	}
}

func (d *dec) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.fail("truncated %s", what)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) u8(what string) uint8 {
	if b := d.take(1, what); b != nil {
		return b[0]
	}
	return 0
}
func (d *dec) u16(what string) uint16 {
	if b := d.take(2, what); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}
func (d *dec) u32(what string) uint32 {
	if b := d.take(4, what); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
func (d *dec) u64(what string) uint64 {
	if b := d.take(8, what); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}
func (d *dec) hash(what string) (h [32]byte) {
	copy(h[:], d.take(32, what))
	return h
}

func (d *dec) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || (n > 1 && d.b[n-1] == 0) {
		d.fail("bad length of %s", what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) str(field string, max int) string {
	n := d.uvarint(field)
	if n > uint64(max) {
		d.fail("%s too long", field)
		return ""
	}
	s := string(d.take(int(n), field))
	if d.err == nil {
		if err := checkString(field, s); err != nil {
			d.err = err
		}
	}
	return s
}

func (d *dec) instant(field string) time.Time {
	s := d.u64(field)
	if d.err != nil {
		return time.Time{}
	}
	if s == 0 || s > uint64(time.Date(2999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()) {
		d.fail("%s out of range", field)
		return time.Time{}
	}
	return time.Unix(int64(s), 0).UTC()
}

func (d *dec) end() {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
}

const maxString = 256

func checkString(field, s string) error {
	if len(s) > maxString {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrMalformed, field, maxString)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrMalformed, field)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%w: %s holds control character %U", ErrMalformed, field, r)
		}
	}
	if !norm.NFC.IsNormalString(s) {
		return fmt.Errorf("%w: %s is not in Unicode NFC", ErrMalformed, field)
	}
	return nil
}
