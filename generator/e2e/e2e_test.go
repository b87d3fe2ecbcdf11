// Package e2e holds the browser tests of the built site: the shipped
// catalog is built, served and driven in headless Chromium at phone width
// (390×844), with an axe-core accessibility scan of the pages it visits.
//
// The tests need /usr/bin/chromium (or $CHROMIUM) and, for the scan,
// axe-core's axe.min.js at $AXE_JS or <repo>/node_modules/axe-core/
// (npm install --no-save axe-core@4). Without Chromium the tests skip,
// without axe-core the scan does; with $CI set, either missing fails. -shots dir saves a screenshot of every page
// visited.
package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/qualbridge/qualbridge/generator"
	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/devserver"
	"github.com/qualbridge/qualbridge/generator/hant"
	"github.com/qualbridge/qualbridge/generator/publish"
	"github.com/qualbridge/qualbridge/templates"
)

var shots = flag.String("shots", "", "save a screenshot of each page visited in this `dir`")

// repo is the repository root, whose catalog the tests build.
const repo = "../.."

// csp is the policy the test server sends: the site must work without
// inline scripts, inline styles or anything from elsewhere.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// need returns the path of a tool the tests need: it skips the test when
// the tool is missing, unless CI is set.
func need(t *testing.T, what string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found (looked at %q)", what, paths)
	}
	t.Skipf("%s not found (looked at %q); CI is unset, skipping", what, paths)
	return ""
}

// site is the shipped catalog, built and served.
type site struct {
	url string
	cat *catalog.Catalog
}

func serve(t *testing.T) *site {
	t.Helper()
	out := filepath.Join(t.TempDir(), "public")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		p := filepath.Join(out, filepath.FromSlash(path.Clean("/"+r.URL.Path)))
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, "index.html")
		}
		if _, err := os.Stat(p); err != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			b, _ := os.ReadFile(filepath.Join(out, "404.html"))
			w.Write(b)
			return
		}
		http.ServeFile(w, r, p)
	}))
	t.Cleanup(srv.Close)
	date := catalog.NewDate(2025, time.December, 1)
	c, ds := catalog.Load(os.DirFS(repo), catalog.Options{BuildDate: date})
	if err := ds.Err(); err != nil {
		t.Fatal(err)
	}
	stage, err := publish.NewStage(out, publish.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := generator.Build(context.Background(), c, os.DirFS(repo), generator.Options{
		Write: stage.WriteFile, BuildDate: date, BaseURL: srv.URL + "/",
	})
	if err != nil {
		stage.Abort()
		t.Fatalf("build: %v", err)
	}
	if err := stage.Commit(); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %d pages", res.Pages)
	return &site{url: srv.URL, cat: c}
}

// browser is one headless Chromium tab at phone size, with its console.
type browser struct {
	ctx  context.Context
	mu   sync.Mutex
	logs []chromedp.ConsoleMessage
}

