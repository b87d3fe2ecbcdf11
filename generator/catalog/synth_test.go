package catalog

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// synthDir, when set, makes TestWriteSynthetic write the synthetic
// catalog there, to time the command on it:
//
//	go test ./generator/catalog -run TestWriteSynthetic -synthetic /tmp/synth
//	qualbridge check /tmp/synth
var synthDir = flag.String("synthetic", "", "write a synthetic 10,000-row catalog to this directory")

// synthetic returns a repository holding n qualification rows over n/10
// occupations and n/20 organisations, and nothing else of note. Every
// name and code is made up (the 9-xx-xx-xx codes are not in the 大典);
// it exists for tests and benchmarks only. With broken set, every row
// carries one mistake of a different kind.
func synthetic(n int, broken bool) fstest.MapFS {
	var occ, qual, org strings.Builder
	occs := max(n/10, 1)
	for i := range occs {
		fmt.Fprintf(&occ, "[[occupation]]\ncode = %q\nname = \"合成职业%d\"\nsources = [\"合成数据\"]\n\n", synthCode(i), i)
	}
	for i := range max(n/20, 1) {
		fmt.Fprintf(&org, `[[organisation]]
id = "org-%d"
name = "合成机构%d"
type = "企业"
region = "合成市"
valid_from = 2024-01-01
valid_until = 2026-12-31
status = "有效"
sources = ["合成数据"]

  [[organisation.certifies]]
  occupation = %q
  levels = ["四级", "三级"]

`, i, i, synthCode(i%occs))
	}
	levels := Levels()
	for i := range n {
		level, batch := string(levels[i%5]), fmt.Sprint(i%9+1)
		extra := ""
		if broken {
			switch i % 4 {
			case 0:
				extra = "levle = \"四级\"\n"
			case 1:
				level = "六级"
			case 2:
				batch = `"五"`
			case 3:
				extra = "guide = \"nowhere\"\n"
			}
		}
		fmt.Fprintf(&qual, `[[qualification]]
id = "q-%d"
taiwan_name = "合成技术士%d"
taiwan_grade = "乙级"
occupation = %q
level = %q
route = "采认"
category = "技能类"
batch = %s
effective = 2025-11-21
scope = "福建"
certifiers = ["org-%d"]
notes = """
合成的说明。
"""
sources = ["合成数据"]
%s
`, i, i, synthCode(i%occs), level, batch, i%max(n/20, 1), extra)
	}
	return fstest.MapFS{
		"catalog/site.toml":           {Data: []byte("name = \"合成站点\"\nbuild_date = 2025-06-01\n")},
		"catalog/occupations.toml":    {Data: []byte(occ.String())},
		"catalog/organisations.toml":  {Data: []byte(org.String())},
		"catalog/qualifications.toml": {Data: []byte(qual.String())},
	}
}

// synthCode returns the made-up 大典 code of synthetic occupation i.
func synthCode(i int) string {
	return fmt.Sprintf("9-%02d-%02d-%02d", i/10000%100, i/100%100, i%100)
}

func TestSyntheticIsClean(t *testing.T) {
	c, ds := Load(synthetic(1000, false), Options{})
	for _, d := range ds {
		t.Fatalf("unexpected diagnostic: %s", d)
	}
	if got := len(c.Qualifications); got != 1000 {
		t.Errorf("%d qualifications, want 1000", got)
	}
	if c.Qualification("q-999") == nil || c.Organisation("org-49") == nil || c.Occupation(synthCode(99)) == nil {
		t.Error("lookups miss synthetic rows")
	}
}

func TestSyntheticBroken(t *testing.T) {
	_, ds := Load(synthetic(1000, true), Options{})
	if got := ds.Count(Error); got != 1000 {
		t.Errorf("%d errors, want one per row (1000)", got)
	}
	for _, d := range ds[:min(len(ds), 6)] {
		t.Log(d)
	}
}

func TestWriteSynthetic(t *testing.T) {
	if *synthDir == "" {
		t.Skip("no -synthetic directory")
	}
	for p, f := range synthetic(10000, false) {
		full := filepath.Join(*synthDir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	bench := func(name string, fsys func() fstest.MapFS, rows int) {
		b.Run(name, func(b *testing.B) {
			fsys := fsys()
			b.ReportAllocs()
			for b.Loop() {
				Load(fsys, Options{})
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
	bench("synthetic-10000", func() fstest.MapFS { return synthetic(10000, false) }, 10000)
	bench("synthetic-10000-broken", func() fstest.MapFS { return synthetic(10000, true) }, 10000)
	b.Run("shipped", func(b *testing.B) {
		if _, err := os.Stat("../../catalog/site.toml"); err != nil {
			b.Skip("no shipped catalog")
		}
		fsys := os.DirFS("../..")
		var rows int
		b.ReportAllocs()
		for b.Loop() {
			c, _ := Load(fsys, Options{})
			s := c.Stats()
			rows = s.Occupations + s.Qualifications + s.Organisations + s.Offices + s.Guides + s.Documents + s.Changes
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
