package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatisticsPage: with catalog/statistics.toml (what qualbridge stats
// -format toml writes) the site shows the counts per row and per year in
// both scripts and publishes them as open data; without it, the page
// shows the totals the centre published. The counts are fictional.
func TestStatisticsPage(t *testing.T) {
	src := copyTree(t, "testdata/site")
	stats := `# Fictional counts (TEST-ONLY).
[[count]]
qualification = "shili-huli-4"
occupation_code = "9-99-99-01"
level = "四级"
year = 2024
count = 7

[[count]]
qualification = "shili-huli-4"
occupation_code = "9-99-99-01"
level = "四级"
year = 2025
count = 5
revoked = 1
`
	if err := os.WriteFile(filepath.Join(src, "catalog", "statistics.toml"), []byte(stats), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := build(t, src)
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(out, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	hans := read("zh-hans/statistics/index.html")
	for _, s := range []string{"<h1>发证统计</h1>", "共 12 份", "<td>2024</td><td>7</td>", `<a href="/zh-hans/qualifications/shili-huli-4/">示例照顾员（单一级）</a>`, "<td>5</td><td>1</td>", `href="/data/statistics.csv"`} {
		if !strings.Contains(hans, s) {
			t.Errorf("zh-hans statistics page lacks %q", s)
		}
	}
	if hant := read("zh-hant/statistics/index.html"); !strings.Contains(hant, "<h1>發證統計</h1>") || !strings.Contains(hant, "共 12 份") {
		t.Error("zh-hant statistics page not converted")
	}
	csv := read("data/statistics.csv")
	if !strings.Contains(csv, "count") || !strings.Contains(csv, "shili-huli-4,示例照顾员,9-99-99-01") {
		t.Errorf("statistics.csv:\n%s", csv)
	}

	plain, _ := build(t, "testdata/site")
	b, err := os.ReadFile(filepath.Join(plain, "zh-hans/statistics/index.html"))
	if err != nil || !strings.Contains(string(b), "按目录行的发证统计尚未公布") {
		t.Errorf("statistics page without statistics.toml: %v", err)
	}
}