func newBrowser(t *testing.T, exec string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exec),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(390, 844),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.logs = append(b.logs, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs the actions with a time limit, failing the test on error.
func (b *browser) do(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, b *browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// consoleErrors returns the errors and exceptions logged since mark, and
// the new mark.
func (b *browser) consoleErrors(mark int) ([]string, int) {
	time.Sleep(100 * time.Millisecond) // let the last events arrive
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []string
	for _, m := range b.logs[mark:] {
		// The site has no favicon; the browser asks for one anyway and
		// logs the 404. Reported to the site's owner; not a page error.
		if strings.HasSuffix(m.URL, "/favicon.ico") {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.IsException() {
			errs = append(errs, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
		}
	}
	return errs, len(b.logs)
}

func (b *browser) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.logs)
}

func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	b.shot(t, name, chromedp.FullScreenshot(100))
}

// screen saves what the reader sees: the viewport, not the whole page.
func (b *browser) screen(t *testing.T, name string) {
	t.Helper()
	b.shot(t, name+"-screen", chromedp.CaptureScreenshot())
}

func (b *browser) shot(t *testing.T, name string, a chromedp.Action[[]byte]) {
	t.Helper()
	if *shots == "" {
		return
	}
	png := run(t, b, "screenshot", a)
	if err := os.MkdirAll(*shots, 0o755); err != nil {
		t.Fatal(err)
	}
	name = strings.NewReplacer("/", "_", " ", "_").Replace(strings.Trim(name, "/"))
	if err := os.WriteFile(filepath.Join(*shots, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// violation is what the axe scan reports of one rule.
type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe scans the page and returns its violations.
// axeClean runs axe-core on the page and fails the test on a serious or
// critical violation; lesser ones are logged.
func (b *browser) axeClean(t *testing.T, src string) {
	t.Helper()
	vs := b.axe(t, src)
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe: %s (%s): %s at %q", v.ID, v.Impact, v.Help, v.Nodes)
		} else {
			t.Logf("axe: %s (%s): %s at %q", v.ID, v.Impact, v.Help, v.Nodes)
		}
	}
	t.Logf("axe: %d rules violated", len(vs))
}

func (b *browser) axe(t *testing.T, src string) []violation {
	t.Helper()
	run(t, b, "load axe-core", chromedp.Evaluate[bool](src+"\n;true"))
	const scan = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))`
	return run(t, b, "axe scan", chromedp.Evaluate[[]violation](scan, chromedp.EvalAwaitPromise))
}

func TestSite(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are slow")
	}
	exec := need(t, "chromium", os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser")
	axeJS := findAxe(t)
	s := serve(t)
	b := newBrowser(t, exec)

	row := s.qualification(t)
	// Every page type of the site, in both scripts.
	pages := []struct {
		name string
		path string   // under /zh-hans/ or /zh-hant/
		want []string // text the page shows, in zh-Hans (converted for zh-Hant below)
	}{
		{"home", "", []string{"采信", "采认", "我的证书能办吗"}},
		{"qualification", "qualifications/" + row.ID + "/#c-quanzhou", []string{"养老护理员", "照顾服务员", "4-10-01-05", "直接采认"}},
		{"qualifications", "qualifications/", nil},
		{"qualifications-filtered", "qualifications/route/caixin/", nil},
		{"guide", "guides/" + row.Guide + "/", []string{"职业资格采认"}},
		{"checklist", "guides/caixin/checklist/", nil},
		{"finder", "finder/", nil},
		{"finder-unlisted", "finder/unlisted/#c-xiamen", []string{"厦门市"}},
		{"search", "search/", nil},
		{"organisations", "organisations/", nil},
		{"offices", "offices/", nil},
		{"office", "offices/quanzhou-rensheju/", []string{"0595-22135540"}},
		{"documents", "documents/", nil},
		{"document", "documents/minban-2025-141/", nil},
		{"changes", "changes/", nil},
		{"data", "data/", nil},
		{"verify", "verify/", nil},
		{"about", "about/", nil},
		{"404", "404.html", nil},
	}
	if len(s.cat.Organisations) > 0 {
		o := s.cat.Organisations[0]
		pages = append(pages, struct {
			name string
			path string
			want []string
		}{"organisation", "organisations/" + o.ID + "/", []string{o.Name}})
	}
	// Names convert character by character on zh-Hant pages, as the
	// site's own converter does.
	conv, err := hant.New(generator.ProtectedTerms(s.cat)...)
	if err != nil {
		t.Fatal(err)
	}

	for _, p := range pages {
		for _, script := range []string{"zh-hans", "zh-hant"} {
			t.Run(p.name+"/"+script, func(t *testing.T) {
				mark := b.mark()
				url := s.url + "/" + script + "/" + p.path
				b.do(t, "open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main h1")))
				text := run(t, b, "read main", chromedp.Text(chromedp.CSS("main")))
				for _, w := range p.want {
					if script == "zh-hant" {
						w = conv.Convert(w)
					}
					if !strings.Contains(text, w) {
						t.Errorf("%s does not show %q", url, w)
					}
				}
				lang := run(t, b, "lang", chromedp.Evaluate[string]("document.documentElement.lang"))
				if want := map[string]string{"zh-hans": "zh-Hans", "zh-hant": "zh-Hant"}[script]; lang != want {
					t.Errorf("lang = %q, want %q", lang, want)
				}
				width := run(t, b, "width", chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
				if width > 390 {
					t.Errorf("the page is %dpx wide: it scrolls sideways on a 390px phone", width)
				}
				b.screenshot(t, script+"-"+p.name)
				if axeJS != "" {
					b.axeClean(t, axeJS)
				}
				if errs, _ := b.consoleErrors(mark); len(errs) > 0 {
					t.Errorf("console errors on %s:\n%s", url, strings.Join(errs, "\n"))
				}
			})
		}
	}

	t.Run("switch", func(t *testing.T) {
		hans := s.url + "/zh-hans/qualifications/" + row.ID + "/"
		hant := s.url + "/zh-hant/qualifications/" + row.ID + "/"
		b.do(t, "open", chromedp.Navigate(hans), chromedp.WaitVisible(chromedp.CSS("main h1")))
		for _, want := range []string{hant, hans} {
			sel := chromedp.CSS(`a[hreflang][href$="/qualifications/` + row.ID + `/"]:not([rel])`)
			b.do(t, "switch script", chromedp.Click(sel), chromedp.WaitVisible(chromedp.CSS("main h1")))
			waitLocation(t, b, want)
		}
	})

	t.Run("search", func(t *testing.T) {
		rowURL := "/" + "%s" + "/qualifications/" + row.ID + "/"
		for _, tt := range []struct{ script, query string }{
			{"zh-hant", "養老"}, {"zh-hans", "養老"}, {"zh-hant", "养老"}, {"zh-hans", "养老护理员"},
		} {
			t.Run(tt.script+"/"+tt.query, func(t *testing.T) {
				mark := b.mark()
				want := fmt.Sprintf(rowURL, tt.script)
				b.do(t, "open", chromedp.Navigate(s.url+"/"+tt.script+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
				b.do(t, "type", chromedp.Click(chromedp.ID("q")), chromedp.SendKeys(chromedp.ID("q"), tt.query))
				opt := chromedp.CSS(`[role="option"][data-href="` + want + `"]`)
				b.do(t, "see the row among the results", chromedp.WaitVisible(opt))
				expanded := run(t, b, "aria-expanded", chromedp.Evaluate[string](`document.getElementById('q').getAttribute('aria-expanded')`))
				if expanded != "true" {
					t.Errorf("aria-expanded = %q with results shown", expanded)
				}
				b.screenshot(t, tt.script+"-search-"+tt.query)
				if axeJS != "" {
					for _, v := range b.axe(t, axeJS) {
						if v.Impact == "serious" || v.Impact == "critical" {
							t.Errorf("axe, suggestions open: %s (%s): %s at %q", v.ID, v.Impact, v.Help, v.Nodes)
						}
					}
				}
				b.do(t, "follow the result", chromedp.Click(opt), chromedp.WaitVisible(chromedp.CSS("main h1")))
				waitLocation(t, b, s.url+want)
				if errs, _ := b.consoleErrors(mark); len(errs) > 0 {
					t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
				}
			})
		}
		// The keyboard: arrow down to the first result, Enter follows it.
		b.do(t, "open", chromedp.Navigate(s.url+"/zh-hant/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		b.do(t, "type", chromedp.Click(chromedp.ID("q")), chromedp.SendKeys(chromedp.ID("q"), "養老護理員"),
			chromedp.WaitVisible(chromedp.CSS(`[role="option"]`)))
		first := run(t, b, "first result", chromedp.AttributeValue(chromedp.CSS(`[role="option"]`), "data-href"))
		b.do(t, "arrow down", chromedp.KeyEvent(kb.ArrowDown))
		sel := run(t, b, "active", chromedp.Evaluate[string](`document.getElementById('q').getAttribute('aria-activedescendant') || ''`))
		if sel == "" {
			t.Errorf("ArrowDown selected no option")
		}
		b.do(t, "enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("main h1")))
		waitLocation(t, b, s.url+first.Value)
	})

	t.Run("search page", func(t *testing.T) {
		want := "/zh-hans/qualifications/" + row.ID + "/"
		b.do(t, "open", chromedp.Navigate(s.url+"/zh-hans/search/?q=%E9%A4%8A%E8%80%81%E8%AD%B7%E7%90%86%E5%93%A1"), // 養老護理員
			chromedp.WaitVisible(chromedp.CSS(`#search-results a[href="`+want+`"]`)))
		b.screenshot(t, "zh-hans-search-page")
	})

	t.Run("root", func(t *testing.T) {
		b.do(t, "open root", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		run(t, b, "forget the choice", chromedp.Evaluate[bool](`localStorage.clear(), true`))
		b.do(t, "open root again", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		time.Sleep(300 * time.Millisecond)
		if loc := run(t, b, "location", chromedp.Location()); loc != s.url+"/" {
			t.Fatalf("the root redirected a first-time reader to %s", loc)
		}
		b.screenshot(t, "root")
		b.do(t, "choose zh-Hant", chromedp.Click(chromedp.CSS(`a[data-script="hant"]`)), chromedp.WaitVisible(chromedp.CSS("main h1")))
		waitLocation(t, b, s.url+"/zh-hant/")
		b.do(t, "open root again", chromedp.Navigate(s.url+"/"))
		waitLocation(t, b, s.url+"/zh-hant/") // the choice is remembered
	})

	// The finder, as the walkthrough: type the certificate in
	// either script, pick the city, and read the answer in one screen.
	t.Run("finder", func(t *testing.T) {
		for _, tt := range []struct{ script, query, city, want, cityName string }{
			{"zh-hant", "照顧服務員", "quanzhou", "/qualifications/" + row.ID + "/#c-quanzhou", "泉州市"},
			{"zh-hans", "照顾服务员", "quanzhou", "/qualifications/" + row.ID + "/#c-quanzhou", "泉州市"},
			{"zh-hant", "照顧", "xiamen", "/qualifications/" + row.ID + "/#c-xiamen", "廈門市"},
			{"zh-hant", "水電工技術士", "fuzhou", "/finder/unlisted/#c-fuzhou", "福州市"},
		} {
			t.Run(tt.script+"/"+tt.query+"/"+tt.city, func(t *testing.T) {
				mark := b.mark()
				b.do(t, "open home", chromedp.Navigate(s.url+"/"+tt.script+"/"), chromedp.WaitVisible(chromedp.ID("f-cert")))
				top := run(t, b, "form position", chromedp.Evaluate[float64](`document.getElementById('f-cert').getBoundingClientRect().bottom`))
				if top > 844 {
					t.Errorf("the finder's input ends at %.0fpx: below the first screen", top)
				}
				b.do(t, "type", chromedp.Click(chromedp.ID("f-cert")), chromedp.SendKeys(chromedp.ID("f-cert"), tt.query))
				if !strings.HasPrefix(tt.want, "/finder/unlisted/") {
					b.do(t, "see the certificate offered", chromedp.WaitVisible(chromedp.CSS(`#f-cert-list [role="option"]`)))
				}
				b.do(t, "city", chromedp.SetValue(chromedp.ID("f-city"), tt.city))
				b.screen(t, tt.script+"-finder-"+tt.city+"-typed")
				b.do(t, "submit", chromedp.Click(chromedp.CSS(`form.finder button`)), chromedp.WaitVisible(chromedp.CSS("main h1")))
				waitLocation(t, b, s.url+"/"+tt.script+tt.want)
				b.screen(t, tt.script+"-finder-"+tt.city+"-answer")
				// The city's section shows, the other cities' do not.
				shown := run(t, b, "city shown", chromedp.Evaluate[string](`[...document.querySelectorAll('.city')].filter(e => getComputedStyle(e).display != 'none').map(e => e.querySelector('h3').textContent).join(',')`))
				if shown != tt.cityName {
					t.Errorf("cities shown: %q, want %q", shown, tt.cityName)
				}
				// One screen: the verdict, the city's window and what to
				// bring, within 844px of the top.
				for _, sel := range []string{".answer", ".c-" + tt.city} {
					bottom := run(t, b, "position of "+sel, chromedp.Evaluate[float64](`(e => e ? e.getBoundingClientRect().bottom : -1)(document.querySelector('`+sel+`'))`))
					if bottom < 0 || bottom > 844 {
						t.Errorf("%s ends at %.0fpx: not on the first screen", sel, bottom)
					}
				}
				if tt.city == "quanzhou" {
					tel := run(t, b, "tel", chromedp.Evaluate[string](`document.querySelector('.c-quanzhou a[href^="tel:"]').href`))
					if tel != "tel:+86-595-22135540" {
						t.Errorf("the Quanzhou number dials %q, want tel:+86-595-22135540 (from Taiwan)", tel)
					}
				}
				if errs, _ := b.consoleErrors(mark); len(errs) > 0 {
					t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
				}
			})
		}
	})

	// Print: headings keep with what follows, the page address and the
	// print date are on the paper, and the page prints to PDF.
	t.Run("print", func(t *testing.T) {
		for _, p := range []string{"guides/caixin/checklist/", "guides/caixin/", "qualifications/" + row.ID + "/#c-quanzhou"} {
			url := s.url + "/zh-hant/" + p
			b.do(t, "open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main h1")))
			media := func(m string) {
				if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
					t.Fatal(err)
				}
			}
			media("print")
			got := run(t, b, "print styles", chromedp.Evaluate[string](`(() => {
				window.dispatchEvent(new Event('beforeprint'));
				const bad = [...document.querySelectorAll('main h2, main h3')].filter(h => getComputedStyle(h).display != 'none' && getComputedStyle(h).breakAfter != 'avoid').length;
				const info = document.querySelector('.printinfo');
				return bad + '|' + getComputedStyle(info).display + '|' + info.textContent;
			})()`))
			media("")
			parts := strings.SplitN(got, "|", 3)
			if parts[0] != "0" {
				t.Errorf("%s: %s headings may end a printed page", p, parts[0])
			}
			if parts[1] != "block" || !strings.Contains(parts[2], url) || strings.Contains(parts[2], "＿") {
				t.Errorf("%s: the paper shows %q (display %s), want the page address and the print date", p, parts[2], parts[1])
			}
			tagged := true
			printPDF := func() []byte {
				res, err := chromedp.Call(b.ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69, GenerateTaggedPDF: &tagged})
				if err != nil {
					t.Fatal(err)
				}
				return res.Data
			}
			pdf := printPDF()
			if !bytes.HasPrefix(pdf, []byte("%PDF")) {
				t.Fatalf("%s: no PDF", p)
			}
			// Read the PDF's structure: no page may end on a heading.
			n, bad, err := headingsEndingPages(pdf)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if len(bad) > 0 {
				t.Errorf("%s: of %d printed pages, pages %v end with a heading", p, n, bad)
			}
			// The check must see a heading at a page foot: force one (through
			// the CSSOM, which the page's Content-Security-Policy allows).
			headings := run(t, b, "force breaks", chromedp.Evaluate[int](`(() => {
				document.styleSheets[0].insertRule('main h2{break-after:page!important}', document.styleSheets[0].cssRules.length);
				return [...document.querySelectorAll('main h2')].filter(h => h.offsetParent).length })()`))
			if _, forced, _ := headingsEndingPages(printPDF()); headings > 1 && len(forced) == 0 {
				t.Errorf("%s: with every h2 forced to end a page, the PDF check saw none", p)
			} else {
				t.Logf("%s: %d pages, none ends with a heading; forced, %d do", p, n, len(forced))
			}
			if *shots != "" {
				os.WriteFile(filepath.Join(*shots, strings.NewReplacer("/", "_", "#", "_").Replace(strings.Trim(p, "/"))+".pdf"), pdf, 0o644)
			}
		}
	})

	t.Run("finder without JavaScript", func(t *testing.T) {
		nb := b
		scripts := func(off bool) {
			_, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
			if err != nil {
				t.Fatal(err)
			}
		}
		scripts(true)
		defer scripts(false)
		for _, tt := range []struct{ script, link, city, cityName string }{
			{"zh-hant", `a[href="/zh-hant/qualifications/` + row.ID + `/"]`, "quanzhou", "泉州市"},
			{"zh-hans", `a[href="/zh-hans/finder/unlisted/"]`, "fuzhou", "福州市"},
		} {
			t.Run(tt.script+"/"+tt.city, func(t *testing.T) {
				nb.do(t, "open home", chromedp.Navigate(s.url+"/"+tt.script+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
				if role := run(t, nb, "role", chromedp.Evaluate[string](`document.getElementById('f-cert').getAttribute('role') || ''`)); role != "" {
					t.Fatalf("scripts still run: the finder has role %q", role)
				}
				// The form without JavaScript opens the A–Z list.
				nb.do(t, "submit", chromedp.Click(chromedp.CSS(`form.finder button`)), chromedp.WaitVisible(chromedp.CSS(`#az`)))
				nb.do(t, "pick the certificate", chromedp.Click(chromedp.CSS(tt.link)), chromedp.WaitVisible(chromedp.CSS(".pick")))
				nb.do(t, "pick the city", chromedp.Click(chromedp.CSS(`.pick a[href="#c-`+tt.city+`"]`)))
				time.Sleep(200 * time.Millisecond)
				shown := run(t, nb, "city shown", chromedp.Evaluate[string](`[...document.querySelectorAll('.city')].filter(e => getComputedStyle(e).display != 'none').map(e => e.querySelector('h3').textContent).join(',')`))
				if shown != tt.cityName {
					t.Errorf("cities shown: %q, want %q", shown, tt.cityName)
				}
				nb.screen(t, tt.script+"-nojs-"+tt.city)
			})
		}
	})
}

// qualification returns the shipped row 照顾服务员 → 养老护理员.
func (s *site) qualification(t *testing.T) *catalog.Qualification {
	t.Helper()
	for _, q := range s.cat.Qualifications {
		if q.TaiwanName == "照顾服务员" && q.Occupation == "4-10-01-05" {
			return q
		}
	}
	t.Fatal("the shipped catalog has no row 照顾服务员 → 养老护理员 (4-10-01-05)")
	return nil
}

func waitLocation(t *testing.T, b *browser, want string) {
	t.Helper()
	var loc string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if loc = run(t, b, "location", chromedp.Location()); loc == want {
			return
		}
	}
	t.Fatalf("location %s, want %s", loc, want)
}

