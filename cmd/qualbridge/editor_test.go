package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNewcomer is the "done when", on a copy of the shipped
// catalog and content: a newcomer breaks catalog/offices.toml with an
// unterminated string, writes 四級 and 2025-02-30 in
// catalog/qualifications.toml, saves content/about.md with a BOM and YAML
// front matter. One check names all four, the syntax error first, each
// with a hint that says what to type, and holds back what only follows
// from the broken file.
func TestNewcomer(t *testing.T) {
	repo := t.TempDir()
	for _, d := range []string{"catalog", "content"} {
		if err := os.CopyFS(filepath.Join(repo, d), os.DirFS(filepath.Join("..", "..", d))); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(name string, f func(string) string) {
		t.Helper()
		p := filepath.Join(repo, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		after := f(string(b))
		if after == string(b) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		if err := os.WriteFile(p, []byte(after), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The first quoted name loses its closing quote.
	edit("catalog/offices.toml", func(s string) string {
		loc := regexp.MustCompile(`(?m)^name = "[^"\n]*"`).FindStringIndex(s)
		return s[:loc[1]-1] + s[loc[1]:]
	})
	edit("catalog/qualifications.toml", func(s string) string {
		s = strings.Replace(s, `level = "四级"`, `level = "四級"`, 1)
		loc := regexp.MustCompile(`(?m)^effective = \d{4}-\d{2}-\d{2}`).FindStringIndex(s)
		return s[:loc[0]] + "effective = 2025-02-30" + s[loc[1]:]
	})
	edit("content/about.md", func(s string) string {
		s = regexp.MustCompile(`(?s)^\+\+\+\ntitle = "([^"]*)"\n\+\+\+`).ReplaceAllString(s, "---\ntitle: $1\n---")
		return "\ufeff" + s
	})

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"check", repo}, os.Getenv, nil, &stdout, &stderr)
	if err == nil {
		t.Fatal("check passed")
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	t.Logf("check says:\n%s", stderr.String())
	want := []string{
		`^qualbridge: catalog/offices\.toml:\d+:\d+: error: TOML 格式错误：引号没有闭合：这一行的文字缺少结尾的引号$`,
		`^qualbridge: hint: 在文字末尾补上英文双引号 "，例如 name = "…"`,
		`^qualbridge: catalog/qualifications\.toml:\d+:1: error: "四級" 用了繁体字，不是有效的职业技能等级$`,
		`^qualbridge: hint: 目录一律用简体字：写 四级$`,
		`^qualbridge: catalog/qualifications\.toml:\d+:1: error: 日期 "2025-02-30" 不存在：2025 年 2 月只有 28 天$`,
		`^qualbridge: hint: 这个月的最后一天是 2025-02-28：核对原文的日期$`,
	}
	// In this order, the syntax error on the first two lines.
	i := 0
	for n, w := range want {
		for i < len(lines) && !regexp.MustCompile(w).MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Fatalf("no line matches %s (in order)", w)
		}
		if n < 2 && i != n {
			t.Errorf("line %d is %q, want the offices.toml syntax error first", n+1, lines[n])
		}
		i++
	}
	for _, w := range []string{
		"qualbridge: content/about.md:1:1: error: 页首设置用了 YAML 的 \"---\" 写法，本站只认 TOML 的 \"+++\"\n" +
			"qualbridge: hint: 把开头和结尾的两行 --- 都改成 +++，把 title: 关于本站 改成 title = \"关于本站\"\n",
		"qualbridge: 先修正 catalog/offices.toml 的格式错误：另有 ",
	} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("check does not say %q", w)
		}
	}
	if strings.Contains(stderr.String(), "未在 catalog/offices.toml 中定义") {
		t.Errorf("consequences of the broken offices.toml are listed")
	}
}
