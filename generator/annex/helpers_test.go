package annex

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The annexes below are synthetic: every 示例… certificate name is
// fictional, made by these helpers; the occupations are the shipped
// ones of catalog/occupations.toml. Only 照顾服务员 单一级 → 养老护理员
// 四级 is a real row (batch 5, row 1).

// shipped returns the repository's catalog/ and content/ in memory, so
// that a test may lay files over them without touching the checkout.
func shipped(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	root := os.DirFS("../..")
	for _, dir := range []string{"catalog", "content"} {
		err := fs.WalkDir(root, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(root, p)
			m[p] = &fstest.MapFile{Data: b}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// apply lays a plan's files over m, as Plan.Write would on disk.
func apply(m fstest.MapFS, p *Plan) {
	for _, path := range p.Paths() {
		m[path] = &fstest.MapFile{Data: p.Files[path]}
	}
}

var batch5 = Options{Document: "minban-2025-141", Batch: 5, BuildDate: catalog.NewDate(2026, 12, 1)}

// header5 is the header of the batch-5 annex.
var header5 = []string{"序号", "大陆职业名称", "大陆标准等级", "台湾地区技术士名称", "台湾地区标准等级"}

// xlsxOf writes rows into a one-sheet workbook; merges are ranges
// ("B3:B4") whose first cell keeps its value and the others are emptied,
// as a spreadsheet program saves them.
func xlsxOf(t testing.TB, rows [][]string, merges ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		for j, v := range r {
			if v == "" {
				continue
			}
			axis, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", axis, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, m := range merges {
		from, to, _ := strings.Cut(m, ":")
		if err := f.MergeCell("Sheet1", from, to); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// csvOf writes rows as CSV, in GB18030 when gb is set.
func csvOf(t testing.TB, rows [][]string, gb bool) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if !gb {
		return b.Bytes()
	}
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// htmlOf writes a notice page with the rows as its annex table, one tag
// a line; a cell "^" is covered by the rowspan of the cell above it.
func htmlOf(rows [][]string) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>关于公布第五批直接采认台湾地区职业技能资格范围的通知</title></head>\n<body>\n<p>各设区市人社局：</p>\n<table border=\"1\">\n")
	for y, r := range rows {
		b.WriteString("<tr>\n")
		for x, v := range r {
			if v == "^" {
				continue
			}
			span := 1
			for y+span < len(rows) && x < len(rows[y+span]) && rows[y+span][x] == "^" {
				span++
			}
			tag := "td"
			if y == 0 {
				tag = "th"
			}
			if span > 1 {
				fmt.Fprintf(&b, "<%s rowspan=\"%d\">%s</%s>\n", tag, span, html.EscapeString(v), tag)
			} else {
				fmt.Fprintf(&b, "<%s>%s</%s>\n", tag, html.EscapeString(v), tag)
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n</body></html>\n")
	return []byte(b.String())
}

// lines formats diagnostics one a line, as the command prints them.
func lines(ds diag.List) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// sampleRows is an annex of n rows in the batch-5 shape: row 1 the real
// one, the rest synthetic certificates mapped over the shipped
// occupations, levels and grades.
func sampleRows(n int) [][]string {
	occs := []string{"电工", "机修钳工", "焊工", "车工", "铣工", "美容师", "美发师", "美甲师", "中式烹调师", "中式面点师",
		"西式烹调师", "西式面点师", "茶艺师", "咖啡师", "汽车维修工", "计算机维修工", "保育师", "家政服务员", "保健调理师",
		"保健按摩师", "眼镜验光师", "眼镜定配工", "工程测量员", "互联网营销师", "健康管理师", "评茶师"}
	levels := []string{"五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师"}
	grades := []string{"丙级", "乙级", "甲级", "单一级"}
	rows := [][]string{header5, {"1", "养老护理员", "四级/中级工", "照顾服务员", "单一级"}}
	for i := 2; i <= n; i++ {
		rows = append(rows, []string{fmt.Sprint(i), occs[i%len(occs)], levels[i%len(levels)], fmt.Sprintf("示例技术士%04d", i), grades[i%len(grades)]})
	}
	return rows
}
