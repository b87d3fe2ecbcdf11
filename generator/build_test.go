package generator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/templates"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testDate is the build date of the test site (its site.toml says the same).
func testDate() catalog.Date { return catalog.NewDate(2025, 6, 1) }

// build builds the site at src into a fresh directory.
func build(t *testing.T, src string) (string, *built) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "public")
	res, err := buildDir(context.Background(), src, out, Options{BuildDate: testDate()})
	if err != nil {
		if res != nil {
			for _, d := range res.Diagnostics {
				t.Log(d)
			}
		}
		t.Fatal(err)
	}
	return out, res
}

// fingerprint is an asset's content hash in a page: golden files write
// it as "#", so that a change of a style sheet or script does not change
// every golden page (TestFingerprintedAssets checks the names).
var fingerprint = regexp.MustCompile(`(/assets/[A-Za-z0-9_/-]+)\.[0-9a-f]{10}\.`)

// TestGolden compares whole pages of the test site with testdata/golden;
// go test -update rewrites them.
func TestGolden(t *testing.T) {
	out, _ := build(t, "testdata/site")
	for _, name := range []string{
		"zh-hans/index.html",
		"zh-hans/qualifications/shili-huli-4/index.html",
		"zh-hant/guides/caixin/index.html",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			got = fingerprint.ReplaceAll(got, []byte("$1.#."))
			golden := filepath.Join("testdata", "golden", strings.ReplaceAll(name, "/", "_"))
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (go test -update rewrites it); got:\n%s", name, golden, got)
			}
		})
	}
}

