package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestReaders is issue 14 tried on a phone: each reader the notices name
// besides Taiwan residents starts on the home page, taps at most twice to
// their page, and finds there what the notice says for them, in both
// scripts; the page fits 390 px and passes the axe scan.
func TestReaders(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are slow")
	}
	exec := need(t, "chromium", os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser")
	axeJS := findAxe(t)
	s := serve(t)
	b := newBrowser(t, exec)

	readers := []struct {
		name string
		taps []string            // paths under the script prefix, tapped in turn from the home page
		want map[string][]string // text the page shows, by script
	}{
		{"organisation-fuzhou", []string{"guides/fuzhou-pingjia-zuzhi/"}, map[string][]string{
			"zh-hans": {"1200题", "不少于15个工位", "成熟一个、备案（受理）一个", "提前10个工作日"},
			"zh-hant": {"1200題", "不少於15個工位", "成熟一個、備案（受理）一個", "提前10個工作日"}}},
		{"school", []string{"guides/jigong-yuanxiao-shidian/"}, map[string][]string{
			"zh-hans": {"公示期5个工作日", "结课考试成绩替代"},
			"zh-hant": {"公示期5個工作日", "結課考試成績替代"}}},
		{"employer", []string{"guides/yongren-danwei/"}, map[string][]string{
			"zh-hans": {"不具备评价条件的企业"},
			"zh-hant": {"不具備評價條件的企業"}}},
		{"foreign-body", []string{"guides/guangxi-foreign/"}, map[string][]string{
			"zh-hans": {"每年12月底", "发证数量"},
			"zh-hant": {"每年12月底", "發證數量"}}},
		{"window-official", []string{"window-officials/"}, map[string][]string{
			"zh-hans": {"指定1名联络员", "台胞协会"},
			"zh-hant": {"指定1名聯絡員", "臺胞協會"}}},
		{"organisation-rules", []string{"organisation-rules/"}, map[string][]string{
			"zh-hans": {"就业证", "水印"},
			"zh-hant": {"就業證", "水印"}}},
		{"subsidy", []string{"guides/", "guides/peixun-butie/"}, map[string][]string{
			"zh-hans": {"代为办理"},
			"zh-hant": {"代為辦理"}}},
		{"pingtan-hall", []string{"offices/", "offices/pingtan-taibao-taiqi-dating/"}, map[string][]string{
			"zh-hans": {"两证互通"},
			"zh-hant": {"兩證互通"}}},
	}
	for _, r := range readers {
		for _, script := range []string{"zh-hans", "zh-hant"} {
			t.Run(r.name+"/"+script, func(t *testing.T) {
				if len(r.taps) > 2 {
					t.Fatalf("%d taps from the home page; the issue allows two", len(r.taps))
				}
				mark := b.mark()
				b.do(t, "open home", chromedp.Navigate(s.url+"/"+script+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
				for _, p := range r.taps {
					sel := chromedp.CSS(`a[href="/` + script + `/` + p + `"]`)
					b.do(t, "tap "+p, chromedp.Click(sel, chromedp.NodeVisible))
					arrive(t, b, s.url+"/"+script+"/"+p)
				}
				text := run(t, b, "read main", chromedp.Text(chromedp.CSS("main")))
				for _, w := range r.want[script] {
					if !strings.Contains(text, w) {
						t.Errorf("%s does not show %q", r.taps[len(r.taps)-1], w)
					}
				}
				if width := run(t, b, "width", chromedp.Evaluate[int]("document.documentElement.scrollWidth")); width > 390 {
					t.Errorf("the page is %dpx wide: it scrolls sideways on a 390px phone", width)
				}
				b.screenshot(t, script+"-reader-"+r.name)
				if axeJS != "" {
					b.axeClean(t, axeJS)
				}
				if errs, _ := b.consoleErrors(mark); len(errs) > 0 {
					t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
				}
			})
		}
	}
}

// arrive waits until the tab shows url, fully loaded. While the tab
// navigates, the browser may refuse to say where it is; that is waited
// out, not failed.
func arrive(t *testing.T, b *browser, url string) {
	t.Helper()
	var loc string
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		l, err := chromedp.Run(ctx, chromedp.Location())
		ready := ""
		if err == nil && l == url {
			ready, err = chromedp.Run(ctx, chromedp.Evaluate[string]("document.readyState"))
		}
		cancel()
		if err == nil {
			loc = l
		}
		if err == nil && l == url && ready == "complete" {
			b.do(t, "see the page", chromedp.WaitVisible(chromedp.CSS("main h1")))
			return
		}
	}
	t.Fatalf("location %s, want %s", loc, url)
}
