package generator

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualbridge/qualbridge/generator/hant"
	"github.com/qualbridge/qualbridge/templates"
)

// TestTemplateWording converts the text of every embedded template and
// looks for the misreadings.
func TestTemplateWording(t *testing.T) {
	// misreadings are conversions that s2twp makes from wording that reads
	// well in Simplified but wrongly in Traditional, because the converter
	// segments or picks a Taiwan term without knowing the sense: 换发 (to
	// issue in exchange) becomes 換髮 (to change hair), 并发证 becomes 併發證,
	// 脚本 (script) the programmer's 指令碼, 发布 the software 釋出, 项目 (an
	// entry) 專案 (a project).
	misreadings := []struct{ bad, why string }{
		{"換髮", "换发 → 換髮 (hair): write 换领"},
		{"併發證", "并发证 → 併發證: reword"},
		{"指令碼", "脚本 → 指令碼: write JavaScript"},
		{"釋出", "发布 → 釋出 (software release): write 公布"},
		{"專案", "项目 → 專案 (project): write 条目"},
	}
	conv, err := hant.New()
	if err != nil {
		t.Fatal(err)
	}
	fsys := templates.FS()
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		got := conv.ConvertHTML(string(b))
		for _, m := range misreadings {
			if strings.Contains(got, m.bad) {
				t.Errorf("templates/%s: zh-Hant reads %s: %s", name, m.bad, m.why)
			}
		}
	}
}

// TestShippedWording builds the shipped site and looks for the
// misreadings that no edition should show, whoever wrote the text.
func TestShippedWording(t *testing.T) {
	if _, err := os.Stat("../catalog/site.toml"); err != nil {
		t.Skip("no shipped catalog")
	}
	out, _ := build(t, "..")
	err := filepath.WalkDir(filepath.Join(out, "zh-hant"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, bad := range []string{"換髮", "併發證"} {
			if strings.Contains(string(b), bad) {
				rel, _ := filepath.Rel(out, p)
				t.Errorf("%s: zh-Hant reads %s", rel, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
