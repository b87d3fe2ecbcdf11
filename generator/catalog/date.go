package catalog

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
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
//
// A date is written 2025-11-21, with or without quotes: both mean the
// same, and any other spelling (2025/11/21, 2025-11-1, 2025年11月21日),
// quoted or not, is refused the same way, with the right spelling of the
// same date as the hint.
func ParseDate(s string) (Date, error) {
	if len(s) > len(time.DateOnly) && s[len(time.DateOnly)] == 'T' {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
			return Date{}, &badDate{text: s, withTime: true}
		}
		return DateOf(t), nil
	}
	if s == reported {
		return Date{}, errReported
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		msg, hint := dateProblem(s)
		return Date{}, &badDate{text: s, msg: msg, hint: hint}
	}
	return DateOf(t), nil
}

// badDate is the error of ParseDate, worded for an editor.
type badDate struct {
	text      string
	withTime  bool
	msg, hint string
}

func (e *badDate) Error() string {
	if e.withTime {
		// The decoder has rewritten the value, so do not quote it back.
		return "日期只写年-月-日，不写时间"
	}
	return e.msg
}

// Hint says what to write instead.
func (e *badDate) Hint() string {
	if e.withTime {
		return "去掉时间，写成 2025-11-21"
	}
	return e.hint
}

// dateSpelling finds year, month and day in the ways editors write dates.
var dateSpelling = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)

// dateProblem says what is wrong with s, a date that is not written
// 2025-11-21 or does not exist, and what to write: a day or month that
// does not exist is named, another spelling of a real date gets the same
// date spelt right.
func dateProblem(s string) (msg, hint string) {
	t := strings.TrimSpace(s)
	wide := false
	if h := halfWidth(t); h != "" {
		t, wide = strings.TrimSpace(h), true
	}
	if t == "" {
		return "日期是空的", "写成 2025-11-21；没有日期就删去这一行"
	}
	m := dateSpelling.FindStringSubmatch(t)
	if m == nil {
		return fmt.Sprintf("%q 不是日期", s), "日期写成 2025-11-21（年-月-日，月和日都写两位）"
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	switch {
	case mo < 1 || mo > 12:
		hint := "月份只能是 01 到 12"
		if d >= 1 && d <= 12 && mo <= daysIn(y, time.Month(d)) {
			hint += fmt.Sprintf("；如果月和日写反了，写成 %04d-%02d-%02d", y, d, mo)
		}
		return fmt.Sprintf("日期 %q 不存在：没有 %d 月", s, mo), hint
	case d < 1 || d > daysIn(y, time.Month(mo)):
		last := daysIn(y, time.Month(mo))
		hint := fmt.Sprintf("这个月的最后一天是 %04d-%02d-%02d：核对原文的日期", y, mo, last)
		if d < 1 {
			return fmt.Sprintf("日期 %q 不存在：没有 0 日", s), hint
		}
		if mo == 2 && d == 29 {
			return fmt.Sprintf("日期 %q 不存在：%d 年不是闰年，2 月只有 28 天", s, y), hint
		}
		return fmt.Sprintf("日期 %q 不存在：%d 年 %d 月只有 %d 天", s, y, mo, last), hint
	}
	want := fmt.Sprintf("%04d-%02d-%02d", y, mo, d)
	if wide {
		return fmt.Sprintf("日期 %q 用了全角数字", s), "用半角数字：写成 " + want
	}
	return fmt.Sprintf("日期 %q 的写法不对", s), "写成 " + want + "（年-月-日，用连字符 -，月和日都写两位）"
}

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
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