// TestDevReload opens a page of the dev server and edits the catalog: the
// page reloads by itself, shows a broken file's error over the page, and
// reloads again once it is fixed.
func TestDevReload(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are slow")
	}
	exec := need(t, "chromium", os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser")
	src := t.TempDir()
	for _, d := range []string{"catalog", "content"} {
		if err := os.CopyFS(filepath.Join(src, d), os.DirFS(filepath.Join(repo, d))); err != nil {
			t.Fatal(err)
		}
	}
	// The deployment's templates/assets/, empty until the style sheet is
	// overridden below.
	if err := os.MkdirAll(filepath.Join(src, "templates", "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := devserver.New(devserver.Config{
		Src: src, BuildDate: catalog.NewDate(2025, time.December, 1),
		Debounce: 20 * time.Millisecond, Logf: t.Logf,
	})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	url := "http://" + ln.Addr().String() + "/zh-hans/"
	b := newBrowser(t, exec)
	b.do(t, "open", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main h1")))

	site := filepath.Join(src, "catalog", "site.toml")
	orig, err := os.ReadFile(site)
	if err != nil {
		t.Fatal(err)
	}
	write := func(from, to string) {
		t.Helper()
		if !strings.Contains(string(orig), from) {
			t.Fatalf("site.toml lacks %q", from)
		}
		if err := os.WriteFile(site, []byte(strings.Replace(string(orig), from, to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A fictional name, for the test.
	const name = `name = "福建省台胞职业资格采信采认服务"`
	write(name, `name = "测试用站点名称"`)
	waitText(t, b, "测试用站点名称")

	write(name, `name = "测试用站点名称`)
	b.do(t, "see the error", chromedp.WaitVisible(chromedp.ID("qualbridge-dev-errors")))
	msg := run(t, b, "read the error", chromedp.Text(chromedp.ID("qualbridge-dev-errors")))
	if !strings.Contains(msg, "catalog/site.toml:3:") {
		t.Errorf("the overlay does not give the position:\n%s", msg)
	}
	b.screenshot(t, "dev-error")

	write(name, `name = "测试用站点名称（已修复）"`)
	waitText(t, b, "测试用站点名称（已修复）")
	b.do(t, "see the error go", chromedp.WaitNotPresent(chromedp.ID("qualbridge-dev-errors")))

	// A changed style sheet is a new fingerprinted name: the page reloads
	// and loads it, and its rules apply.
	css, err := fs.ReadFile(templates.FS(), "assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	css = append(css, "\nmain h1{color:rgb(1, 2, 3)}\n"...)
	if err := os.WriteFile(filepath.Join(src, "templates", "assets", "style.css"), css, 0o644); err != nil {
		t.Fatal(err)
	}
	var color string
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end) && color != "rgb(1, 2, 3)"; time.Sleep(100 * time.Millisecond) {
		color, _ = chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('main h1')).color`))
	}
	if color != "rgb(1, 2, 3)" {
		t.Errorf("after the style sheet changed, the heading is %s, not the new rgb(1, 2, 3)", color)
	}
	href := run(t, b, "read the style sheet's name", chromedp.Evaluate[string](`document.querySelector('link[rel=stylesheet]').getAttribute('href')`))
	if !regexp.MustCompile(`^/assets/style\.[0-9a-f]{10}\.css$`).MatchString(href) {
		t.Errorf("the page loads the style sheet %q, not a fingerprinted name", href)
	}
}

// waitText waits until the page's h1 shows s.
func waitText(t *testing.T, b *browser, s string) {
	t.Helper()
	var h1 string
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		h1, _ = chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector('main h1') || {}).textContent || ''`))
		if strings.Contains(h1, s) {
			return
		}
	}
	t.Fatalf("the page shows %q, not %q", h1, s)
}

// findAxe returns the source of axe-core, or "" when it is missing and CI
// is unset: then the pages are tested without the accessibility scan.
func findAxe(t *testing.T) string {
	t.Helper()
	paths := []string{os.Getenv("AXE_JS"), filepath.Join(repo, "node_modules", "axe-core", "axe.min.js")}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil {
			return string(b)
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("axe-core not found (looked at %q): npm install --no-save axe-core@4", paths)
	}
	t.Logf("axe-core not found (looked at %q): no accessibility scan; CI is unset", paths)
	return ""
}
