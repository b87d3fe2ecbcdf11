package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// Syntax errors. The TOML parser stops at its first error and words it in
// English. Two things make that better for an editor:
//
//   - A value the editor wrote in a way TOML does not take, but whose
//     meaning is plain (a date that does not exist, 2025/02/03, 四级
//     without quotes), is reported for what it is, then replaced in a
//     copy of the text by a quoted stand-in of its own ([reported]) and
//     the text parsed again: the rest of the file is still decoded and
//     checked, so one check names every mistake.
//   - Any other syntax error stops the file, but parsing starts again at
//     the next table header, for the syntax errors after it (up to
//     maxSyntaxErrors). Their rows are not read: what other files say
//     about them is held back as a consequence ([Diagnostic.Cause]).
//
// Every message is Chinese; the parser's own words never reach an editor.

// reported is what a repaired value becomes: a private-use character no
// editor types. Decoding it sets the field to its zero value without a
// second message.
const reported = "\uE000"

// errReported is the error of UnmarshalText for [reported].
var errReported = errors.New("already reported")

const (
	maxRepairs      = 100 // values repaired per text, each costing a parse
	maxSyntaxErrors = 10  // syntax errors reported per file
)

// parse decodes text into dst, repairing the values it can (see above)
// and reporting each. It returns the metadata and the repaired text, or
// ok false after reporting a syntax error it could not repair.
func (l *loader) parse(path, text string, lineOff int, dst any) (md toml.MetaData, fixed string, repaired, ok bool) {
	for range maxRepairs {
		var err error
		md, err = toml.Decode(text, dst)
		if err == nil {
			return md, text, repaired, true
		}
		var pe toml.ParseError
		if !errors.As(err, &pe) {
			break
		}
		ix := newIndex(path, text, lineOff)
		r, ok := repair(text, pe)
		if !ok {
			l.syntaxError(ix, text, pe)
			l.moreSyntax(path, text, lineOff, pe)
			return md, text, repaired, false
		}
		l.errorf(ix.pos(r.at), r.hint, "%s", r.msg)
		text, repaired = text[:r.start]+r.with+text[r.end:], true
	}
	// Too many repairs (or an error without a position): give up on the
	// file, with one message.
	l.errorf(Pos{File: path, Line: 1 + lineOff, Col: 1}, "逐个修正上面列出的错误后再检查", "这个文件的错误太多，没有读取")
	return md, text, repaired, false
}

// moreSyntax reports the syntax errors after the one at pe, parsing again
// from each next table header.
func (l *loader) moreSyntax(path, text string, lineOff int, pe toml.ParseError) {
	ix := newIndex(path, text, lineOff)
	line := pe.Position.Line // 1-based, of text
	for n := 1; n < maxSyntaxErrors; n++ {
		next := -1
		for i := line; i < len(ix.lines); i++ { // ix.lines[i] starts line i+1
			if s := strings.TrimSpace(text[ix.lines[i]:lineEnd(text, ix.lines[i])]); strings.HasPrefix(s, "[") {
				next = i
				break
			}
		}
		if next < 0 {
			return
		}
		rest := text[ix.lines[next]:]
		for range maxRepairs {
			var m map[string]any
			_, err := toml.Decode(rest, &m)
			var e toml.ParseError
			if !errors.As(err, &e) {
				return
			}
			sub := newIndex(path, rest, lineOff+next)
			r, ok := repair(rest, e)
			if !ok {
				l.syntaxError(sub, rest, e)
				line = next + e.Position.Line
				break
			}
			l.errorf(sub.pos(r.at), r.hint, "%s", r.msg)
			rest = rest[:r.start] + r.with + rest[r.end:]
		}
	}
}

// lineStart returns the offset of the first non-blank byte of the line
// holding off: where a repaired value's key is written.
func lineStart(text string, off int) int {
	i := strings.LastIndexByte(text[:min(off, len(text))], '\n') + 1
	return skipBlank(text, i)
}

// A date spelt otherwise: 2025/02/03, 2025.2.3, 2025年2月3日.
var otherDate = regexp.MustCompile(`^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$`)

// fix is a repair of a text: the span start:end becomes with, and msg
// and hint are reported at offset at.
type fix struct {
	with       string
	start, end int
	at         int
	msg, hint  string
}

