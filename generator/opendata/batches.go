package opendata

import (
	"fmt"
	"slices"
	"strings"

	"github.com/qualbridge/qualbridge/generator/annex"
	"github.com/qualbridge/qualbridge/generator/catalog"
)

// batchFiles returns every numbered batch as its annex prints it, in
// the annex's own column order (序号, 大陆职业名称, 大陆标准等级,
// 台湾地区技术士名称, 台湾地区标准等级), as data/batch-N.csv and
// data/batch-N.xlsx: the list a window is used to printing.
func batchFiles(c *catalog.Catalog, files map[string][]byte) error {
	for _, n := range annex.Batches(c) {
		b, err := annex.CSV(c, n)
		if err != nil {
			return fmt.Errorf("opendata: batch %d: %v", n, err)
		}
		files[fmt.Sprintf("data/batch-%d.csv", n)] = b
		x, err := annex.XLSX(c, n, batchTitle(c, n))
		if err != nil {
			return fmt.Errorf("opendata: batch %d: %v", n, err)
		}
		files[fmt.Sprintf("data/batch-%d.xlsx", n)] = x
	}
	return nil
}

// batchTitle is the title row of a batch's sheet: 第5批目录（闽人社办〔2025〕141号）.
func batchTitle(c *catalog.Catalog, n int) string {
	var numbers []string
	for _, q := range c.Qualifications {
		if q.Batch != n {
			continue
		}
		if d := c.Document(q.Document); d != nil && d.Number != "" && !slices.Contains(numbers, d.Number) {
			numbers = append(numbers, d.Number)
		}
	}
	slices.Sort(numbers)
	if len(numbers) == 0 {
		return fmt.Sprintf("第%d批目录", n)
	}
	return fmt.Sprintf("第%d批目录（%s）", n, strings.Join(numbers, "、"))
}

// batchDataset describes the batch files for the /data/ page.
func batchDataset() Dataset {
	return Dataset{
		Name: "batches", Title: "按批次的目录（附件格式）",
		Description: "每个编号批次一份表格，列的顺序与官方附件相同，便于窗口打印：data/batch-N.csv 与 data/batch-N.xlsx（N 为批次号，如 data/batch-5.xlsx）。" +
			"行序与目录文件相同（导入的批次保持附件原来的行序），序号从1起重新编排。",
		Fields: []Field{
			{"序号", typeInt, "本批次内的序号，从1起"},
			{"大陆职业名称", typeText, "大陆职业（工种）名称，按附件原来的写法（与现行大典名称不同时见 occupation_as_published）"},
			{"大陆标准等级", typeText, "大陆职业技能等级：五级至一级"},
			{"台湾地区技术士名称", typeText, "台湾地区技术士名称"},
			{"台湾地区标准等级", typeText, "台湾地区技术士级别：甲级、乙级、丙级或单一级"},
		},
	}
}

// DatasetsOf is [Datasets] with the files that depend on the catalog
// listed: one XLSX and one CSV download per batch.
func DatasetsOf(c *catalog.Catalog) []Dataset {
	ds := Datasets()
	for i := range ds {
		if ds[i].Name != "batches" || c == nil {
			continue
		}
		for _, n := range annex.Batches(c) {
			ds[i].Downloads = append(ds[i].Downloads,
				Download{fmt.Sprintf("第%d批 XLSX", n), fmt.Sprintf("data/batch-%d.xlsx", n)},
				Download{fmt.Sprintf("第%d批 CSV", n), fmt.Sprintf("data/batch-%d.csv", n)})
		}
	}
	return ds
}
