// Package annex turns an official batch annex into catalog rows, and a
// batch back into the annex's table.
//
// Fujian publishes each batch of its direct-recognition (直接采认)
// catalogue as the annex of a notice: a table of 序号, 大陆职业名称,
// 大陆标准等级, 台湾地区技术士名称, 台湾地区标准等级 (batch 5,
// 闽人社办〔2025〕141号, is the model). [Import] reads such an annex and
// returns a [Plan]: the rows, mapped and checked, and the files to write.
//
//	p, ds := annex.Import(os.DirFS(repo), "annex.xlsx", data, annex.Options{Document: "minban-2025-141", Batch: 5})
//	for _, d := range ds {
//		fmt.Println(d) // annex.xlsx!Sheet1!B7: error: 职业 "养老护理" 未在 catalog/occupations.toml 中找到
//	}
//	if ds.Err() == nil {
//		err = p.Write(repo)
//	}
//
// # Reading
//
// [Read] takes .xlsx (the first sheet with an annex header; merged cells
// give their value to every cell they cover), .csv (UTF-8, with or
// without a byte order mark, or GB18030, which covers the GBK files
// Chinese spreadsheet programs save; comma or tab) and .html (a notice
// page saved from a browser: the first table with an annex header;
// rowspan and colspan spread as a browser lays them out). Each becomes a
// [Grid] whose every cell knows where it is written: a cell name for a
// workbook (annex.xlsx!Sheet1!B7), line and column for CSV and HTML
// (annex.csv:7:3, columns counting characters).
//
// The header is found by what its names say, not by a fixed list: a
// Taiwan-side name has 台湾 or 技术士 in it, a level or grade has 等级 or
// 级别, the occupation has 职业 or 工种. So 大陆职业（工种）名称, 等级,
// 台湾地区职业资格名称 and the Traditional 大陸標準等級 are all read, as is
// a header of two rows (大陆职业（工种） over 名称 | 等级). Title rows above
// the header, blank rows, section headings merged over a whole row,
// notes in the first column and the header repeated on a new page are
// passed over.
//
// # Mapping
//
// The occupation is looked up among the names, aliases and former names
// (formerly) of catalog/occupations.toml; a name other than the 大典 name
// is kept as occupation_as_published. Levels are read from 四级,
// 四级/中级工, 四级（中级工）, 中级工, 四級 or 4级 (two that disagree, as
// 四级/高级工, are an error); grades from 甲级 … 单一级 and 單一級. Route
// (采认 unless the options say 采信), batch, document, the effective date
// (the document's unless given), category 技能类, scope 福建, the guide of
// the route and the document's sources fill the rest. Ids are made as
// the shipped rows' are: pinyin of the certificate, grade, occupation and
// the level's number (zhaogu-fuwuyuan-danyi-yanglao-huliyuan-4).
//
// # Problems
//
// Every problem comes at once, in the annex's order: an empty cell, an
// occupation not found (with the nearest names as the hint), a level or
// grade not understood, a missing or doubled column, a row that repeats
// another (same certificate, grade and occupation), a row the catalog
// holds with another level or batch (with its position there), a
// document that does not exist, a batch number its title contradicts.
// A row the catalog already holds as it is, outside the batch file, is
// left where it is and not written again. No file may be written while an
// error stands, and before a plan is returned the catalog as it would be
// is loaded and checked: the import writes nothing qualbridge check
// -strict would reject in its files.
//
// # Writing
//
// The rows go to catalog/qualifications/batch-N.toml, whole, in the
// annex's order; the batch's change entry (kind 目录批次, naming the
// document) gets their ids in its qualifications list, edited in place
// so the editors' comments stay; when there is none, an entry is added at
// the end of catalog/changes.toml. The same annex imported again gives
// the same bytes, so nothing changes.
//
// # Export
//
// [Table], [CSV] and [XLSX] give a batch back in the annex's own column
// order, in the order of the catalog files (the annex's order for an
// imported batch): the open data publishes them as data/batch-N.csv and
// .xlsx, and importing one of them changes nothing.
package annex