// repair returns the repair of the value at the parse error pe, or false
// when the error is not one it can repair.
func repair(text string, pe toml.ParseError) (fix, bool) {
	start := min(max(pe.Position.Start, 0), len(text))
	end := min(start+max(pe.Position.Len, 0), len(text))
	m := pe.Message
	stand := `"` + reported + `"`
	ls := strings.LastIndexByte(text[:start], '\n') + 1
	key := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text[ls:start]), "="))
	// value returns the value written from offset vs to the end of its
	// line, without a trailing comment.
	value := func(vs int) string {
		v := strings.TrimRight(text[vs:lineEnd(text, vs)], " \t\r\n")
		if c := strings.Index(v, " #"); c >= 0 {
			v = strings.TrimSpace(v[:c])
		}
		return v
	}
	switch {
	case strings.HasPrefix(m, "TOML files cannot contain control characters"):
		// An invisible character pasted with the text: dropped. The
		// parser's offset is near it, not always at it.
		c := strings.IndexFunc(text[ls:], func(r rune) bool {
			return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
		})
		if c < 0 {
			return fix{}, false
		}
		c += ls
		return fix{"", c, c + 1, c, "TOML 格式错误：这里有一个看不见的控制字符",
			"删掉这个字符（常见于从网页或 Word 复制来的文字）：把光标移到这里，删除后重新输入这几个字"}, true
	case strings.HasPrefix(m, "invalid datetime: "):
		msg, hint := dateProblem(text[start:end])
		return fix{stand, start, end, lineStart(text, start), msg, hint}, true
	case strings.HasPrefix(m, "Invalid float value: "),
		strings.HasPrefix(m, "expected a top-level item to end with a newline"):
		eq := strings.IndexByte(text[ls:start], '=')
		if eq < 0 {
			return fix{}, false
		}
		vs := skipBlank(text, ls+eq+1)
		v := value(vs)
		if !otherDate.MatchString(v) {
			return fix{}, false
		}
		msg, hint := dateProblem(v)
		return fix{stand, vs, vs + len(v), lineStart(text, start), msg, hint}, true
	case strings.HasPrefix(m, "expected value but found "):
		v := value(start)
		if w, ok := strings.CutPrefix(v, "“"); ok && strings.HasSuffix(w, "”") {
			w = strings.TrimSuffix(w, "”")
			if !strings.ContainsAny(w, `"\`) {
				return fix{`"` + w + `"`, start, start + len(v), lineStart(text, start),
					"TOML 格式错误：文字用了中文引号 “…”",
					fmt.Sprintf(`改成英文双引号：写成 %s = "%s"`, key, w)}, true
			}
		}
		if d := halfWidth(v); d != "" && otherDate.MatchString(strings.TrimSpace(d)) {
			msg, hint := dateProblem(v)
			return fix{stand, start, start + len(v), lineStart(text, start), msg, hint}, true
		}
		// A bare text: 四级, or 工作日 9:00-17:00, without its quotes.
		// Only text with a character outside ASCII: tru (for true) is
		// no text.
		if v == "" || strings.ContainsAny(v, "\"'[]{}=#\\“”") || isASCII(v) {
			return fix{}, false
		}
		return fix{`"` + v + `"`, start, start + len(v), lineStart(text, start),
			"TOML 格式错误：文字 " + v + " 没有加引号",
			fmt.Sprintf(`文字要用英文双引号括起来：写成 %s = "%s"`, key, v)}, true
	}
	return fix{}, false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// syntaxError reports the syntax error pe of text (indexed by ix).
func (l *loader) syntaxError(ix *index, text string, pe toml.ParseError) {
	p := ix.pos(pe.Position.Start)
	if pe.Position.Start == 0 && pe.Position.Line > 1 && pe.Position.Line <= len(ix.lines) {
		p = ix.pos(ix.lines[pe.Position.Line-1]) // no offset given: the start of its line
	}
	ls := lineStart(text, pe.Position.Start)
	line := strings.TrimRight(text[ls:lineEnd(text, ls)], "\r\n")
	msg, hint := syntaxMessage(pe.Message, line)
	l.errorf(p, hint, "TOML 格式错误：%s", msg)
}

// fullWidth lists the full-width (Chinese) punctuation that breaks TOML,
// with the ASCII to type instead.
var fullWidth = [...]struct{ wide, ascii string }{
	{"“", `"`}, {"”", `"`}, {"＂", `"`}, {"＝", "="}, {"，", ","}, {"［", "["}, {"］", "]"},
	{"｛", "{"}, {"｝", "}"}, {"＃", "#"}, {"‘", "'"}, {"’", "'"}, {"【", "["}, {"】", "]"},
}

// syntaxMessage words a complaint of the parser, m, about line for an
// editor: what is wrong, and what to type.
func syntaxMessage(m, line string) (msg, hint string) {
	bare := unquoted(line)
	for _, f := range fullWidth {
		if strings.Contains(bare, f.wide) {
			return fmt.Sprintf("这一行用了中文（全角）标点「%s」", f.wide),
				fmt.Sprintf("TOML 只认英文（半角）标点：把「%s」改成 %s", f.wide, f.ascii)
		}
	}
	key := strings.TrimSpace(strings.SplitN(line, "=", 2)[0])
	if key == "" || len(key) > 40 {
		key = "name"
	}
	switch {
	case m == "strings cannot contain newlines", strings.HasPrefix(m, `unexpected EOF; expected '"'`),
		strings.HasPrefix(m, `unexpected EOF; expected "'"`):
		return "引号没有闭合：这一行的文字缺少结尾的引号",
			`在文字末尾补上英文双引号 "，例如 ` + key + ` = "…"；要写多行文字，开头和结尾各用三个引号 """`
	case strings.HasPrefix(m, `unexpected EOF; expected '"""'`), strings.HasPrefix(m, `unexpected EOF; expected "'''"`):
		return "多行文字没有结束：缺少结尾的三个引号", `在文字的最后加上 """`
	case strings.HasPrefix(m, "unexpected '\"\"\"\"\"\"'"), strings.HasPrefix(m, `unexpected "''''''"`):
		return "引号太多", `多行文字的开头和结尾各用三个引号 """`
	case strings.HasPrefix(m, "Key '") && strings.HasSuffix(m, "has already been defined."):
		return fmt.Sprintf("字段 %q 写了两次", keyName(m)), "删去重复的一行；每一条新的记录以 [[…]] 开头"
	case strings.HasPrefix(m, "Key '"):
		return fmt.Sprintf("%q 既被当作表又被当作字段", keyName(m)), "表头 [[…]] 和字段名不能重名：检查拼写"
	case strings.Contains(m, "is not a table"):
		return "表头和前面的字段重名", "表头 [[…]] 和字段名不能重名：检查拼写"
	case strings.Contains(line, "[") && !strings.Contains(line, "]") && !strings.HasPrefix(strings.TrimSpace(line), "[") &&
		strings.HasPrefix(m, "unexpected EOF"):
		return "数组没有写完：缺少结尾的 ]", `例如 ` + key + ` = ["…", "…"]；数组可以分几行写，但要以 ] 结束`
	case strings.HasPrefix(m, "unexpected EOF; expected value"), m == `expected value but found '\n' instead`,
		m == `expected value but found '\r' instead`, m == `expected value but found "" instead`:
		return "等号后面缺少值", fmt.Sprintf(`在等号后面写上值，例如 %s = "…"`, key)
	case strings.HasPrefix(m, "expected value but found "):
		return "等号后面的值写法不对", `文字用英文双引号括起来（"…"），数字直接写，是非写 true 或 false`
	case strings.HasPrefix(m, "expected '.' or '=', but got ':'"):
		return "字段名后面要用等号 =，不是冒号 :", fmt.Sprintf(`写成 %s = "…"`, strings.TrimSpace(strings.SplitN(line, ":", 2)[0]))
	case strings.HasPrefix(m, "expected '.' or '='"), strings.HasPrefix(m, "unexpected EOF; expected key separator"):
		return "字段名后面缺少等号 =", `每一行写成 字段名 = 值，例如 name = "…"；字段名只用英文字母、数字、_ 和 -`
	case strings.HasPrefix(m, "unexpected '=': key name appears blank"):
		return "等号前面缺少字段名", `每一行写成 字段名 = 值，例如 name = "…"`
	case strings.HasPrefix(m, "unexpected '.'"), m == "unexpected '='":
		return "字段名的写法不对", "字段名只用英文字母、数字、_ 和 -，不以点开头"
	case strings.HasPrefix(m, "expected a top-level item to end with a newline"):
		return "值后面多了内容：一行只能写一个字段", `几个值要写成数组：` + key + ` = ["…", "…"]；文字里的空格要放在引号里面`
	case strings.HasPrefix(m, "expected a comma (',') or array terminator"):
		return "数组没有写完：各项之间要用英文逗号 , 分隔，最后以 ] 结束", `例如 ` + key + ` = ["…", "…"]`
	case strings.HasPrefix(m, "expected a comma or an inline table terminator"):
		return "花括号 {…} 没有写完：各项之间要用英文逗号分隔，最后以 } 结束", "{…} 要写在同一行"
	case m == "newlines not allowed within inline tables":
		return "花括号 {…} 里不能换行", "{…} 要写在同一行；内容多时改用 [[…]] 表"
	case m == "unexpected comma":
		return "多了一个逗号", "删去多余的逗号"
	case strings.HasPrefix(m, "invalid escape in string"), strings.HasPrefix(m, "expected two hexadecimal"),
		strings.HasPrefix(m, "expected four hexadecimal"), strings.HasPrefix(m, "expected eight hexadecimal"),
		strings.HasPrefix(m, "Escaped character"):
		return `反斜杠 \ 的写法不对`, `要写反斜杠本身就写两个 \\，或者改用单引号 '…' 括起文字`
	case strings.HasPrefix(m, "invalid UTF-8"):
		return "文件不是 UTF-8 编码", "用 UTF-8 编码重新保存：记事本选“另存为”，编码选“UTF-8”"
	case strings.HasPrefix(m, "files cannot contain NULL bytes"):
		return "文件含有空字节：可能是 UTF-16 编码，或者不是文本文件", "用 UTF-8 编码重新保存：记事本选“另存为”，编码选“UTF-8”"
	case strings.HasPrefix(m, "TOML files cannot contain control characters"):
		return "这一行有看不见的控制字符", "删掉这个字符再重新输入这一段（常见于从网页或 Word 复制来的文字）"
	case strings.HasPrefix(m, "Invalid integer"), strings.HasPrefix(m, "Invalid float"), strings.HasPrefix(m, "invalid float"),
		strings.Contains(m, "is out of range"), strings.HasPrefix(m, "not a "), strings.HasPrefix(m, "cannot use sign"),
		strings.HasPrefix(m, "floats must start"), strings.HasPrefix(m, "expected a digit"):
		return "数字的写法不对", fmt.Sprintf("整数直接写数字，如 batch = 5；不是数字的内容用英文双引号括起来：%s = \"…\"", key)
	case strings.HasPrefix(m, "expected end of table array name delimiter"), strings.HasPrefix(m, "expected '.' or ']' to end table name"),
		strings.HasPrefix(m, "unexpected end of table name"), strings.HasPrefix(m, "unexpected table separator"):
		return "表头的写法不对", "表头写成 [[qualification]]：两对英文方括号，中间是表名，独占一行"
	case strings.HasPrefix(m, "unexpected EOF"):
		return "文件意外结束：引号或括号没有闭合", `检查最后几行的引号 "、方括号 [ ] 和花括号 { } 是否成对`
	}
	return "这一行无法识别", `检查引号、方括号和等号：每一行写成 字段名 = 值，文字用英文双引号括起来`
}

// unquoted returns line without its quoted texts: the full-width
// punctuation that matters is outside them.
func unquoted(line string) string {
	var b strings.Builder
	var q rune
	for _, r := range line {
		switch {
		case q == 0 && (r == '"' || r == '\''):
			q = r
		case q != 0 && r == q:
			q = 0
		case q == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// keyName returns the key the parser quotes in "Key 'a.b' has …".
func keyName(m string) string {
	s := strings.TrimPrefix(m, "Key '")
	if i := strings.Index(s, "'"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
