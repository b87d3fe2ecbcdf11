package annex

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
	"github.com/qualbridge/qualbridge/generator/catalog"
)

// clean trims a cell and drops the white space inside it (line breaks of
// wrapped text, full-width spaces, the spaces some annexes put between
// characters to align columns) and control characters.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
}

// traditional maps the Traditional characters that occur in annex
// headers, levels and grades to their Simplified forms. It is not a
// converter: names of occupations and certificates are matched as
// written, through catalog/occupations.toml's names and aliases.
var traditional = strings.NewReplacer(
	"級", "级", "陸", "陆", "業", "业", "稱", "称", "臺", "台", "灣", "湾",
	"區", "区", "術", "术", "準", "准", "號", "号", "種", "种", "資", "资",
	"碼", "码", "編", "编", "單", "单", "並", "并", "壹", "一", "貳", "二",
	"參", "三", "肆", "四", "伍", "五", "師", "师", "職", "职", "別", "别",
	"工種", "工种", "對應", "对应", "應", "应", "對", "对", "無", "无",
)

// simplify applies [traditional] and turns full-width letters, digits
// and brackets into their ASCII forms, except the Chinese brackets
// （）, which headers keep.
func simplify(s string) string {
	s = traditional.Replace(s)
	return strings.Map(func(r rune) rune {
		if r >= '！' && r <= '～' && r != '（' && r != '）' {
			return r - '！' + '!'
		}
		return r
	}, s)
}

// levelTitles are the worker titles of the levels, longest first so that
// 高级技师 is not read as 技师.
var levelTitles = []struct {
	title string
	level catalog.Level
}{
	{"高级技师", catalog.Level1}, {"初级工", catalog.Level5}, {"中级工", catalog.Level4},
	{"高级工", catalog.Level3}, {"技师", catalog.Level2}, {"初级", catalog.Level5},
	{"中级", catalog.Level4}, {"高级", catalog.Level3},
}

var levelNumbers = map[rune]catalog.Level{
	'五': catalog.Level5, '四': catalog.Level4, '三': catalog.Level3, '二': catalog.Level2, '一': catalog.Level1,
	'5': catalog.Level5, '4': catalog.Level4, '3': catalog.Level3, '2': catalog.Level2, '1': catalog.Level1,
}

// parseLevel reads a mainland level as annexes write it: 四级,
// 四级/中级工, 四级（中级工）, 中级工, 四級, 国家职业资格四级, 4级. ok is
// false when the text names no level, or two that disagree (四级/高级工).
func parseLevel(s string) (catalog.Level, bool) {
	s = simplify(clean(s))
	var byNumber, byTitle catalog.Level
	rs := []rune(s)
	for i, r := range rs {
		if l, ok := levelNumbers[r]; ok && i+1 < len(rs) && rs[i+1] == '级' {
			if byNumber != "" && byNumber != l {
				return "", false
			}
			byNumber = l
		}
	}
	rest := s
	for _, t := range levelTitles {
		if strings.Contains(rest, t.title) {
			if byTitle != "" && byTitle != t.level {
				return "", false
			}
			byTitle = t.level
			rest = strings.ReplaceAll(rest, t.title, "")
		}
	}
	switch {
	case byNumber != "" && byTitle != "" && byNumber != byTitle:
		return "", false
	case byNumber != "":
		return byNumber, true
	case byTitle != "":
		return byTitle, true
	}
	return "", false
}

// parseGrade reads a Taiwan grade: 甲级, 乙級, 丙, 单一级, 單一級, 单一.
func parseGrade(s string) (catalog.Grade, bool) {
	s = simplify(clean(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "技术士"), "级")
	switch s {
	case "甲":
		return catalog.GradeA, true
	case "乙":
		return catalog.GradeB, true
	case "丙":
		return catalog.GradeC, true
	case "单一", "单":
		return catalog.GradeSingle, true
	}
	return "", false
}