// TestPages checks substrings of the pages the golden files do not cover.
func TestPages(t *testing.T) {
	out, res := build(t, "testdata/site")
	if res.Pages == 0 || res.Files <= res.Pages || res.Bytes == 0 {
		t.Errorf("result %+v", res)
	}
	tests := []struct {
		file string
		want []string
		not  []string
	}{
		// The root lets the reader choose, in both scripts, and redirects nobody.
		{"index.html", []string{`href="/zh-hans/"`, `href="/zh-hant/"`, "进入简体中文版", "進入繁體中文版", `data-root`}, []string{`http-equiv="refresh"`}},
		{"404.html", []string{"找不到你要的页面", "找不到你要的頁面", `href="/zh-hant/"`}, []string{`http-equiv="refresh"`}},
		// The finder: every certificate A–Z, and the next step for the unlisted.
		{"zh-hans/finder/index.html", []string{`id="az-S"`, "示例照顾员", `action="/zh-hans/finder/"`, `<option value="quanzhou">泉州市</option>`, `href="/zh-hans/finder/unlisted/"`}, nil},
		{"zh-hans/finder/unlisted/index.html", []string{"本站目录暂未收录这张证书", `class="city c-quanzhou"`, `href="#c-quanzhou"`}, nil},
		{"zh-hant/finder/unlisted/index.html", []string{"本站目錄暫未收錄這張證書"}, []string{"“"}},
		// A facet with one value (one batch, one category here) filters nothing and is left out.
		{"zh-hans/qualifications/index.html", []string{`href="/zh-hans/qualifications/route/caixin/"`, `href="/zh-hans/qualifications/level/4/"`}, []string{`href="/zh-hans/qualifications/batch/5/"`, `href="/zh-hans/qualifications/category/skill/"`}},
		{"zh-hans/qualifications/route/cairen/index.html", []string{"示例烹调技术士", `aria-current="page">采认`}, []string{"示例照顾员"}},
		{"zh-hans/qualifications/shili-baomu/index.html", []string{"文件原称：示例育婴员", "<dd>未公布</dd>", "未列入编号批次"}, nil},
		{"zh-hans/qualifications/shili-pengtiao-3/index.html", []string{"目录指定的认定机构", "示例评价机构甲", `class="badge warn">即将到期`}, nil},
		{"zh-hans/organisations/shili-jigou-c/index.html", []string{`class="badge bad">暂停`, "示例原因：整改中"}, nil},
		{"zh-hans/organisations/occupation/9-99-99-02/index.html", []string{"示例评价机构甲", "示例技工学校"}, nil},
		{"zh-hans/offices/shili-chuangkou/index.html", []string{`href="tel:&#43;86-000-12345671"`, `href="mailto:office@example.org"`, "一楼1号窗口"}, nil},
		{"zh-hans/guides/caixin/checklist/index.html", []string{`<input type="checkbox" id="m0"> <label for="m0">`, "返回办事指南", "本页内容更新于 2025-05-20"}, []string{`class="nav"`}},
		{"zh-hans/documents/shili-2025-1/index.html", []string{"示例人社〔2025〕1号", "虚构的摘要", "示例照顾员"}, nil},
		{"zh-hans/changes/index.html", []string{`id="shili-pici-5"`, "2025-03-01"}, nil},
		{"zh-hans/search/index.html", []string{`<div id="search-results" aria-live="polite"></div>`, "示例评价机构甲", `data-search-index="/zh-hans/search-index.json"`}, nil},
		{"zh-hant/search/index.html", []string{`data-search-index="/zh-hant/search-index.json"`}, nil},
		{"zh-hans/data/index.html", []string{`href="/data/qualifications.json"`, `href="/data/qualifications.csv"`}, nil},
		{"zh-hans/verify/index.html", []string{`action="https://verify.qualbridge.test/lookup"`, `name="number"`, `name="name"`, "尚未在本站公布根公钥和信任列表"}, []string{"qualbridge/trust.list"}},
		// goldmark's safe default: raw HTML never reaches the page.
		{"zh-hans/about/index.html", []string{"<!-- raw HTML omitted -->原始 HTML 会被转义", "软件和鼠标"}, []string{"<b>"}},
		// Taiwan phrasing, lang and links swapped, protected names kept.
		{"zh-hant/about/index.html", []string{"軟體和滑鼠", `<html lang="zh-Hant">`, `href="/zh-hans/about/" hreflang="zh-Hans" lang="zh-Hans">简体</a>`}, []string{`href="/zh-hant/about/" hreflang`}},
		{"zh-hant/qualifications/shili-huli-4/index.html", []string{"示例人社〔2025〕1號", "示例省（平潭）測試服務中心", "示例護理員", `hreflang="x-default" href="https://qualbridge.test/zh-hans/qualifications/shili-huli-4/"`}, nil},
		{"zh-hans/qualifications/shili-huli-4/index.html", []string{`hreflang="x-default" href="https://qualbridge.test/zh-hans/qualifications/shili-huli-4/"`, `rel="canonical" href="https://qualbridge.test/zh-hans/qualifications/shili-huli-4/"`, "本页内容更新于 <time datetime=\"2025-03-01\">"}, []string{"&lt;script"}},
		{"zh-hant/atom.xml", []string{`xml:lang="zh-Hant"`, "https://qualbridge.test/zh-hant/changes/#shili-pici-5", "發布示例第五批目錄", "示例企業評價中心暫停", `<category term="目錄批次"/>`}, nil},
		{"sitemap.xml", []string{`<loc>https://qualbridge.test/zh-hant/guides/caixin/</loc>`, `hreflang="zh-Hans" href="https://qualbridge.test/zh-hans/guides/caixin/"`}, nil},
		{"robots.txt", []string{"Sitemap: https://qualbridge.test/sitemap.xml"}, nil},
		{"zh-hans/search-index.json", []string{"/zh-hans/qualifications/"}, nil},
		{"data/qualifications.csv", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(out, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !bytes.Contains(b, []byte(w)) {
					t.Errorf("missing %q", w)
				}
			}
			for _, w := range tt.not {
				if bytes.Contains(b, []byte(w)) {
					t.Errorf("unexpected %q", w)
				}
			}
		})
	}
	// The shipped catalog has no trust list: none is published.
	if _, err := os.Stat(filepath.Join(out, ".well-known")); err == nil {
		t.Error("trust list published without catalog/trust.json")
	}
}

