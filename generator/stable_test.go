package generator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// buildOn builds the repository at src in memory as a build started at
// the moment now would: the build date is now's date in Asia/Shanghai,
// the clock always says now. No sleeping: the clock is injected.
func buildOn(t *testing.T, src string, now time.Time) map[string][]byte {
	t.Helper()
	clock := func() time.Time { return now }
	date := catalog.DateOf(now.In(shanghai(t)))
	fsys := os.DirFS(src)
	cat, ds := catalog.Load(fsys, catalog.Options{BuildDate: date})
	if err := ds.Err(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	files := map[string][]byte{}
	_, err := Build(context.Background(), cat, fsys, Options{BuildDate: date, Clock: clock,
		Write: func(name string, data []byte) error {
			mu.Lock()
			defer mu.Unlock()
			files[name] = bytes.Clone(data)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return loc
}

// differing lists the files that two builds give differently, or that
// only one of them has.
func differing(a, b map[string][]byte) []string {
	var d []string
	for n, x := range a {
		if y, ok := b[n]; !ok || !bytes.Equal(x, y) {
			d = append(d, n)
		}
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			d = append(d, n)
		}
	}
	sort.Strings(d)
	return d
}

// TestStableAcrossDays: the same catalogs and content built on another
// day, at another time of day, give the same site byte for byte, so a
// deploy the next day uploads nothing. Neither the build date nor the
// time is printed anywhere: the footer gives the data's latest change,
// statuses the day they began, the feed its newest entry.
func TestStableAcrossDays(t *testing.T) {
	for _, tc := range []struct {
		name, src  string
		day1, day2 time.Time
	}{
		{"shipped", "..", time.Date(2026, 12, 3, 1, 5, 0, 0, time.UTC), time.Date(2026, 12, 4, 22, 40, 0, 0, time.UTC)},
		{"test site", "testdata/site", time.Date(2025, 6, 2, 0, 30, 0, 0, time.UTC), time.Date(2025, 6, 3, 15, 59, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The days must not straddle a change of the data itself.
			cat, _ := catalog.Load(os.DirFS(tc.src), catalog.Options{BuildDate: catalog.DateOf(tc.day1)})
			d1, d2 := catalog.DateOf(tc.day1.In(shanghai(t))), catalog.DateOf(tc.day2.In(shanghai(t)))
			for _, o := range cat.Organisations {
				if s := o.ValiditySince(d2); s.After(d1) {
					t.Fatalf("organisation %s changes state on %s, between the two days: pick two other days", o.ID, s)
				}
			}
			a := buildOn(t, tc.src, tc.day1)
			b := buildOn(t, tc.src, tc.day2)
			if d := differing(a, b); len(d) > 0 {
				t.Errorf("built on %s and on %s, %d of %d files differ: %s", d1, d2, len(d), len(a), strings.Join(d[:min(len(d), 10)], " "))
				if i := slices.Index(d, "zh-hans/index.html"); i >= 0 {
					t.Logf("zh-hans/index.html on the second day:\n%s", b["zh-hans/index.html"])
				}
			}
			for _, day := range []catalog.Date{d1, d2} {
				for _, n := range []string{"zh-hans/index.html", "zh-hant/guides/index.html", "data/qualifications.json", "zh-hans/atom.xml"} {
					if bytes.Contains(a[n], []byte(day.String())) {
						t.Errorf("%s names the build date %s", n, day)
					}
				}
			}
		})
	}
}

// TestStatusChange: a state that really changes with the date (the test
// site's organisation B expires at the end of 2025-07-15) changes the
// pages that show it, and no other: the home page, the guides and the
// offices stay byte for byte the same.
func TestStatusChange(t *testing.T) {
	before := buildOn(t, "testdata/site", time.Date(2025, 7, 15, 3, 0, 0, 0, time.UTC))
	after := buildOn(t, "testdata/site", time.Date(2025, 7, 16, 3, 0, 0, 0, time.UTC))
	d := differing(before, after)
	for _, n := range []string{"zh-hans/organisations/shili-jigou-b/index.html", "zh-hant/organisations/shili-jigou-b/index.html", "zh-hans/organisations/index.html", "data/organisations.json", "data/organisations.csv"} {
		if !slices.Contains(d, n) {
			t.Errorf("%s is the same after organisation B expired", n)
		}
	}
	for _, n := range d {
		if strings.HasPrefix(n, "assets/") || strings.Contains(n, "/guides/") || strings.Contains(n, "/offices/") || strings.HasSuffix(n, "/about/index.html") || n == "zh-hans/index.html" || n == "index.html" {
			t.Errorf("%s changed, but shows no organisation's status", n)
		}
	}
	page := string(after["zh-hans/organisations/shili-jigou-b/index.html"])
	if want := `状态：<span class="badge bad">已过期</span>，自 <time datetime="2025-07-16">2025-07-16</time> 起`; !strings.Contains(page, want) {
		t.Errorf("organisation B's page lacks %q", want)
	}
	if !strings.Contains(page, "全站更新于 <time datetime=\"2025-05-20\">") {
		t.Error("the footer does not give the data's date, 2025-05-20")
	}
}

// publishedAsset finds the published name of an asset, assets/stem.*.ext,
// and checks that exactly one carries its content's fingerprint.
func publishedAsset(t *testing.T, files map[string][]byte, name string) string {
	t.Helper()
	ext := path.Ext(name)
	var found []string
	for n := range files {
		if strings.HasPrefix(n, "assets/"+strings.TrimSuffix(name, ext)+".") && strings.HasSuffix(n, ext) && n != "assets/"+name {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s published as %v, want one fingerprinted name", name, found)
	}
	sum := sha256.Sum256(files[found[0]])
	if want := "assets/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext; found[0] != want {
		t.Errorf("%s published as %s, want %s (the first 10 hex digits of its SHA-256)", name, found[0], want)
	}
	return found[0]
}

// assetLink is a reference to an asset in a page, feed or style sheet.
var assetLink = regexp.MustCompile(`/assets/[^"'()\s<>]+`)

// TestFingerprintedAssets: every asset is published under a name with
// its content's hash and under no other, and every page (both scripts,
// the root and 404 pages, the printable checklist), feed and style sheet
// names only such names, each of a file the site has.
func TestFingerprintedAssets(t *testing.T) {
	src := copyTree(t, "testdata/site")
	font := filepath.Join(src, "templates", "assets", "fonts", "site.woff2")
	if err := os.MkdirAll(filepath.Dir(font), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(font, []byte("wOF2 test font one"), 0o644); err != nil {
		t.Fatal(err)
	}
	css, err := os.ReadFile("../templates/assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	css = append(css, "\n@font-face{font-family:T;src:url(/assets/fonts/site.woff2) format(\"woff2\")}\n"...)
	if err := os.WriteFile(filepath.Join(src, "templates", "assets", "style.css"), css, 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	files := buildOn(t, src, now)
	for _, n := range []string{"style.css", "site.js", "filter.js", "icon.svg", "search.js", "fonts/site.woff2"} {
		publishedAsset(t, files, n)
		if _, ok := files["assets/"+n]; ok {
			t.Errorf("assets/%s is published under its plain name too", n)
		}
	}
	style := publishedAsset(t, files, "style.css")
	if want := "url(/" + publishedAsset(t, files, "fonts/site.woff2") + ")"; !bytes.Contains(files[style], []byte(want)) {
		t.Errorf("%s does not name the font by its fingerprinted name %s", style, want)
	}
	links := 0
	for n, b := range files {
		if !strings.HasSuffix(n, ".html") && !strings.HasSuffix(n, ".xml") && !strings.HasSuffix(n, ".css") {
			continue
		}
		for _, ref := range assetLink.FindAll(b, -1) {
			links++
			if _, ok := files[string(ref[1:])]; !ok {
				t.Errorf("%s names %s, which the site does not have", n, ref)
			}
		}
	}
	for _, n := range []string{"index.html", "404.html", "zh-hans/index.html", "zh-hant/index.html", "zh-hans/404.html", "zh-hant/404.html", "zh-hans/guides/caixin/checklist/index.html", "zh-hant/qualifications/index.html"} {
		for _, a := range []string{"style.css", "site.js"} {
			if !bytes.Contains(files[n], []byte(`"/`+publishedAsset(t, files, a)+`"`)) {
				t.Errorf("%s does not load %s by its fingerprinted name", n, a)
			}
		}
	}
	if !bytes.Contains(files["zh-hant/qualifications/index.html"], []byte(publishedAsset(t, files, "filter.js"))) {
		t.Error("the zh-Hant list does not load filter.js by its fingerprinted name")
	}
	if links < 200 {
		t.Errorf("only %d links to assets checked", links)
	}

	// A changed font is a new font name and so a new style sheet name;
	// the other assets keep theirs.
	if err := os.WriteFile(font, []byte("wOF2 test font two"), 0o644); err != nil {
		t.Fatal(err)
	}
	again := buildOn(t, src, now)
	if publishedAsset(t, again, "style.css") == style {
		t.Error("the style sheet kept its name when the font it names changed")
	}
	if publishedAsset(t, again, "site.js") != publishedAsset(t, files, "site.js") {
		t.Error("site.js changed its name, though it did not change")
	}
}

// TestOldAssetsRemoved: building over a site whose style sheet has
// changed leaves the new fingerprinted name and not the old ones, also
// when the build writes over the site before last (<out>.prev, which
// holds the name before the old one): the output is the new build's
// files and nothing else. Package publish never replaces a folder it did
// not write (its TestRefusals).
func TestOldAssetsRemoved(t *testing.T) {
	src := copyTree(t, "testdata/site")
	out := filepath.Join(t.TempDir(), "public")
	css := filepath.Join(src, "templates", "assets", "style.css")
	names := func() []string {
		m, _ := filepath.Glob(filepath.Join(out, "assets", "style.*.css"))
		return m
	}
	var earlier []string
	for i, body := range []string{"body{color:#111}\n", "body{color:#222}\n", "body{color:#333}\n"} {
		if err := os.MkdirAll(filepath.Dir(css), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(css, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := buildDir(context.Background(), src, out, Options{BuildDate: testDate()}); err != nil {
			t.Fatal(err)
		}
		got := names()
		if len(got) != 1 {
			t.Fatalf("build %d: style sheets %v, want one", i+1, got)
		}
		for _, old := range earlier {
			if old == got[0] {
				t.Errorf("build %d: the changed style sheet kept its name %s", i+1, old)
			} else if _, err := os.Stat(old); err == nil {
				t.Errorf("build %d: %s of an earlier build is still published", i+1, old)
			}
		}
		earlier = append(earlier, got[0])
	}
}