// phrases are readings go-pinyin gets wrong inside the words of
// occupation names (it reads each character alone: 调 as diao).
var phrases = map[string][]string{
	"烹调": {"peng", "tiao"},
	"调理": {"tiao", "li"},
	"调酒": {"tiao", "jiu"},
	"调饮": {"tiao", "yin"},
	"调味": {"tiao", "wei"},
	"调色": {"tiao", "se"},
	"调音": {"tiao", "yin"},
}

// words3 are words of three characters that begin occupation and
// certificate names; without them 婴幼儿发展引导员 would read
// yingyou-erfa-… .
var words3 = map[string]bool{"婴幼儿": true, "计算机": true, "互联网": true, "电子商": true, "无人机": true, "自动化": true}

// slug is the pinyin of a name, as the shipped ids write it: the
// characters read in words of two from the front, a last word of three
// when the count is odd (照顾-服务员, 中餐-烹调-技术士, 美容师), and the
// three-character words of [words3] kept whole. A run of letters or
// digits is a word of its own, in lower case; brackets and other marks
// only separate words (车工（数控车工） → chegong-shukong-chegong). It is a
// rule of thumb, not a word segmenter: an id only has to be stable and
// readable.
func slug(name string) string {
	var words []string
	var run []rune
	ascii := false
	flush := func() {
		if len(run) > 0 {
			if ascii {
				words = append(words, strings.ToLower(string(run)))
			} else {
				words = append(words, hanWords(run)...)
			}
		}
		run = run[:0]
	}
	for _, r := range simplify(clean(name)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if !ascii {
				flush()
			}
			ascii = true
			run = append(run, r)
		case unicode.Is(unicode.Han, r):
			if ascii {
				flush()
			}
			ascii = false
			run = append(run, r)
		default:
			flush()
		}
	}
	flush()
	var out []string
	for _, w := range words {
		if w != "" {
			out = append(out, w)
		}
	}
	return strings.Join(out, "-")
}

// hanWords reads a run of Chinese characters in words.
func hanWords(rs []rune) []string {
	var words []string
	for i := 0; i < len(rs); {
		n := 2
		if left := len(rs) - i; left == 3 || left == 1 || (left > 3 && words3[string(rs[i:i+3])]) {
			n = min(left, 3)
		}
		words = append(words, readWord(string(rs[i:i+n])))
		i += n
	}
	return words
}

// readWord reads a word of two or three characters.
func readWord(w string) string {
	args := pinyin.NewArgs()
	args.Fallback = func(r rune, _ pinyin.Args) []string {
		r = unicode.ToLower(r)
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return []string{string(r)}
		}
		return nil
	}
	var b strings.Builder
	rs := []rune(w)
	for i := 0; i < len(rs); {
		if i+1 < len(rs) {
			if p, ok := phrases[string(rs[i:i+2])]; ok {
				b.WriteString(strings.Join(p, ""))
				i += 2
				continue
			}
		}
		for _, p := range pinyin.LazyPinyin(string(rs[i]), args) {
			b.WriteString(strings.ReplaceAll(p, "ü", "v"))
		}
		i++
	}
	return b.String()
}

var gradeSlugs = map[catalog.Grade]string{
	catalog.GradeA: "jia", catalog.GradeB: "yi", catalog.GradeC: "bing", catalog.GradeSingle: "danyi",
}

// rowID makes a row's id as the shipped rows' are made: certificate,
// grade, occupation (its 大典 name), level number, each in pinyin.
func rowID(taiwanName string, g catalog.Grade, occupation string, l catalog.Level) string {
	parts := []string{slug(taiwanName)}
	if s := gradeSlugs[g]; s != "" {
		parts = append(parts, s)
	}
	parts = append(parts, slug(occupation))
	if r := l.Rank(); r > 0 {
		parts = append(parts, string(rune('0'+r)))
	}
	return strings.Join(parts, "-")
}
