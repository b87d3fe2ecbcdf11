package generator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

func TestSwap(t *testing.T) {
	in := `<html lang="zh-Hans"><link hreflang="zh-Hant" href="https://example.org/zh-hant/a/">` +
		`<link hreflang="x-default" href="https://example.org/zh-default/a/">` +
		`<a href="/zh-hans/b/">zh-hans</a><a href="/zh-hant/a/" lang="zh-Hant">zh-switch-label</a>zh-`
	tests := []struct {
		hant bool
		def  string
		want string
	}{
		{false, "hans", `<html lang="zh-Hans"><link hreflang="zh-Hant" href="https://example.org/zh-hant/a/">` +
			`<link hreflang="x-default" href="https://example.org/zh-hans/a/">` +
			`<a href="/zh-hans/b/">zh-hans</a><a href="/zh-hant/a/" lang="zh-Hant">繁體</a>zh-`},
		{true, "hans", `<html lang="zh-Hant"><link hreflang="zh-Hans" href="https://example.org/zh-hans/a/">` +
			`<link hreflang="x-default" href="https://example.org/zh-hans/a/">` +
			`<a href="/zh-hant/b/">zh-hans</a><a href="/zh-hans/a/" lang="zh-Hans">简体</a>zh-`},
		{true, "hant", `<html lang="zh-Hant"><link hreflang="zh-Hans" href="https://example.org/zh-hans/a/">` +
			`<link hreflang="x-default" href="https://example.org/zh-hant/a/">` +
			`<a href="/zh-hant/b/">zh-hans</a><a href="/zh-hans/a/" lang="zh-Hans">简体</a>zh-`},
	}
	for _, tt := range tests {
		if got := string(swap(nil, in, tt.hant, tt.def)); got != tt.want {
			t.Errorf("swap(hant=%v, %s):\n got %s\nwant %s", tt.hant, tt.def, got, tt.want)
		}
	}
}

// TestLineCache holds the line-by-line zh-Hant conversion to the whole
// page's conversion, on every page of the test site and of a synthetic
// site, whose rows repeat like a real catalog's.
func TestLineCache(t *testing.T) {
	synth := t.TempDir()
	writeSynthetic(t, synth, 300, 40)
	for _, src := range []string{"testdata/site", synth} {
		res, err := buildDir(context.Background(), src, "", Options{BuildDate: testDate(), checkHant: true,
			Write: func(string, []byte) error { return nil }})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if res.Pages == 0 {
			t.Fatalf("%s: no pages", src)
		}
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<p>软件</p>\n<p>鼠标</p>\n", []string{"<p>软件</p>\n", "<p>鼠标</p>\n"}},
		{"no break", []string{"no break"}},
		{"<p>a</p>\n<script>if (a>\nb) {}</script>\n<p>b</p>\n", []string{"<p>a</p>\n", "<script>if (a>\nb) {}</script>\n", "<p>b</p>\n"}},
		{"<STYLE>a>\nb</Style>\nx>\n", []string{"<STYLE>a>\nb</Style>\n", "x>\n"}},
		{"<!-- a>\n -->\n<p>\n", []string{"<!-- a>\n -->\n", "<p>\n"}},
		{"<script>never closed>\n", []string{"<script>never closed>\n"}},
	}
	for _, tt := range tests {
		var got []string
		for s := tt.in; len(s) > 0; {
			n := cut(s, openRaw(s))
			got = append(got, s[:n])
			s = s[n:]
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("cut(%q) pieces %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPlainParagraph holds markdown's shortcut to goldmark's output.
func TestPlainParagraph(t *testing.T) {
	md := markdown()
	full := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Linkify, extension.Strikethrough))
	for _, s := range []string{
		"合成备注：第1项，只用于性能测试。", "备注 with ASCII words 2025", "１．全角编号", "\u3000全角空格开头",
		"www example com", "a  b", "中文　中文", "一", "x", "�",
	} {
		if !plainParagraph(s) {
			t.Errorf("plainParagraph(%q) = false, want true", s)
			continue
		}
		var b strings.Builder
		if err := full.Convert([]byte(s), &b); err != nil {
			t.Fatal(err)
		}
		if got := string(md(s)); got != b.String() {
			t.Errorf("md(%q) = %q, goldmark gives %q", s, got, b.String())
		}
	}
	for _, s := range []string{"1. 列表", "# 标题", "a\nb", " 前导空格", "见 https://example.org", "a@b", "**粗**", "a_b_", "&amp;", "<b>", "尾随 "} {
		if plainParagraph(s) {
			t.Errorf("plainParagraph(%q) = true, want false", s)
		}
	}
}

// TestWrite builds the test site through Options.Write and holds it to the
// build on disk, file for file.
func TestWrite(t *testing.T) {
	var mu sync.Mutex
	mem := map[string]string{}
	res, err := buildDir(context.Background(), "testdata/site", "", Options{BuildDate: testDate(),
		Write: func(name string, data []byte) error {
			mu.Lock()
			defer mu.Unlock()
			if _, dup := mem[name]; dup {
				return fmt.Errorf("%s written twice", name)
			}
			mem[name] = string(data)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	out, disk := build(t, "testdata/site")
	if res.Files != disk.Files || res.Pages != disk.Pages || res.Bytes != disk.Bytes || len(mem) != disk.Files {
		t.Errorf("in memory %d files, %d pages, %d bytes (%d names); on disk %d, %d, %d", res.Files, res.Pages, res.Bytes, len(mem), disk.Files, disk.Pages, disk.Bytes)
	}
	for name, data := range mem {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil {
			t.Error(err)
		} else if string(b) != data {
			t.Errorf("%s: in memory differs from disk", name)
		}
	}
}
