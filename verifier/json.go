package verifier

import (
	"strconv"
	"unicode/utf8"
)

// appendJSON appends a as compact JSON, byte for byte what
// encoding/json's Marshal makes of it (a test holds the two together).
// The JSON answer is the hottest path of the service, and reflection
// would be a third of its cost.
func (a *answer) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if a.Type != "" {
		b = appendField(b, "type", a.Type, false)
		b = append(b, ',')
	}
	b = appendField(b, "outcome", string(a.Outcome), false)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(a.Status), 10)
	b = append(b, ',')
	b = appendField(b, "title", a.Title, false)
	b = append(b, ',')
	b = appendField(b, "detail", a.Detail, false)
	b = append(b, ',')
	b = appendField(b, "checkedAt", a.CheckedAt, false)
	b = appendField(b, "dataAt", a.DataAt, true)
	b = appendField(b, "headSequence", a.HeadSeq, true)
	if c := a.Certificate; c != nil {
		b = append(b, `,"certificate":{`...)
		b = appendField(b, "number", c.Number, false)
		if h := c.Holder; h != nil {
			b = append(b, `,"holder":{`...)
			b = appendField(b, "name", h.Name, false)
			b = append(b, `,"birthYear":`...)
			b = strconv.AppendInt(b, int64(h.BirthYear), 10)
			b = append(b, ',')
			b = appendField(b, "idType", h.IDType, false)
			b = append(b, ',')
			b = appendField(b, "idTypeName", h.IDTypeName, false)
			b = append(b, ',')
			b = appendField(b, "idNumber", h.IDNumber, false)
			b = append(b, '}')
		}
		for _, f := range [...]struct{ k, v string }{
			{"taiwanQualification", c.TaiwanQualification},
			{"taiwanGrade", c.TaiwanGrade},
			{"occupationCode", c.OccupationCode},
			{"occupationName", c.OccupationName},
			{"level", c.Level},
			{"qualificationId", c.QualificationID},
			{"issuer", c.Issuer},
			{"issueDate", c.IssueDate},
			{"validUntil", c.ValidUntil},
			{"generation", c.Generation},
			{"kid", c.KID},
		} {
			b = appendField(b, f.k, f.v, true)
		}
		b = append(b, '}')
	}
	if r := a.Revocation; r != nil {
		b = append(b, `,"revocation":{`...)
		b = appendField(b, "date", r.Date, false)
		b = append(b, ',')
		b = appendField(b, "reason", r.Reason, false)
		b = append(b, ',')
		b = appendField(b, "reasonText", r.ReasonText, false)
		b = append(b, '}')
	}
	return append(b, '}', '\n')
}

// appendField appends "k":"v"; with omitEmpty, an empty v appends
// nothing and a present one is preceded by a comma.
func appendField(b []byte, k, v string, omitEmpty bool) []byte {
	if omitEmpty {
		if v == "" {
			return b
		}
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string escaped as encoding/json does:
// HTML-significant characters, U+2028 and U+2029 as \u escapes, invalid
// UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
