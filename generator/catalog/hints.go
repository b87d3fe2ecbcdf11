package catalog

import (
	"strings"
	"unicode/utf8"
)

// Telling the real mistake. A Taiwan editor's keyboard writes 四級 and
// 採信, an office's input method full-width ４-０３-０２-０１; both look
// right on screen and are wrong values all the same. When a value is not
// valid, these say whether it would be once written in Simplified
// characters and half-width, and what exactly to type.

// hantChars maps the Traditional characters of the catalog's fixed
// values to their Simplified forms: every character in which the values
// of enums.go differ from their OpenCC s2t conversion (opencc -c
// s2t.json), plus the s2twp words of Taiwan usage (視窗, 影印, 高階).
var hantChars = strings.NewReplacer(
	"視窗", "窗口", "影印", "复印", "高階", "高级",
	"價", "价", "務", "务", "單", "单", "國", "国", "專", "专", "師", "师", "廢", "废", "廣", "广",
	"採", "采", "暫", "暂", "會", "会", "業", "业", "構", "构", "機", "机", "現", "现", "發", "发",
	"級", "级", "組", "组", "線", "线", "織", "织", "術", "术", "複", "复", "訓", "训", "評", "评",
	"話", "话", "認", "认", "證", "证", "變", "变", "錄", "录", "鑑", "鉴", "電", "电", "類", "类",
)

// simplified returns s with the Traditional characters hantChars knows
// written in Simplified.
func simplified(s string) string { return hantChars.Replace(s) }

// halfWidth returns s with full-width ASCII (０-９, Ａ-Ｚ, －, ．, the
// ideographic space) as half-width; "" when s has none.
func halfWidth(s string) string {
	changed := false
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
			changed = true
		case r == 0x3000:
			r = ' '
			changed = true
		case r == '—' || r == '–' || r == '－':
			r = '-'
			changed = true
		}
		b.WriteRune(r)
	}
	if !changed {
		return ""
	}
	return b.String()
}

// miswritten explains a value that is not valid but would be, written
// otherwise: it returns what is wrong ("繁体字", "全角字符", "多余的空格")
// and the value to write, or "", "" when valid says no to every reading.
func miswritten(s string, valid func(string) bool) (what, want string) {
	if h := halfWidth(s); h != "" && valid(strings.TrimSpace(h)) {
		return "全角字符", strings.TrimSpace(h)
	}
	if t := simplified(s); t != s && valid(strings.TrimSpace(t)) {
		return "繁体字", strings.TrimSpace(t)
	}
	if t := strings.TrimSpace(s); t != s && valid(t) {
		return "多余的空格", t
	}
	if t := simplified(s); t != s {
		// Not valid even so, but the Traditional characters are worth
		// naming: the list of values alone does not show them.
		return "繁体字", ""
	}
	return "", ""
}

// firstHant returns the first character of s that hantChars knows as
// Traditional, or "".
func firstHant(s string) string {
	for i, r := range s {
		c := s[i : i+utf8.RuneLen(r)]
		if simplified(c) != c {
			return c
		}
	}
	return ""
}
