package generator

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/hant"
	"github.com/qualbridge/qualbridge/templates"
)

// TestShipped builds the shipped catalog once, as a preview (site.toml
// has no base_url), and reads it as its readers would.
func TestShipped(t *testing.T) {
	if _, err := os.Stat("../catalog/site.toml"); err != nil {
		t.Skip("no shipped catalog")
	}
	out, res := build(t, "..")
	cat, ds := catalog.Load(os.DirFS(".."), catalog.Options{BuildDate: testDate()})
	if err := ds.Err(); err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T, name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	files := map[string]string{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		if strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".xml") || strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".txt") || strings.HasSuffix(p, ".csv") {
			b, err := os.ReadFile(p)
			files[filepath.ToSlash(rel)] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("facts", func(t *testing.T) {
		for _, tt := range []struct {
			file      string
			want, not []string
		}{
			// Batch 5 is a direct-recognition list by its own title.
			{"zh-hans/qualifications/zhaogu-fuwuyuan-danyi-yanglao-huliyuan-4/index.html",
				[]string{"可以办：直接采认", "养老护理员（4-10-01-05）", "四级/中级工", "第5批", "闽人社办〔2025〕141号", "泉州市行政服务中心 三楼36号窗口", `href="tel:&#43;86-595-22135540"`, "从台湾拨打 &#43;86-595-22135540"},
				[]string{"采信目录第五批", "本站推断"}},
			// Inferred routes say so, with the reason.
			{"zh-hans/qualifications/hongbei-shipin-jishushi-xishi-miandianshi/index.html",
				[]string{"可以办：采信", `<span class="tag inferred">本站推断</span>`, "本站推断的理由：报道没有写明"}, nil},
			{"zh-hans/qualifications/route/caixin/index.html", []string{"（本站推断）"}, nil},
			// No source says whether any document is in force.
			{"zh-hans/documents/index.html", nil, []string{"现行有效"}},
			{"zh-hans/documents/min-2021-71/index.html", []string{"福建省人力资源和社会保障厅关于面向台湾同胞开展职业技能等级认定工作的通知"}, []string{"<dt>状态</dt>"}},
			// Phone lines say what their source says they are for.
			{"zh-hans/offices/fuzhou-jianding-zhongxin/index.html", []string{"用途：社会培训评价组织职业技能等级认定备案申报联系电话", "0591-87305787", "原文作87305787"}, []string{"政策咨询服务"}},
			{"zh-hans/offices/minzhengtong/index.html", []string{"一体化中心与各地人社部门之间"}, []string{"可办理的业务"}},
			// The verify page claims nothing it cannot back.
			{"zh-hans/verify/index.html", []string{"尚未公布", "经比对采信，持证人具备大陆地区以下相当水平", "由福建省职业技能鉴定指导中心代章"}, []string{`<form class="lookup"`, "官方", "下方印有"}},
			// The home page opens with the finder.
			{"zh-hans/index.html", []string{`<form class="finder"`}, nil},
		} {
			s := read(t, tt.file)
			for _, w := range tt.want {
				if !strings.Contains(s, w) {
					t.Errorf("%s: missing %q", tt.file, w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(s, w) {
					t.Errorf("%s: unexpected %q", tt.file, w)
				}
			}
		}
		home := read(t, "zh-hans/index.html")
		if f, intro := strings.Index(home, `<form class="finder"`), strings.Index(home, `class="prose intro"`); f < 0 || intro >= 0 && f > intro {
			t.Error("zh-hans/index.html: the finder must come before the background text")
		}
	})

	// The zh-Hant edition holds none of s2twp's known misreadings for
	// this field, no protected name in Simplified characters, and no
	// Simplified quotation marks.
	t.Run("glossary", func(t *testing.T) {
		bad := []string{"高階工", "稽核", "許可權", "網際網路營銷師", "影片監控", "場地裝置", "視窗", "檔案", "換髮", "專案", "釋出", "“", "”"}
		g, err := hant.Glossary()
		if err != nil {
			t.Fatal(err)
		}
		if bin, err := exec.LookPath("opencc"); err == nil {
			var keys []string
			for _, term := range g {
				keys = append(keys, term.Hans)
			}
			cmd := exec.Command(bin, "-c", "s2twp.json")
			cmd.Stdin = strings.NewReader(strings.Join(keys, "\n"))
			b, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			for i, wrong := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
				if i < len(g) && wrong != g[i].Hant && !strings.Contains(g[i].Hant, wrong) {
					bad = append(bad, wrong)
				}
			}
		}
		conv, err := hant.New(ProtectedTerms(cat)...)
		if err != nil {
			t.Fatal(err)
		}
		var simplified []string
		for _, p := range ProtectedTerms(cat) {
			if conv.Convert(p) != p && strings.ContainsFunc(p, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				simplified = append(simplified, p)
			}
		}
		checked := 0
		for name, s := range files {
			if !strings.HasPrefix(name, "zh-hant/") || !(strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".xml")) {
				continue
			}
			checked++
			for _, b := range bad {
				if strings.Contains(s, b) {
					t.Errorf("%s: holds %q, a misconversion", name, b)
				}
			}
			for _, p := range simplified {
				if strings.Contains(s, p) {
					t.Errorf("%s: protected name %q in Simplified characters", name, p)
				}
			}
		}
		if checked < 50 {
			t.Errorf("checked %d zh-Hant files", checked)
		}
		feed := files["zh-hant/atom.xml"]
		if !strings.Contains(feed, `<category term="目錄批次"/>`) || strings.Contains(feed, "目录批次") {
			t.Error("zh-hant/atom.xml: categories not converted")
		}
		t.Logf("glossary: %d terms; %d misreadings and %d protected names checked over %d zh-Hant files", len(g), len(bad), len(simplified), checked)
	})

	// A preview build makes up no address: no absolute URL but those of
	// XML namespaces and of the sources themselves.
	t.Run("preview", func(t *testing.T) {
		if !res.Preview {
			t.Fatal("a build without base_url is not reported as a preview")
		}
		allowed := map[string]bool{}
		for _, d := range cat.Documents {
			allowed[d.URL] = true
		}
		for _, o := range cat.Offices {
			allowed[o.URL] = true
		}
		abs := regexp.MustCompile(`https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+`)
		// An address the editors copied from a notice (the platform a
		// notice names, say) is the source's, not one the build made up.
		for _, dir := range []string{"../catalog", "../content"} {
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				for _, u := range abs.FindAllString(string(b), -1) {
					allowed[u] = true
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for name, s := range files {
			for _, u := range abs.FindAllString(s, -1) {
				if strings.HasPrefix(u, "http://www.w3.org/") || strings.HasPrefix(u, "http://www.sitemaps.org/") || allowed[u] {
					continue
				}
				t.Errorf("%s: absolute URL %s in a preview build", name, u)
			}
			if strings.Contains(s, `rel="canonical"`) {
				t.Errorf("%s: canonical link in a preview build", name)
			}
		}
		if _, ok := files["sitemap.xml"]; ok {
			t.Error("sitemap.xml in a preview build")
		}
	})

	// Search: a query finds the same pages in either script, in either
	// script's index; codes' and 文号's digits find their pages.
	t.Run("search", func(t *testing.T) {
		for _, script := range []string{"zh-hans", "zh-hant"} {
			idx := loadIndex(t, files[script+"/search-index.json"])
			for _, pair := range [][2]string{{"一体化中心", "一體化中心"}, {"养老护理员", "養老護理員"}, {"照顾服务员", "照顧服務員"}, {"福建省人力资源和社会保障厅", "福建省人力資源和社會保障廳"}, {"闽人社办", "閩人社辦"}} {
				a, b := idx.find(pair[0]), idx.find(pair[1])
				if len(a) == 0 || !slices.Equal(a, b) {
					t.Errorf("%s: %s finds %v, %s finds %v", script, pair[0], a, pair[1], b)
				}
			}
			for _, q := range []string{"4-10-01-05", "4100105", "141", "2025"} {
				found := idx.find(q)
				if !slices.ContainsFunc(found, func(u string) bool { return strings.Contains(u, "zhaogu-fuwuyuan") }) {
					t.Errorf("%s: %q does not find the 照顾服务员 row (found %v)", script, q, found)
				}
			}
		}
	})

	// Every link inside the site leads to a page, and every in-page
	// fragment to an element of it.
	t.Run("links", func(t *testing.T) {
		href := regexp.MustCompile(`href="(/[^"]*)"`)
		links, fragments := 0, 0
		for name, s := range files {
			if !strings.HasSuffix(name, ".html") {
				continue
			}
			for _, m := range href.FindAllStringSubmatch(s, -1) {
				u, frag, _ := strings.Cut(m[1], "#")
				u, _, _ = strings.Cut(u, "?")
				target := strings.TrimPrefix(u, "/")
				if target == "" || strings.HasSuffix(target, "/") {
					target += "index.html"
				}
				links++
				page, ok := files[target]
				if !ok {
					if _, err := os.Stat(filepath.Join(out, target)); err != nil {
						t.Errorf("%s: link to %s, which does not exist", name, m[1])
					}
					continue
				}
				if frag != "" {
					fragments++
					if !strings.Contains(page, `id="`+frag+`"`) {
						t.Errorf("%s: link to %s, whose page has no id %q", name, m[1], frag)
					}
				}
			}
			for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(s, -1) {
				fragments++
				if !strings.Contains(s, `id="`+m[1]+`"`) {
					t.Errorf("%s: link to #%s, which is not on the page", name, m[1])
				}
			}
		}
		t.Logf("links: %d to pages of the site, %d fragments, all resolve", links, fragments)
	})

	// No link to an empty page: every occupation page lists organisations.
	t.Run("dead ends", func(t *testing.T) {
		for name, s := range files {
			if strings.HasPrefix(name, "zh-hans/organisations/occupation/") && strings.Contains(s, "暂无公布的评价机构") {
				t.Errorf("%s: an occupation page with no organisation", name)
			}
			if strings.Contains(name, "/checklist/") && !strings.Contains(s, `type="checkbox"`) {
				t.Errorf("%s: a checklist with nothing to check", name)
			}
		}
	})
}

// searchIndex is a search-index.json read back, for the tests: terms to
// the documents holding them.
type searchIndex struct {
	urls  []string
	terms map[string][]int
}

func loadIndex(t *testing.T, s string) *searchIndex {
	t.Helper()
	var raw struct {
		Prefixes []string         `json:"prefixes"`
		Docs     [][4]any         `json:"docs"`
		Terms    map[string][]int `json:"terms"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		t.Fatal(err)
	}
	x := &searchIndex{terms: map[string][]int{}}
	for _, d := range raw.Docs {
		x.urls = append(x.urls, raw.Prefixes[int(d[0].(float64))]+d[1].(string))
	}
	for term, ps := range raw.Terms {
		v := 0
		for i, p := range ps {
			if i == 0 {
				v = p
			} else {
				v += p
			}
			x.terms[term] = append(x.terms[term], v/2)
		}
	}
	return x
}

// find returns the URLs (script prefix dropped) of the documents that
// hold every unit of q: Han bigrams, and ASCII tokens by prefix.
func (x *searchIndex) find(q string) []string {
	var units [][]int
	rs := []rune(q)
	word := ""
	flush := func() {
		if word == "" {
			return
		}
		var docs []int
		for term, ds := range x.terms {
			if strings.HasPrefix(term, strings.ToLower(word)) {
				docs = append(docs, ds...)
			}
		}
		units = append(units, docs)
		word = ""
	}
	for i, r := range rs {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			if i+1 < len(rs) && unicode.Is(unicode.Han, rs[i+1]) {
				units = append(units, x.terms[string(rs[i:i+2])])
			}
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			word += string(r)
		case (r == '-' || r == '.') && word != "" && i+1 < len(rs) && rs[i+1] < 128 && unicode.IsDigit(rs[i+1]):
			word += string(r)
		default:
			flush()
		}
	}
	flush()
	count := map[int]int{}
	for _, u := range units {
		seen := map[int]bool{}
		for _, d := range u {
			if !seen[d] {
				seen[d] = true
				count[d]++
			}
		}
	}
	var out []string
	for d, n := range count {
		if n == len(units) {
			u := x.urls[d]
			out = append(out, u[strings.Index(u[1:], "/")+2:])
		}
	}
	slices.Sort(out)
	return out
}

// TestCityCSS: the stylesheet shows the city section named by the URL's
// fragment for every city the finder offers.
func TestCityCSS(t *testing.T) {
	b, err := fs.ReadFile(templates.FS(), "assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), cityCSS()) {
		t.Errorf("templates/assets/style.css lacks the city rules; paste in:\n%s", cityCSS())
	}
}
