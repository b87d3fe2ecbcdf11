package hant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"
)

// newConverter builds a Converter without the glossary, plain s2twp
// apart from the protected terms, or stops the test.
func newConverter(t testing.TB, protected ...string) *Converter {
	t.Helper()
	c, err := build(nil, protected)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConvert(t *testing.T) {
	c := newConverter(t)
	tests := []struct{ in, want string }{
		{"", ""},
		{"软件", "軟體"},
		{"信息", "資訊"},
		{"打印机", "印表機"},
		{"职业资格", "職業資格"},
		{"鼠标", "滑鼠"},
		{"出租车", "計程車"},
		{"台胞职业资格考评认证一体化服务中心", "臺胞職業資格考評認證一體化服務中心"},
		{"人力资源和社会保障局", "人力資源和社會保障局"},
		{"为了", "為了"}, // TWVariants: 爲 → 為
		{"发展", "發展"},
		{"头发", "頭髮"},
		// Segments bound the Taiwan step, as in OpenCC: 标出 is a phrase, so
		// 鼠 and 标 fall into different segments and 鼠標 never meets TWPhrases.
		{"鼠标出租车", "鼠標出租車"},
		{"文件", "檔案"},
		{"U盘", "隨身碟"},
		{"SQL注入", "SQL注入"},
		{"ASCII only, <b>tags</b> & 123", "ASCII only, <b>tags</b> & 123"},
		{"Ünïcödé 🙂 русский 한국어 かな", "Ünïcödé 🙂 русский 한국어 かな"},
		{"第1条 abc 软件。", "第1條 abc 軟體。"},
		{"\xff软件\xe4", "\xff軟體\xe4"}, // invalid UTF-8 passes through
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := c.Convert(tt.in); got != tt.want {
				t.Errorf("Convert(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestProtected(t *testing.T) {
	terms := []string{"闽人社文〔2022〕126号", "闽人社", "社文", "平潭综合实验区", "软件", "GB/T 1"}
	// Past maxIndexTerms, convert switches from strings.Index to the trie;
	// both must give the same result.
	many := slices.Clone(terms)
	for i := len(many); i <= maxIndexTerms; i++ {
		many = append(many, fmt.Sprintf("不会出现的词%d", i))
	}
	converters := map[string]*Converter{"few": newConverter(t, terms...), "many": newConverter(t, many...)}
	tests := []struct{ in, want string }{
		// Protected terms convert character by character (s2tw), never
		// by Taiwan phrases: 软件 stays 軟件, not 軟體.
		{"闽人社文〔2022〕126号", "閩人社文〔2022〕126號"},
		{"根据闽人社文〔2022〕126号的文件", "根據閩人社文〔2022〕126號的檔案"},
		{"闽人社文〔2022〕127号", "閩人社文〔2022〕127號"},
		{"发闽人社文件", "發閩人社檔案"}, // leftmost wins over the overlapping 社文
		{"平潭综合实验区软件信息", "平潭綜合實驗區軟件資訊"},
		{"打印机软件打印机", "印表機軟件印表機"},
		{"软件软件", "軟件軟件"},
		{"GB/T 12 发", "GB/T 12 發"},
		{"", ""},
	}
	for name, c := range converters {
		for _, tt := range tests {
			t.Run(name+"/"+tt.in, func(t *testing.T) {
				if got := c.Convert(tt.in); got != tt.want {
					t.Errorf("Convert(%q) = %q, want %q", tt.in, got, tt.want)
				}
			})
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		protected []string
		want      string
	}{
		{[]string{""}, "hant: empty protected term"},
		{[]string{"ok", "\xff"}, `hant: protected term "\xff" is not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.protected), func(t *testing.T) {
			_, err := build(nil, tt.protected)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New(%q) error = %v, want %s", tt.protected, err, tt.want)
			}
		})
	}
}

func TestParseDict(t *testing.T) {
	tests := []struct {
		in      string
		want    []entry
		wantErr string
	}{
		{"信息\t資訊 信息\n软件\t軟體\r\n\n", []entry{{"信息", "資訊"}, {"软件", "軟體"}}, ""},
		{"信息 資訊\n", nil, "d.txt:1: want key, tab, candidates"},
		{"a\tb\n信息\t\n", nil, `d.txt:2: "信息" has no candidate`},
		{"a\t\xff\n", nil, "d.txt:1: invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDict("d.txt", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("parseDict = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDictLongest(t *testing.T) {
	d := newDict([]entry{{"a", "1"}, {"abc", "3"}, {"ab", "2"}, {"b", "x"}, {"b", "dup"}, {"𠀀", "4"}, {"中国", "5"}})
	tests := []struct {
		in    string
		n     int
		value string
	}{
		{"abcd", 3, "3"},
		{"abx", 2, "2"},
		{"ax", 1, "1"},
		{"b", 1, "x"}, // the first of duplicate keys wins
		{"c", 0, ""},
		{"𠀀𠀀", 4, "4"},
		{"中国人", 6, "5"},
		{"中", 0, ""},
		{"", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n, v := longest(d, tt.in)
			got := ""
			if v >= 0 {
				got = d.values[v]
			}
			if n != tt.n || got != tt.value {
				t.Errorf("longest(%q) = %d, %q; want %d, %q", tt.in, n, got, tt.n, tt.value)
			}
		})
	}
}

func TestConvertHTML(t *testing.T) {
	c := newConverter(t, "闽人社文〔2022〕126号")
	tests := []struct{ name, in, want string }{
		{"link", `<a href="/zh-hans/软件" title="软件">软件</a>`, `<a href="/zh-hans/软件" title="軟體">軟體</a>`},
		{"script", `<p>信息</p><script>var s = "信息"; if (a<b) {}</script><p>信息</p>`, `<p>資訊</p><script>var s = "信息"; if (a<b) {}</script><p>資訊</p>`},
		{"style", `<STYLE>p::before{content:"信息"}</STYLE>信息`, `<STYLE>p::before{content:"信息"}</STYLE>資訊`},
		{"attributes", `<img src="软件.png" alt='打印机' data-x="信息" aria-label=鼠标><input placeholder="信息" value="信息">`,
			`<img src="软件.png" alt='印表機' data-x="信息" aria-label=滑鼠><input placeholder="資訊" value="信息">`},
		{"meta description", `<meta content="软件" name="description"><meta name="author" content="软件">`,
			`<meta content="軟體" name="description"><meta name="author" content="软件">`},
		{"meta og", `<meta property="og:title" content="信息"/>`, `<meta property="og:title" content="資訊"/>`},
		{"comment", `<!-- 信息 --><!DOCTYPE html>信息`, `<!-- 信息 --><!DOCTYPE html>資訊`},
		{"lone lt", `1 < 2 信息 <3`, `1 < 2 資訊 <3`},
		{"end tag", `<p>软件</p >软件`, `<p>軟體</p >軟體`},
		{"protected", `<p title="闽人社文〔2022〕126号">闽人社文〔2022〕126号</p>`, `<p title="閩人社文〔2022〕126號">閩人社文〔2022〕126號</p>`},
		{"gt in attribute", `<a title="a>b 信息" href="/x>信息">信息</a>`, `<a title="a>b 資訊" href="/x>信息">資訊</a>`},
		{"unclosed script", `<script>信息`, `<script>信息`},
		{"unclosed tag", `信息<a href="信息`, `資訊<a href="資訊`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.ConvertHTML(tt.in); got != tt.want {
				t.Errorf("ConvertHTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	c := newConverter(t, "闽人社")
	in := strings.Repeat("闽人社软件信息打印机，", 200)
	want := c.Convert(in)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := c.Convert(in); got != want {
					t.Error("concurrent Convert gave a different result")
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestConfig checks that data/s2twp.json, as shipped by OpenCC, still
// describes the chain that Converter implements.
func TestConfig(t *testing.T) {
	type dictConf struct {
		Type  string     `json:"type"`
		File  string     `json:"file"`
		Dicts []dictConf `json:"dicts"`
	}
	var conf struct {
		Segmentation struct {
			Type string   `json:"type"`
			Dict dictConf `json:"dict"`
		} `json:"segmentation"`
		Chain []struct {
			Dict dictConf `json:"dict"`
		} `json:"conversion_chain"`
	}
	b, err := os.ReadFile("data/s2twp.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &conf); err != nil {
		t.Fatal(err)
	}
	var files func(d dictConf) string
	files = func(d dictConf) string {
		if d.Type == "group" {
			var s []string
			for _, d := range d.Dicts {
				s = append(s, files(d))
			}
			return "group(" + strings.Join(s, ", ") + ")"
		}
		return d.Type + ":" + d.File
	}
	got := []string{conf.Segmentation.Type + " " + files(conf.Segmentation.Dict)}
	for _, step := range conf.Chain {
		got = append(got, files(step.Dict))
	}
	want := []string{
		"mmseg ocd2:STPhrases.ocd2",
		"group(ocd2:STPhrases.ocd2, ocd2:STCharacters.ocd2)",
		"ocd2:TWPhrases.ocd2",
		"ocd2:TWVariants.ocd2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("s2twp.json describes\n%s\nbut Converter implements\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestOpenCC compares Convert with the opencc command on the site's content,
// the seed notices and text made from the dictionaries themselves.
func TestOpenCC(t *testing.T) {
	bin, err := exec.LookPath("opencc")
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal("opencc is not installed (apt-get install opencc); CI must compare with it")
		}
		t.Skip("opencc is not installed (apt-get install opencc)")
	}
	c := newConverter(t)
	chars := 0
	compare := func(t *testing.T, name, in string) {
		t.Helper()
		dir := t.TempDir()
		inPath, outPath := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
		if err := os.WriteFile(inPath, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-c", "s2twp.json", "-i", inPath, "-o", outPath)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("opencc on %s: %v\n%s", name, err, out)
		}
		want, err := os.ReadFile(outPath)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Convert(in)
		chars += utf8.RuneCountInString(in)
		if got == string(want) {
			return
		}
		gotLines, wantLines, inLines := strings.Split(got, "\n"), strings.Split(string(want), "\n"), strings.Split(in, "\n")
		reported := 0
		for i := 0; i < len(inLines) && reported < 10; i++ {
			var g, w string
			if i < len(gotLines) {
				g = gotLines[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Errorf("%s:%d: differs from opencc\n   in: %s\n  got: %s\n want: %s", name, i+1, inLines[i], g, w)
				reported++
			}
		}
		if reported == 0 {
			t.Errorf("%s: differs from opencc (%d bytes, want %d)", name, len(got), len(want))
		}
	}

	t.Run("content", func(t *testing.T) {
		var files []string
		for _, root := range []string{"../../content", "../../catalog"} {
			err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if ext := filepath.Ext(path); !d.IsDir() && (ext == ".md" || ext == ".toml") {
					files = append(files, path)
				}
				return nil
			})
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		}
		if len(files) == 0 {
			t.Skip("no content yet")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, f, string(b))
		}
	})
	t.Run("seeds", func(t *testing.T) {
		files, _ := filepath.Glob("../../../shared/seeds/*.txt")
		if len(files) == 0 {
			t.Skip("no seed notices beside the repository")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			compare(t, f, string(b))
		}
	})
	t.Run("dictionaries", func(t *testing.T) {
		compare(t, "dictionary sample", dictionarySample(t))
	})
	t.Logf("compared %d characters with opencc", chars)
}

// dictionarySample returns a few megabytes of text, the same on every run,
// that exercises every dictionary entry: each key alone and run together
// with its neighbours, the Taiwan keys in Simplified form, and random
// mixtures of fragments of keys, single characters, ASCII and punctuation.
func dictionarySample(t *testing.T) string {
	load := func(name string) []entry {
		b, err := data.ReadFile("data/" + name + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		ents, err := parseDict(name, b)
		if err != nil {
			t.Fatal(err)
		}
		return ents
	}
	phrases, chars, tw, variants := load("STPhrases"), load("STCharacters"), load("TWPhrases"), load("TWVariants")
	rng := rand.New(rand.NewPCG(2022, 126))
	var b strings.Builder
	seps := []string{"", "", "", "，", " ", "。\n", "、", "a", "1"}

	// Every key of every dictionary, grouped into lines of varying length.
	for _, ents := range [][]entry{phrases, chars, tw, variants} {
		for i, e := range ents {
			b.WriteString(e.key)
			b.WriteString(seps[rng.IntN(len(seps))])
			if i%16 == 15 {
				b.WriteByte('\n')
			}
		}
		b.WriteByte('\n')
	}

	// The Taiwan phrases as they would appear in Simplified text: each
	// character mapped back through STCharacters where it can be.
	simplified := map[rune]string{}
	for _, e := range chars {
		r, _ := utf8.DecodeRuneInString(e.value)
		if _, ok := simplified[r]; !ok {
			simplified[r] = e.key
		}
	}
	for _, e := range append(slices.Clone(tw), variants...) {
		for _, r := range e.key {
			if s, ok := simplified[r]; ok {
				b.WriteString(s)
			} else {
				b.WriteRune(r)
			}
		}
		b.WriteString(seps[rng.IntN(len(seps))])
	}
	b.WriteByte('\n')

	// Random mixtures.
	words := []string{"the", "Go", "HTML", "<p>", "2022", "〔2022〕", "126号", "（", "）", "《", "》", "：", "；", "\t", "🙂", "〇"}
	for line := 0; line < 100000; line++ {
		for range 4 + rng.IntN(12) {
			switch k := rng.IntN(10); {
			case k < 5:
				key := []rune(phrases[rng.IntN(len(phrases))].key)
				i, j := rng.IntN(len(key)), rng.IntN(len(key)+1)
				if i > j {
					i, j = j, i
				}
				if i == j {
					j = len(key)
				}
				b.WriteString(string(key[i:j]))
			case k < 8:
				b.WriteString(chars[rng.IntN(len(chars))].key)
			case k < 9:
				b.WriteString(tw[rng.IntN(len(tw))].key)
			default:
				b.WriteString(words[rng.IntN(len(words))])
			}
		}
		b.WriteString(seps[rng.IntN(len(seps))])
		b.WriteByte('\n')
	}
	return b.String()
}

// FuzzConvert checks properties that hold for any input: text without Han
// characters is unchanged; invalid UTF-8 and non-Han text survive; and
// ConvertHTML equals Convert on text without markup.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"软件", "<p title=\"信息\">打印机</p>", "a<b", "\xff信\xe4", "<script>软件</script>", "闽人社文〔2022〕126号"} {
		f.Add(s)
	}
	terms := []string{"闽人社文〔2022〕126号", "人社", "软件"}
	c := newConverter(f, terms...)
	for i := len(terms); i <= maxIndexTerms; i++ {
		terms = append(terms, fmt.Sprintf("不会出现的词%d", i))
	}
	many := newConverter(f, terms...)
	f.Fuzz(func(t *testing.T, s string) {
		got, gotHTML := c.Convert(s), c.ConvertHTML(s)
		if m := many.Convert(s); m != got {
			t.Errorf("Convert(%q) = %q with few protected terms, %q with many", s, got, m)
		}
		if !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			if got != s || gotHTML != s {
				t.Errorf("text without Han changed: %q → %q, HTML %q", s, got, gotHTML)
			}
		}
		if !strings.Contains(s, "<") && gotHTML != got {
			t.Errorf("ConvertHTML(%q) = %q, Convert = %q", s, gotHTML, got)
		}
		keep := func(s string) []byte {
			var out []byte
			for i := 0; i < len(s); {
				r, size := utf8.DecodeRuneInString(s[i:])
				if r < utf8.RuneSelf || (r == utf8.RuneError && size == 1) {
					out = append(out, s[i])
				}
				i += size
			}
			return out
		}
		if !bytes.Equal(keep(got), keep(s)) {
			t.Errorf("Convert(%q) = %q changed ASCII or invalid bytes", s, got)
		}
	})
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New("闽人社文〔2022〕126号"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvert(b *testing.B) {
	c := newConverter(b, "闽人社文〔2022〕126号")
	in := benchText(b)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		c.Convert(in)
	}
}

func BenchmarkConvertHTML(b *testing.B) {
	c := newConverter(b, "闽人社文〔2022〕126号")
	var sb strings.Builder
	for i, line := range strings.Split(benchText(b), "\n") {
		fmt.Fprintf(&sb, "<p class=\"x\" title=\"%.12s\"><a href=\"/zh-hans/%d\">%s</a></p>\n", line, i, line)
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		c.ConvertHTML(in)
	}
}

// BenchmarkConvertPage converts a typical page of the site, as the generator
// does for every page, into a reused buffer.
func BenchmarkConvertPage(b *testing.B) {
	c := newConverter(b, "闽人社文〔2022〕126号")
	in := benchPage(b)
	b.SetBytes(int64(len(in)))
	var buf []byte
	for b.Loop() {
		buf = c.AppendConvertHTML(buf[:0], in)
	}
}

// benchPage is a page of about 8 KB: navigation, header and footer markup
// around some 3 KB of Chinese text from benchText. The links and names are
// fictional.
func benchPage(b testing.TB) string {
	text := []rune(strings.ReplaceAll(benchText(b), "\n\n", "\n"))[:1000]
	var sb strings.Builder
	sb.WriteString(`<!DOCTYPE html>
<html lang="zh-Hant"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>台胞职业资格采信 — 示例站点</title><meta name="description" content="台胞职业资格采信、采认与考证认证的说明">
<meta property="og:title" content="台胞职业资格采信"><link rel="stylesheet" href="/assets/site.3f9a2c.css"><link rel="canonical" href="https://example.org/zh-hant/qualifications/">
<script>document.documentElement.classList.add("js");</script></head>
<body class="page page-qualification"><a class="skip" href="#main">跳到正文</a>
<header class="site-header"><div class="container"><a class="brand" href="/zh-hant/" aria-label="首页">示例站点</a>
<nav class="site-nav" aria-label="主导航"><ul>
`)
	for i, item := range []string{"首页", "职业资格", "采信目录", "考证认证", "培训补贴", "服务网点", "常见问题", "联系我们"} {
		fmt.Fprintf(&sb, "<li class=\"nav-item\"><a class=\"nav-link\" href=\"/zh-hant/section-%d/\" title=\"%s\">%s</a></li>\n", i, item, item)
	}
	sb.WriteString(`</ul></nav><form class="search" action="/zh-hant/search/"><input type="search" name="q" placeholder="搜索职业资格" aria-label="搜索"><button type="submit">搜索</button></form></div></header>
<main id="main" class="container"><nav class="breadcrumb" aria-label="面包屑"><a href="/zh-hant/">首页</a> › <a href="/zh-hant/qualifications/">职业资格</a></nav>
<article class="notice"><h1 class="notice-title">关于设立台胞职业资格考评认证一体化服务中心的通知</h1>
<dl class="meta"><dt>发布日期</dt><dd><time datetime="2022-09-07">2022-09-07</time></dd><dt>文号</dt><dd>闽人社文〔2022〕126号</dd></dl>
<div class="notice-body">
`)
	for len(text) > 0 {
		n := min(len(text), 120)
		fmt.Fprintf(&sb, "<p>%s</p>\n", string(text[:n]))
		text = text[n:]
	}
	sb.WriteString(`</div></article>
<nav class="sitemap" aria-label="网站地图"><ul>
`)
	for i := range 24 {
		fmt.Fprintf(&sb, "<li class=\"sitemap-item\"><a class=\"sitemap-link\" href=\"/zh-hant/qualifications/item-%03d/\">条目 %d</a></li>\n", i, i)
	}
	sb.WriteString(`</ul></nav>
<aside class="related"><h2>相关链接</h2><ul><li><a href="/zh-hant/a/">职业资格目录</a></li><li><a href="/zh-hant/b/">采信清单</a></li><li><a href="/zh-hant/c/">服务网点</a></li></ul></aside></main>
<footer class="site-footer"><div class="container"><p>本站为示例，内容仅供测试。</p><ul class="footer-links"><li><a href="/zh-hant/about/">关于本站</a></li><li><a href="/zh-hant/privacy/">隐私政策</a></li><li><a href="/zh-hans/">简体中文</a></li><li><a href="/en/">English</a></li></ul>
<p class="small">Generated by qualbridge · <a href="https://example.org/source">source</a> · build 2026-01-01</p></div></footer>
<script src="/assets/site.81b0d4.js" defer></script>
</body></html>
`)
	return sb.String()
}

// benchText is about a megabyte of page-like text: the seed notices when
// present, else a built-in paragraph, mixed with Markdown and ASCII.
func benchText(b testing.TB) string {
	files, _ := filepath.Glob("../../../shared/seeds/*.txt")
	var seed strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		seed.Write(data)
	}
	if seed.Len() == 0 {
		seed.WriteString("## 台胞职业资格考评认证一体化服务中心\n\n现将《关于设立福建省（平潭）台胞职业资格考评认证一体化服务中心的通知》（闽人社文〔2022〕126号）转发给你们，请按要求认真做好有关台胞职业资格采信、采认工作。See https://example.org/docs for the English version.\n\n")
	}
	s := seed.String()
	return strings.Repeat(s, 1<<20/len(s)+1)
}

func TestAppend(t *testing.T) {
	c := newConverter(t, "闽人社文〔2022〕126号")
	for _, in := range []string{"", "ascii", "根据闽人社文〔2022〕126号，打印机软件的信息", `<p title="软件">信息</p>`} {
		t.Run(in, func(t *testing.T) {
			buf := []byte("前缀")
			if got, want := string(c.AppendConvert(buf, in)), "前缀"+c.Convert(in); got != want {
				t.Errorf("AppendConvert = %q, want %q", got, want)
			}
			if got, want := string(c.AppendConvertHTML(buf, in)), "前缀"+c.ConvertHTML(in); got != want {
				t.Errorf("AppendConvertHTML = %q, want %q", got, want)
			}
		})
	}
}

// TestGlossary: every glossary term converts to its Traditional form,
// alone and in a sentence, and s2twp alone would have got it wrong (an
// entry that fixes nothing is clutter).
func TestGlossary(t *testing.T) {
	g, err := Glossary()
	if err != nil {
		t.Fatal(err)
	}
	c, plain := newWithGlossary(t), newConverter(t)
	for _, term := range g {
		if got := c.Convert(term.Hans); got != term.Hant {
			t.Errorf("Convert(%q) = %q, want %q (%s)", term.Hans, got, term.Hant, term.Why)
		}
		if got := c.Convert("关于" + term.Hans + "的说明"); got != "關於"+term.Hant+"的說明" {
			t.Errorf("in a sentence, %q → %q", term.Hans, got)
		}
		if p := plain.Convert(term.Hans); p == term.Hant {
			t.Errorf("%q: s2twp already gives %q; drop the entry", term.Hans, p)
		}
	}
}

// TestProtectedCharacters holds protected terms to the opencc command's
// s2tw (characters, Taiwan forms, no phrases), on the names the site
// protects.
func TestProtectedCharacters(t *testing.T) {
	names := []string{
		"福建省（平潭）台胞职业资格考证认证一体化服务中心", "福建省人力资源和社会保障厅办公室",
		"广西壮族自治区人力资源和社会保障厅", "平潭综合实验区党工委党群工作部", "闽人社文〔2022〕126号",
		"人社职司便函〔2019〕52号", "国外职业资格证书及其发证机构资格审核注册表", "台陆通", "岚聚英才",
		"互联网营销师", "计算机维修工", "照顾服务员",
	}
	c := newWithGlossary(t, names...)
	want := opencc(t, "s2tw", strings.Join(names, "\n"))
	var got []string
	for _, n := range names {
		got = append(got, c.Convert(n))
	}
	if g := strings.Join(got, "\n"); g != want {
		t.Errorf("protected terms:\n got %s\nwant %s", g, want)
	}
}

func newWithGlossary(t testing.TB, protected ...string) *Converter {
	t.Helper()
	c, err := New(protected...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// opencc runs the opencc command with config ("s2tw") on in, or skips the
// test when it is not installed (outside CI).
func opencc(t *testing.T, config, in string) string {
	t.Helper()
	bin, err := exec.LookPath("opencc")
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal("opencc is not installed (apt-get install opencc); CI must compare with it")
		}
		t.Skip("opencc is not installed (apt-get install opencc)")
	}
	cmd := exec.Command(bin, "-c", config+".json")
	cmd.Stdin = strings.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("opencc -c %s: %v", config, err)
	}
	return strings.TrimSuffix(string(out), "\n")
}