// TestSite walks the whole output: every page is well-formed with lang
// set and the markers filled in; every internal link and asset resolves;
// the XML files parse.
func TestSite(t *testing.T) {
	out, _ := build(t, "testdata/site")
	checkSite(t, out)
}

func checkSite(t *testing.T, out string) {
	t.Helper()
	fsys := os.DirFS(out)
	pages := 0
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		switch path.Ext(name) {
		case ".html":
			pages++
			checkPage(t, fsys, name, string(b))
		case ".xml":
			d := xml.NewDecoder(bytes.NewReader(b))
			for {
				if _, err := d.Token(); err != nil {
					if err != io.EOF {
						t.Errorf("%s: %v", name, err)
					}
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages < 20 {
		t.Errorf("only %d pages", pages)
	}
}

var (
	langRE = regexp.MustCompile(`<html lang="zh-Han[st]">`)
	attrRE = regexp.MustCompile(`\s(href|src|action)="([^"]*)"`)
	idRE   = regexp.MustCompile(`\sid="([^"]*)"`)
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

func checkPage(t *testing.T, fsys fs.FS, name, s string) {
	t.Helper()
	if !langRE.MatchString(s) {
		t.Errorf("%s: no <html lang>", name)
	}
	for _, marker := range []string{defaultMarker, switchMarker} {
		if strings.Contains(s, marker) {
			t.Errorf("%s: marker %s left in", name, marker)
		}
	}
	if err := balanced(s); err != nil {
		t.Errorf("%s: %v", name, err)
	}
	seen := map[string]bool{}
	for _, m := range idRE.FindAllStringSubmatch(s, -1) {
		if seen[m[1]] {
			t.Errorf("%s: duplicate id %q", name, m[1])
		}
		seen[m[1]] = true
	}
	for _, m := range attrRE.FindAllStringSubmatch(s, -1) {
		u := html.UnescapeString(m[2])
		switch {
		case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"),
			strings.HasPrefix(u, "mailto:"), strings.HasPrefix(u, "tel:"), strings.HasPrefix(u, "#"):
			continue
		case u == "/__dev/reload.js":
			t.Errorf("%s: live-reload script outside dev mode", name)
			continue
		case !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//"):
			t.Errorf("%s: %s=%q is not a site-absolute link", name, m[1], u)
			continue
		}
		u, _, _ = strings.Cut(u, "#")
		u, _, _ = strings.Cut(u, "?")
		target := strings.TrimPrefix(u, "/")
		if target == "" || strings.HasSuffix(target, "/") {
			target += "index.html"
		}
		if _, err := fs.Stat(fsys, target); err != nil {
			t.Errorf("%s: broken link %s=%q", name, m[1], u)
		}
	}
}

// balanced checks that every element the page opens is closed in order:
// a strict tag-balance check of the HTML the templates write (void
// elements, self-closing SVG elements, comments, and raw text in script
// and style understood).
func balanced(s string) error {
	void := map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
		"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}
	var stack []string
	line := func(i int) int { return strings.Count(s[:i], "\n") + 1 }
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			k := strings.Index(rest, "-->")
			if k < 0 {
				return fmt.Errorf("line %d: unclosed comment", line(i))
			}
			i += k + 3
			continue
		case strings.HasPrefix(rest, "<!"):
			k := strings.IndexByte(rest, '>')
			i += k + 1
			continue
		}
		k := strings.IndexByte(rest, '>')
		if k < 0 {
			return fmt.Errorf("line %d: unclosed tag", line(i))
		}
		if q := strings.IndexByte(rest[:k], '"'); q >= 0 {
			// A '>' inside a quoted attribute value does not end the tag.
			in := false
			for k = 1; k < len(rest); k++ {
				if rest[k] == '"' {
					in = !in
				} else if rest[k] == '>' && !in {
					break
				}
			}
		}
		tag := rest[1:k]
		closing := strings.HasPrefix(tag, "/")
		tag = strings.TrimPrefix(tag, "/")
		selfClosing := strings.HasSuffix(tag, "/")
		nameEnd := strings.IndexAny(tag, " \t\n/")
		name := tag
		if nameEnd >= 0 {
			name = tag[:nameEnd]
		}
		name = strings.ToLower(name)
		if name == "" || !nameRE.MatchString(name) {
			return fmt.Errorf("line %d: bad tag %q", line(i), rest[:k+1])
		}
		i += k + 1
		switch {
		case closing:
			if len(stack) == 0 || stack[len(stack)-1] != name {
				return fmt.Errorf("line %d: </%s> closes %v", line(i), name, stack)
			}
			stack = stack[:len(stack)-1]
		case void[name] || selfClosing:
		case name == "script" || name == "style":
			end := strings.Index(s[i:], "</"+name+">")
			if end < 0 {
				return fmt.Errorf("line %d: unclosed <%s>", line(i), name)
			}
			i += end + len(name) + 3
		default:
			stack = append(stack, name)
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %v at the end", stack)
	}
	return nil
}

func TestBalanced(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`<p>a<br>b</p>`, true},
		{`<svg><path d="M0 0"/></svg>`, true},
		{`<a title="x>y">z</a>`, true},
		{`<script>if (a<b) {}</script>`, true},
		{`<p><b>x</p></b>`, false},
		{`<div>`, false},
		{`</div>`, false},
		{`<p>x`, false},
	}
	for _, tt := range tests {
		if err := balanced(tt.in); (err == nil) != tt.ok {
			t.Errorf("balanced(%q) = %v", tt.in, err)
		}
	}
}

// hashTree hashes every file's path, mode and content under dir.
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s %v\n", rel, d.Type())
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	a, _ := build(t, "testdata/site")
	b, _ := build(t, "testdata/site")
	if hashTree(t, a) != hashTree(t, b) {
		t.Error("two builds of the same input differ")
	}
}

