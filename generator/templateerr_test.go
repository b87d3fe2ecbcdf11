package generator

import (
	"context"
	"errors"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplateErrors: html/template's errors, parsing and running, reach
// whoever edits templates/ at the file relative to the repository root,
// in Chinese, with no Go type names.
func TestTemplateErrors(t *testing.T) {
	type view struct{ Title string }
	tests := []struct {
		text string
		want string
	}{
		{"{{define \"main\"}}\n<p>\n  {{.NoSuchField}}{{end}}{{template \"main\" .}}",
			"templates/home.html:3:4: error: 模板错误：{{.NoSuchField}} 中没有字段 NoSuchField\n\thint: 检查字段名的拼写（区分大小写）"},
		{`{{if}}{{end}}`, "templates/home.html:1: error: 模板错误：{{if}} 后面缺少条件或值\n\thint: 写成 {{if .字段}}…{{end}}"},
		{`{{nosuchfunc 1}}`, "templates/home.html:1: error: 模板错误：没有名为 \"nosuchfunc\" 的函数\n\thint: 检查拼写；模板可用的函数见 generator/funcs.go"},
		{`{{template "nope" .}}`, "templates/home.html:1:11: error: 模板错误：没有名为 \"nope\" 的模板\n\thint: 先用 {{define \"nope\"}}…{{end}} 定义它，或检查名称的拼写"},
		{`{{index .Title 99}}`, "templates/home.html:1:2: error: 模板错误：{{index .Title 99}}：下标 99 超出范围\n\thint: 先用 {{if}} 或 len 检查列表的长度"},
		{`{{end}}`, "templates/home.html:1: error: 模板错误：这里不应出现 {{end}}\n\thint: 检查 {{if}}、{{range}}、{{with}} 和 {{end}} 是否成对"},
		{`{{.Title`, "templates/home.html:1: error: 模板错误：{{ 没有对应的 }}\n\thint: 在动作的末尾补上 }}"},
		{`{{range .Title}}`, "templates/home.html:1: error: 模板错误：模板意外结束\n\thint: 检查每个 {{if}}、{{range}}、{{with}}、{{define}} 是否都有对应的 {{end}}"},
	}
	for _, tt := range tests {
		tmpl, err := template.New("home.html").Funcs(template.FuncMap{"index": func(s string, i int) (string, error) {
			return "", errors.New("index out of range: 99")
		}}).Parse(tt.text)
		if err == nil {
			err = tmpl.Execute(io.Discard, &view{Title: "x"})
		}
		if err == nil {
			t.Errorf("%q: no error", tt.text)
			continue
		}
		var be *BuildError
		if !errors.As(templateFailure(err), &be) || len(be.Diagnostics) != 1 {
			t.Errorf("%q: %v is not a BuildError", tt.text, err)
			continue
		}
		d := be.Diagnostics[0]
		if got := d.String(); got != tt.want {
			t.Errorf("%q (%v):\n%s\nwant\n%s", tt.text, err, got, tt.want)
		}
		if strings.Contains(d.Message, "generator.") || strings.Contains(d.Message, "*") {
			t.Errorf("%q: Go type in %q", tt.text, d.Message)
		}
	}

	// And through a whole build of a deployment's override.
	src := copyTree(t, "testdata/site")
	if err := os.MkdirAll(filepath.Join(src, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "templates", "home.html"), []byte("{{define \"main\"}}\n<p>\n  {{.NoSuchField}}{{end}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := buildDir(context.Background(), src, filepath.Join(t.TempDir(), "public"), Options{BuildDate: testDate()})
	var be *BuildError
	if !errors.As(err, &be) || be.Diagnostics[0].String() != "templates/home.html:3:4: error: 模板错误：{{.NoSuchField}} 中没有字段 NoSuchField\n\thint: 检查字段名的拼写（区分大小写）" {
		t.Errorf("build: %v", err)
	}
}

// TestAssetError: a template naming an asset the site does not have
// fails the build at the template, before anything is published.
func TestAssetError(t *testing.T) {
	src := copyTree(t, "testdata/site")
	if err := os.MkdirAll(filepath.Join(src, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "templates", "home.html"), []byte(`{{define "main"}}<img src="{{asset "logo.png"}}" alt="">{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := buildDir(context.Background(), src, filepath.Join(t.TempDir(), "public"), Options{BuildDate: testDate()})
	var be *BuildError
	want := `templates/home.html:1:29: error: 模板错误：{{asset "logo.png"}}：调用 asset 出错：templates/assets/ 中没有 logo.png` + "\n\thint: 检查传给 asset 的参数"
	if !errors.As(err, &be) || be.Diagnostics[0].String() != want {
		t.Errorf("build: %v, want\n%s", err, want)
		if be != nil {
			t.Log(be.Diagnostics[0].String())
		}
	}
}
