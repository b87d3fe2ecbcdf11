package generator

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/qualbridge/qualbridge/diag"
)

// Template errors. html/template says what went wrong in Go's terms,
// "template: home.html:3:3: executing "main" at <.NoSuchField>: can't
// evaluate field NoSuchField in type *generator.view". Whoever edits a
// deployment's templates/ is told instead, at the file relative to the
// repository root and without Go's type names,
//
//	templates/home.html:3:3: error: 模板错误：{{.NoSuchField}} 中没有字段 NoSuchField
//		hint: 检查字段名的拼写（区分大小写）
//
// as a [BuildError], like every other problem in an editor's files.

// templateAt finds the template and position in html/template's errors.
var templateAt = regexp.MustCompile(`(?:html/)?template: ?([^:\s]+\.html):(\d+)(?::(\d+))?: (.*)$`)

// templateWords are html/template's complaints, worded in Chinese.
var templateWords = []struct {
	re   *regexp.Regexp
	msg  string // with $1… from re
	hint string
}{
	{regexp.MustCompile(`^executing "[^"]*" at <(.*?)>: can't evaluate field (\w+) in type .*$`),
		"{{$1}} 中没有字段 $2", "检查字段名的拼写（区分大小写）"},
	{regexp.MustCompile(`^executing "[^"]*" at <(.*?)>: error calling (\w+): index out of range: (-?\d+)$`),
		"{{$1}}：下标 $3 超出范围", "先用 {{if}} 或 len 检查列表的长度"},
	{regexp.MustCompile(`^executing "[^"]*" at <(.*?)>: error calling (\w+): (.*)$`),
		"{{$1}}：调用 $2 出错：$3", "检查传给 $2 的参数"},
	{regexp.MustCompile(`^executing "[^"]*" at <(.*?)>: nil pointer evaluating .*$`),
		"{{$1}}：值是空的（nil）", "先用 {{with}} 或 {{if}} 判断它是否存在"},
	{regexp.MustCompile(`^executing "[^"]*" at <(.*?)>: (.*)$`),
		"{{$1}} 无法执行：$2", "检查这个动作的写法和它用到的值"},
	{regexp.MustCompile(`^function "(\w+)" not defined$`),
		`没有名为 "$1" 的函数`, "检查拼写；模板可用的函数见 generator/funcs.go"},
	{regexp.MustCompile(`^missing value for (\w+)$`),
		"{{$1}} 后面缺少条件或值", "写成 {{$1 .字段}}…{{end}}"},
	{regexp.MustCompile(`^no such template "(.*)"$`),
		`没有名为 "$1" 的模板`, `先用 {{define "$1"}}…{{end}} 定义它，或检查名称的拼写`},
	{regexp.MustCompile(`^unexpected EOF$`),
		"模板意外结束", "检查每个 {{if}}、{{range}}、{{with}}、{{define}} 是否都有对应的 {{end}}"},
	{regexp.MustCompile(`^unexpected (.*?) in (.*)$`),
		"这里不应出现 $1（在 $2 中）", "检查 {{if}}、{{range}}、{{with}} 和 {{end}} 是否成对"},
	{regexp.MustCompile(`^unexpected (.*)$`),
		"这里不应出现 $1", "检查 {{if}}、{{range}}、{{with}} 和 {{end}} 是否成对"},
	{regexp.MustCompile(`^unclosed action.*$`),
		"{{ 没有对应的 }}", "在动作的末尾补上 }}"},
	{regexp.MustCompile(`^undefined variable "(.*)"$`),
		`变量 $1 没有定义`, "先用 {{$1 := …}} 定义它"},
}

// goType matches Go's type names in a message ("*generator.view"): of
// the packages whose values templates see, so that a file name the
// message names ("logo.png") stays.
var goType = regexp.MustCompile(`\s*(?:in|of) type \S+|\*?\b(?:generator|catalog|template|opendata|search|hant|diag|time|reflect)\.[A-Za-z_]\w*\b`)

// templateFailure returns err as a [BuildError] when it is html/template's,
// else err itself.
func templateFailure(err error) error {
	var be *BuildError
	if err == nil || errors.As(err, &be) {
		return err
	}
	d, ok := templateDiagnostic(err)
	if !ok {
		return err
	}
	return &BuildError{Diagnostics: diag.List{d}}
}

// templateDiagnostic words a template error for whoever edits templates/.
func templateDiagnostic(err error) (diag.Diagnostic, bool) {
	m := templateAt.FindStringSubmatch(err.Error())
	if m == nil {
		return diag.Diagnostic{}, false
	}
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	d := diag.Diagnostic{Pos: diag.Pos{File: "templates/" + m[1], Line: line, Col: col}, Severity: diag.Error}
	rest := strings.TrimSpace(m[4])
	for _, w := range templateWords {
		if sm := w.re.FindStringSubmatchIndex(rest); sm != nil {
			msg := string(w.re.ExpandString(nil, w.msg, rest, sm))
			d.Message = "模板错误：" + goType.ReplaceAllString(msg, "")
			d.Hint = string(w.re.ExpandString(nil, w.hint, rest, sm))
			return d, true
		}
	}
	d.Message = fmt.Sprintf("模板错误：%s", goType.ReplaceAllString(rest, ""))
	return d, true
}