// copyTree copies the test site so that a test can break it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "src")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestFailedBuild: whatever stops a build, the previous output stays
// byte for byte and no temp dir is left behind.
func TestFailedBuild(t *testing.T) {
	tests := []struct {
		name  string
		file  string // written into a copy of the test site
		data  string
		ctx   func() context.Context
		check func(t *testing.T, res *built, err error)
	}{
		{
			name: "catalog error",
			file: "catalog/qualifications.toml",
			data: "# Synthetic: a broken row.\n[[qualification]]\nid = \"x\"\nlevle = \"四级\"\n",
			check: func(t *testing.T, res *built, err error) {
				var be *BuildError
				if !errors.As(err, &be) || len(be.Diagnostics) == 0 || res.Diagnostics.Err() == nil {
					t.Fatalf("err = %v, want a BuildError with diagnostics", err)
				}
				found := false
				for _, d := range be.Diagnostics {
					found = found || d.Pos.File == "catalog/qualifications.toml" && d.Pos.Line > 0
				}
				if !found {
					t.Errorf("no positioned diagnostic in catalog/qualifications.toml: %v", be.Diagnostics)
				}
			},
		},
		{
			name: "template error",
			file: "templates/home.html",
			data: `{{define "main"}}{{.NoSuchField}}{{end}}`,
		},
		{
			name: "template syntax error",
			file: "templates/guide.html",
			data: `{{define "main"}}{{if}}{{end}}`,
		},
		{
			name: "bad trust list",
			file: "catalog/trust.json",
			data: "{not json",
		},
		{
			name: "cancelled",
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			check: func(t *testing.T, res *built, err error) {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
			},
		},
	}
	// After one build the stage is a fresh directory; after two it is
	// the site before last, kept as public.prev and updated in place.
	for _, tt := range tests {
		for _, prior := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/after %d", tt.name, prior), func(t *testing.T) {
				out, _ := build(t, "testdata/site")
				if prior == 2 {
					if _, err := buildDir(context.Background(), "testdata/site", out, Options{BuildDate: catalog.NewDate(2025, 7, 1)}); err != nil {
						t.Fatal(err)
					}
				}
				before := hashTree(t, out)
				src := copyTree(t, "testdata/site")
				if tt.file != "" {
					if err := os.MkdirAll(filepath.Dir(filepath.Join(src, tt.file)), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(src, tt.file), []byte(tt.data), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				ctx := context.Background()
				if tt.ctx != nil {
					ctx = tt.ctx()
				}
				res, err := buildDir(ctx, src, out, Options{BuildDate: testDate()})
				if err == nil {
					t.Fatal("build succeeded")
				}
				if tt.check != nil {
					tt.check(t, res, err)
				}
				if hashTree(t, out) != before {
					t.Error("failed build changed the output")
				}
				ents, _ := os.ReadDir(filepath.Dir(out))
				for _, e := range ents {
					if e.Name() != "public" && (e.Name() != "public.prev" || prior == 1) {
						t.Errorf("left behind: %s", e.Name())
					}
				}
				// Whatever the failed build left in the stage, the next
				// build is whole.
				if _, err := buildDir(context.Background(), "testdata/site", out, Options{BuildDate: testDate()}); err != nil {
					t.Fatal(err)
				}
				fresh, _ := build(t, "testdata/site")
				if hashTree(t, out) != hashTree(t, fresh) {
					t.Error("the build after a failed one differs from a fresh build")
				}
			})
		}
	}
}

