package annex

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/xuri/excelize/v2"
)

// Batches returns the numbers of the batches the catalog has rows of,
// lowest first.
func Batches(c *catalog.Catalog) []int {
	var out []int
	for _, q := range c.Qualifications {
		if q.Batch > 0 && !slices.Contains(out, q.Batch) {
			out = append(out, q.Batch)
		}
	}
	slices.Sort(out)
	return out
}

// Table returns a batch as its annex prints it: the header row (序号,
// 大陆职业名称, 大陆标准等级, 台湾地区技术士名称, 台湾地区标准等级), then the
// rows in the order the catalog files hold them (an imported batch file
// keeps the annex's order), numbered from 1. The occupation is written
// as the annex wrote it when that differs from the 大典 name.
func Table(c *catalog.Catalog, batch int) [][]string {
	var rows []*catalog.Qualification
	for _, q := range c.Qualifications {
		if q.Batch == batch {
			rows = append(rows, q)
		}
	}
	slices.SortStableFunc(rows, func(a, b *catalog.Qualification) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.ID, b.ID))
	})
	out := [][]string{{fieldNames[fSerial], fieldNames[fOccupation], fieldNames[fLevel], fieldNames[fTaiwanName], fieldNames[fTaiwanGrade]}}
	for i, q := range rows {
		name := q.OccupationAsPublished
		if name == "" {
			if o := c.Occupation(q.Occupation); o != nil {
				name = o.Name
			}
		}
		out = append(out, []string{strconv.Itoa(i + 1), name, string(q.Level), q.TaiwanName, string(q.TaiwanGrade)})
	}
	return out
}

// CSV returns the batch's table as CSV (UTF-8 with a byte order mark,
// CRLF line ends, as the other open-data CSV files).
func CSV(c *catalog.Catalog, batch int) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.WriteAll(Table(c, batch)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// XLSX returns the batch's table as a one-sheet .xlsx workbook, the
// sheet named 第N批, with a title row above the header as annexes have.
func XLSX(c *catalog.Catalog, batch int, title string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := fmt.Sprintf("第%d批", batch)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	rows := Table(c, batch)
	start := 1
	if title != "" {
		if err := f.SetCellStr(sheet, "A1", title); err != nil {
			return nil, err
		}
		if err := f.MergeCell(sheet, "A1", "E1"); err != nil {
			return nil, err
		}
		start = 2
	}
	for i, r := range rows {
		for j, v := range r {
			axis, _ := excelize.CoordinatesToCellName(j+1, start+i)
			var err error
			if n, nerr := strconv.Atoi(v); nerr == nil && j == 0 && i > 0 {
				err = f.SetCellInt(sheet, axis, int64(n))
			} else {
				err = f.SetCellStr(sheet, axis, v)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	for col, w := range map[string]float64{"A": 6, "B": 22, "C": 14, "D": 24, "E": 16} {
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
