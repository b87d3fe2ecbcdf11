package canon

import (
	"errors"
	"testing"
	"time"
)

var errTest = errors.New("test malformed")

func testFormat(noEpoch bool) Format {
	return Format{Malformed: errTest, MaxString: 8, MinYear: 1900, MaxYear: 2999, NoEpoch: noEpoch}
}

// TestRoundTrip holds the decoder to the encoder's output, field by field.
func TestRoundTrip(t *testing.T) {
	f := testFormat(false)
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)
	e := f.Encoder(0)
	e.U8(7)
	e.U16(0x0102)
	e.U32(0x03040506)
	e.U64(1 << 40)
	e.Str("s", "陈*明")
	e.Date("d", day, false)
	e.Date("optional", time.Time{}, true)
	e.Instant("i", at)
	e.Raw(make([]byte, 32))
	b, err := e.Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Decoder{f.Decoder(b), f.SharedDecoder(b, false), f.SharedDecoder(b, true)} {
		if v := d.U8("u8"); v != 7 {
			t.Errorf("U8 = %d", v)
		}
		if v := d.U16("u16"); v != 0x0102 {
			t.Errorf("U16 = %#x", v)
		}
		if v := d.U32("u32"); v != 0x03040506 {
			t.Errorf("U32 = %#x", v)
		}
		if v := d.U64("u64"); v != 1<<40 {
			t.Errorf("U64 = %d", v)
		}
		if v := d.Str("s", 8); v != "陈*明" {
			t.Errorf("Str = %q", v)
		}
		if v := d.Date("d", false); !v.Equal(day) {
			t.Errorf("Date = %v", v)
		}
		if v := d.Date("optional", true); !v.IsZero() {
			t.Errorf("optional Date = %v", v)
		}
		if v := d.Instant("i"); !v.Equal(at) {
			t.Errorf("Instant = %v", v)
		}
		d.Hash("h")
		d.End()
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
	}
}

// TestRefused lists byte forms that are not the one encoding of a value:
// each must fail with the format's own sentinel.
func TestRefused(t *testing.T) {
	for name, tt := range map[string]struct {
		noEpoch bool
		b       []byte
		read    func(*Decoder)
	}{
		"non-minimal length": {false, []byte{0x81, 0x00}, func(d *Decoder) { d.Str("s", 8) }},
		"string too long":    {false, append([]byte{9}, "123456789"...), func(d *Decoder) { d.Str("s", 8) }},
		"not NFC":            {false, []byte{3, 'e', 0xcc, 0x81}, func(d *Decoder) { d.Str("s", 8) }},
		"control character":  {false, []byte{1, 0x07}, func(d *Decoder) { d.Str("s", 8) }},
		"truncated":          {false, []byte{1, 2, 3}, func(d *Decoder) { d.U32("u32") }},
		"trailing byte":      {false, []byte{1, 2}, func(d *Decoder) { d.U8("u8") }},
		"30 February":        {false, []byte{0x07, 0xea, 2, 30}, func(d *Decoder) { d.Date("d", false) }},
		"missing date":       {false, []byte{0, 0, 0, 0}, func(d *Decoder) { d.Date("d", false) }},
		"year before range":  {false, []byte{0x07, 0x6b, 1, 1}, func(d *Decoder) { d.Date("d", false) }},
		"epoch refused":      {true, make([]byte, 8), func(d *Decoder) { d.Instant("i") }},
		"after MaxYear":      {false, []byte{0, 0, 0, 0x08, 0, 0, 0, 0}, func(d *Decoder) { d.Instant("i") }},
	} {
		t.Run(name, func(t *testing.T) {
			d := testFormat(tt.noEpoch).Decoder(tt.b)
			tt.read(d)
			d.End()
			if !errors.Is(d.Err(), errTest) {
				t.Fatalf("error = %v, want the format's sentinel", d.Err())
			}
		})
	}
	if d := testFormat(false).Decoder(make([]byte, 8)); d.Instant("i").Unix() != 0 || d.Err() != nil {
		t.Errorf("epoch without NoEpoch: %v", d.Err())
	}
}

// TestEncoderRefuses: what the encoder will not write, it says so with
// the format's sentinel, and keeps the first error.
func TestEncoderRefuses(t *testing.T) {
	f := testFormat(false)
	for name, write := range map[string]func(*Encoder){
		"long string":       func(e *Encoder) { e.Str("s", "123456789") },
		"bidi override":     func(e *Encoder) { e.Str("s", "a\u202eb") },
		"date not midnight": func(e *Encoder) { e.Date("d", time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), false) },
		"missing date":      func(e *Encoder) { e.Date("d", time.Time{}, false) },
		"zero instant":      func(e *Encoder) { e.Instant("i", time.Time{}) },
		"fraction of a second": func(e *Encoder) {
			e.Instant("i", time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC))
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := f.Encoder(0)
			write(e)
			e.Fail("second error")
			if _, err := e.Result(); !errors.Is(err, errTest) || err.Error() == "test malformed: second error" {
				t.Fatalf("error = %v", err)
			}
		})
	}
}