// TestOverride: a deployment's file under <src>/templates/ replaces the
// embedded one; a trust list under catalog/ is published and linked.
func TestOverride(t *testing.T) {
	src := copyTree(t, "testdata/site")
	write := func(name, data string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("templates/assets/style.css", "/* overridden */\n")
	write("templates/404.html", `{{define "main"}}<h1>部署自定义的404</h1>{{end}}`)
	// The root of trust, TEST-ONLY keys.
	b := trusttest.New("site")
	pinFile, err := b.PinFile(filepath.Join(src, "catalog"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(pinFile, filepath.Join(src, "catalog", "trust-root.pub")); err != nil {
		t.Fatal(err)
	}
	list, err := b.List.Sign(b.RootKeys...)
	if err != nil {
		t.Fatal(err)
	}
	write("catalog/trust.list", string(list))
	out, _ := build(t, src)
	for _, a := range []string{"style", "filter"} {
		m, _ := filepath.Glob(filepath.Join(out, "assets", a+".*"))
		if len(m) != 1 {
			t.Fatalf("assets/%s.*: %v, want one fingerprinted file", a, m)
		}
		if err := os.Rename(m[0], filepath.Join(out, "assets", a+filepath.Ext(m[0]))); err != nil {
			t.Fatal(err)
		}
	}
	for file, want := range map[string]string{
		"assets/style.css":                      "/* overridden */",
		"zh-hans/404.html":                      "部署自定义的404",
		".well-known/qualbridge/trust-root.pub": "qualbridge-trust-root-v2 ",
		"zh-hans/verify/index.html":             `href="/.well-known/qualbridge/trust.list"`,
		"assets/filter.js":                      "filter.js",
		// Each key on a line of its own, its id never broken (a four-column
		// table broke ids and words on a phone), in Taiwan's terms in zh-Hant.
		"zh-hant/verify/index.html": `<li>金鑰編號 <code class="kid">`,
	} {
		b, err := os.ReadFile(filepath.Join(out, file))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s: want %q, err %v", file, want, err)
		}
	}
	hant, _ := os.ReadFile(filepath.Join(out, "zh-hant", "verify", "index.html"))
	for _, want := range []string{"以數位簽章簽發", "用途：快照時間戳記；狀態：啟用"} {
		if !strings.Contains(string(hant), want) {
			t.Errorf("zh-hant/verify/index.html lacks %q", want)
		}
	}
}

// TestDev: the dev server's builds load the live-reload script.
func TestDev(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	if _, err := buildDir(context.Background(), "testdata/site", out, Options{BuildDate: testDate(), Dev: true}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "zh-hant", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("<script src=\"/__dev/reload.js\"></script>\n</body>")) {
		t.Error("no live-reload script before </body>")
	}
}

// TestRebuild builds one output again and again. From the third build
// on, the stage is the site before last, updated in place: the result
// must be exactly a fresh build's, whatever that old site held (a stale
// file, a file where a directory goes and the reverse), and a file of it
// hard-linked elsewhere must keep its content.
func TestRebuild(t *testing.T) {
	out, _ := build(t, "testdata/site")
	dates := []catalog.Date{catalog.NewDate(2025, 7, 1), catalog.NewDate(2025, 8, 1), catalog.NewDate(2025, 9, 1)}
	prev := out + ".prev"
	backup := filepath.Join(t.TempDir(), "backup.html")
	for i, date := range dates {
		switch i {
		case 0:
			// In the site that the third build will write over.
			if err := os.WriteFile(filepath.Join(out, "stale.html"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(out, "zh-hans", "guides")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, "zh-hans", "guides"), []byte("a file where a directory goes"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(out, "robots.txt")); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(out, "robots.txt"), 0o755); err != nil {
				t.Fatal(err)
			}
		case 2:
			if err := os.Link(filepath.Join(prev, "zh-hans", "index.html"), backup); err != nil {
				t.Fatal(err)
			}
		}
		var saved []byte
		if i == 2 {
			saved, _ = os.ReadFile(backup)
		}
		if _, err := buildDir(context.Background(), "testdata/site", out, Options{BuildDate: date}); err != nil {
			t.Fatal(err)
		}
		fresh := filepath.Join(t.TempDir(), "public")
		if _, err := buildDir(context.Background(), "testdata/site", fresh, Options{BuildDate: date}); err != nil {
			t.Fatal(err)
		}
		if hashTree(t, out) != hashTree(t, fresh) {
			t.Errorf("build %d differs from a fresh build of the same date", i+2)
		}
		if i == 2 {
			if b, _ := os.ReadFile(backup); !bytes.Equal(b, saved) {
				t.Error("a hard-linked copy of an old page was written over")
			}
		}
		ents, _ := os.ReadDir(filepath.Dir(out))
		if len(ents) != 2 || ents[0].Name() != "public" || ents[1].Name() != "public.prev" {
			t.Errorf("beside the output: %v, want public and public.prev", ents)
		}
	}
}

// TestChromeSkeleton builds sites with the chrome of most pages filled
// into skeletons (chrome.go) and with every template run whole: the files
// must be the same, byte for byte, and the skeletons must have been used.
// A deployment that overrides layout.html gets no skeletons.
func TestChromeSkeleton(t *testing.T) {
	synth := t.TempDir()
	writeSynthetic(t, synth, 250, 40)
	layout := copyTree(t, "testdata/site")
	b, err := fs.ReadFile(templates.FS(), "layout.html")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(layout, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(layout, "templates", "layout.html"), bytes.Replace(b, []byte("<footer"), []byte("<!-- deployment -->\n<footer"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, src string
		skeletons bool
	}{
		{"test site", "testdata/site", true},
		{"shipped", "..", true},
		{"synthetic", synth, true},
		{"layout overridden", layout, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hashes [2]string
			for i, whole := range []bool{false, true} {
				out := filepath.Join(t.TempDir(), "public")
				res, err := buildDir(context.Background(), tt.src, out, Options{BuildDate: testDate(), wholePages: whole})
				if err != nil {
					t.Fatal(err)
				}
				hashes[i] = hashTree(t, out)
				switch {
				case whole && res.skeletonPages != 0:
					t.Errorf("%d pages through skeletons when asked for none", res.skeletonPages)
				case !whole && tt.skeletons && res.skeletonPages < res.Pages/2*8/10:
					t.Errorf("only %d of %d pages through skeletons", res.skeletonPages, res.Pages/2)
				case !whole && !tt.skeletons && res.skeletonPages != 0:
					t.Errorf("%d pages through skeletons of an overridden layout", res.skeletonPages)
				}
			}
			if hashes[0] != hashes[1] {
				t.Error("pages filled into skeletons differ from whole template runs")
			}
		})
	}
}
