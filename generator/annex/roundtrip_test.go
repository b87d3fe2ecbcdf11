package annex

import (
	"flag"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// TestRoundTrip: annex → catalog → annex export gives the same rows, and
// importing the export (XLSX or CSV) changes nothing.
func TestRoundTrip(t *testing.T) {
	rows := sampleRows(60)
	repo := shipped(t)
	p, ds := Import(repo, "annex.xlsx", xlsxOf(t, rows), batch5)
	if ds.Err() != nil {
		t.Fatalf("import:\n%s", lines(ds))
	}
	if p.New() != 59 {
		t.Fatalf("%d new rows, want 59", p.New())
	}
	apply(repo, p)
	c, ds := catalog.Load(repo, catalog.Options{BuildDate: batch5.BuildDate})
	if ds.Err() != nil {
		t.Fatalf("load:\n%s", lines(ds))
	}
	table := Table(c, 5)
	if len(table) != len(rows) {
		t.Fatalf("export has %d rows, annex %d", len(table), len(rows))
	}
	for i := range rows {
		got, want := table[i], rows[i]
		if i > 0 {
			// Levels come back normalised: 四级/中级工 → 四级.
			l, _ := parseLevel(want[2])
			want = []string{want[0], want[1], string(l), want[3], want[4]}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("row %d: export %v, annex %v", i, got, want)
		}
	}
	x, err := XLSX(c, 5, "第5批目录（闽人社办〔2025〕141号）")
	if err != nil {
		t.Fatal(err)
	}
	b, err := CSV(c, 5)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"batch-5.xlsx": x, "batch-5.csv": b} {
		again, ds := Import(repo, name, data, batch5)
		if ds.Err() != nil || len(again.Files) != 0 {
			t.Errorf("%s: re-import wrote %v:\n%s", name, again.Paths(), lines(ds))
		}
		if len(again.Entries) != 60 {
			t.Errorf("%s: %d entries", name, len(again.Entries))
		}
	}
}

var sampleOut = flag.String("sample-annex", "", "write a 60-row batch-5-shaped annex, with two rows to fix, to this .xlsx file")

// TestSampleAnnex writes the newcomer's annex of the README walkthrough:
//
//	go test ./generator/annex -run TestSampleAnnex -sample-annex /tmp/annex.xlsx
//
// 60 rows in the batch-5 shape (a merged title row, the real row 1, 59
// synthetic 示例技术士 rows) with two mistakes: row 7's occupation is
// written 养老护理 and row 31's level 六级.
func TestSampleAnnex(t *testing.T) {
	if *sampleOut == "" {
		t.Skip("no -sample-annex file given")
	}
	rows := sampleRows(60)
	rows[7][1] = "养老护理"
	rows[31][2] = "六级"
	all := append([][]string{{"附件：福建省直接采认台湾地区职业技能资格目录（第五批）（示例，行2至60为虚构）"}}, rows...)
	if err := os.WriteFile(*sampleOut, xlsxOf(t, all, "A1:E1"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReimportChanged: an annex corrected and imported again rewrites
// the batch file, and the change entry drops the row it no longer has.
func TestReimportChanged(t *testing.T) {
	repo := shipped(t)
	rows := sampleRows(5)
	p, ds := Import(repo, "annex.xlsx", xlsxOf(t, rows), batch5)
	if ds.Err() != nil {
		t.Fatal(lines(ds))
	}
	apply(repo, p)
	dropped := p.Entries[4].Row.ID
	p, ds = Import(repo, "annex.xlsx", xlsxOf(t, rows[:5]), batch5)
	if ds.Err() != nil {
		t.Fatal(lines(ds))
	}
	if got := p.Paths(); len(got) != 2 {
		t.Fatalf("wrote %v, want the batch file and changes.toml", got)
	}
	apply(repo, p)
	c, ds := catalog.Load(repo, catalog.Options{BuildDate: batch5.BuildDate})
	if ds.Err() != nil {
		t.Fatal(lines(ds))
	}
	if c.Qualification(dropped) != nil {
		t.Errorf("%s still in the catalog", dropped)
	}
	for _, ch := range c.Changes {
		if ch.ID == "2025-11-21-batch-5" && (len(ch.Qualifications) != 4 || ch.Qualifications[0] != "zhaogu-fuwuyuan-danyi-yanglao-huliyuan-4") {
			t.Errorf("change lists %v", ch.Qualifications)
		}
	}
}

// TestNewChange: a batch with no change entry gets one at the end of
// catalog/changes.toml.
func TestNewChange(t *testing.T) {
	repo := shipped(t)
	repo["catalog/changes.toml"] = &fstest.MapFile{Data: []byte("# 变更记录\n")}
	rows := [][]string{header5, {"1", "美发师", "四级", "示例美发技术士", "乙级"}}
	p, ds := Import(repo, "annex.csv", csvOf(t, rows, false), batch5)
	if ds.Err() != nil {
		t.Fatal(lines(ds))
	}
	want := `# 变更记录

[[change]]
id = "2025-11-21-batch-5"
date = 2025-11-21
kind = "目录批次"
title = "第5批目录（闽人社办〔2025〕141号），共1项"
body = """
福建省人力资源和社会保障厅办公室公布第5批目录（闽人社办〔2025〕141号），本站据其附件收录1项。
"""
qualifications = ["shili-meifa-jishushi-yi-meifashi-4"]
documents = ["minban-2025-141"]
sources = ["福建省人社厅办公室 闽人社办〔2025〕141号（2025-11-21 印发，2025-11-24 发布，索引号 FJ00114-0605-2025-00095）；附件《福建省直接采认台湾地区职业技能资格目录（第五批）》"]
`
	if got := string(p.Files["catalog/changes.toml"]); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
