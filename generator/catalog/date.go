package catalog

import (
	"fmt"
	"time"
)

// Date is a civil date without time of day or zone. The zero Date means
// "not published" and prints as "".
type Date struct {
	t time.Time // midnight UTC; zero when unset
}

// NewDate returns the date y-m-d.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the civil date of t in t's location.
func DateOf(t time.Time) Date {
	return NewDate(t.Year(), t.Month(), t.Day())
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return d.t }

// String formats the date as 2006-01-02, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// AddDays returns the date n days later.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// ParseDate parses "2006-01-02". It also accepts the text the TOML
// decoder makes of a date literal (2025-11-21 unquoted arrives as
// "2025-11-21T00:00:00Z"), but not a time of day other than midnight.
func ParseDate(s string) (Date, error) {
	if len(s) > len(time.DateOnly) && s[len(time.DateOnly)] == 'T' {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
			return Date{}, &badDate{s, true}
		}
		return DateOf(t), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, &badDate{s, false}
	}
	return DateOf(t), nil
}

// badDate is the error of ParseDate, worded for an editor.
type badDate struct {
	text     string
	withTime bool
}

func (e *badDate) Error() string {
	if e.withTime {
		// The decoder has rewritten the value, so do not quote it back.
		return "日期只写年-月-日，不写时间"
	}
	return fmt.Sprintf("%q 不是有效的日期", e.text)
}

// UnmarshalText accepts a TOML date literal or a quoted "2006-01-02".
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText formats the date as 2006-01-02, empty when unset.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// AddYears returns the date n years later (29 February moves to 1 March).
func (d Date) AddYears(n int) Date { return Date{d.t.AddDate(n, 0, 0)} }
