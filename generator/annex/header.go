package annex

import (
	"strings"
)

// field is a column of an annex that the import reads.
type field int

const (
	fSerial      field = iota // 序号
	fOccupation               // 大陆职业名称
	fLevel                    // 大陆标准等级
	fTaiwanName               // 台湾地区技术士名称
	fTaiwanGrade              // 台湾地区标准等级
	fCode                     // 职业编码 (optional)
	nFields
)

// fieldNames are the header names as batch 5 writes them, in the annex's
// own column order; the export uses them too.
var fieldNames = [nFields]string{"序号", "大陆职业名称", "大陆标准等级", "台湾地区技术士名称", "台湾地区标准等级", "职业编码"}

// fieldVariants are other header names real annexes use, shown in the
// hint of a missing column.
var fieldVariants = [nFields][]string{
	fSerial:      {"序号", "编号"},
	fOccupation:  {"大陆职业名称", "大陆职业（工种）名称", "职业（工种）名称", "职业名称"},
	fLevel:       {"大陆标准等级", "大陆职业技能等级", "等级", "职业技能等级"},
	fTaiwanName:  {"台湾地区技术士名称", "台湾地区职业资格名称", "台湾地区职业技能资格名称", "技术士名称"},
	fTaiwanGrade: {"台湾地区标准等级", "台湾地区技术士等级", "台湾地区等级", "技术士等级"},
	fCode:        {"职业编码", "职业代码", "大典编码"},
}

// required are the columns an annex must have.
var required = []field{fOccupation, fLevel, fTaiwanName, fTaiwanGrade}

// classify names the field a header cell stands for, or -1. It reads
// what the name says rather than matching a list, so that the variants
// of real annexes (大陆职业（工种）名称, 台湾地区职业资格名称, 大陸標準等級)
// all land: a Taiwan-side name has 台湾 (or 技术士) in it, a level or
// grade has 等级 or 级别, the occupation has 职业 or 工种.
func classify(header string) field {
	h := simplify(clean(header))
	h = strings.NewReplacer("(", "（", ")", "）", " ", "").Replace(h)
	switch {
	case h == "":
		return -1
	case h == "序号" || h == "编号" || h == "序":
		return fSerial
	case strings.Contains(h, "编码") || strings.Contains(h, "代码"):
		return fCode
	}
	level := strings.Contains(h, "等级") || strings.Contains(h, "级别")
	taiwan := strings.Contains(h, "台湾") || strings.Contains(h, "技术士")
	switch {
	case taiwan && level:
		return fTaiwanGrade
	case taiwan:
		return fTaiwanName
	case level:
		return fLevel
	case strings.Contains(h, "职业") || strings.Contains(h, "工种"):
		return fOccupation
	}
	return -1
}

// header is the header row found in a grid: the row index where data
// begins and the column of each field (-1 when absent).
type header struct {
	row  int // index of the last header row in Grid.Rows
	cols [nFields]int
	// dup is a field named by two columns: the second one's index.
	dup [nFields]int
	// texts are the header's words in its last row, to pass over the
	// header repeated where a table goes on over a page.
	texts map[field]string
}

// findHeader looks for the header among the first rows: a row, or two
// rows read together (大陆 | 台湾地区 over 职业名称 | 等级 …), that names
// the occupation and the Taiwan certificate. An earlier title row
// (附件：福建省直接采认台湾地区职业技能资格目录（第五批）) is passed over.
func findHeader(g *Grid) (header, bool) {
	const look = 30
	for i := 0; i < len(g.Rows) && i < look; i++ {
		one, ok1 := headerAt(g, i, false)
		two, ok2 := headerAt(g, i, true)
		switch {
		case ok2 && (!ok1 || two.found() > one.found()):
			return two, true
		case ok1:
			return one, true
		}
	}
	return header{}, false
}

// found counts the required columns the header names.
func (h header) found() int {
	n := 0
	for _, f := range required {
		if h.cols[f] >= 0 {
			n++
		}
	}
	return n
}

func headerAt(g *Grid, i int, two bool) (header, bool) {
	if two && i+1 >= len(g.Rows) {
		return header{}, false
	}
	h := header{row: i}
	if two {
		h.row = i + 1
	}
	for f := range h.cols {
		h.cols[f], h.dup[f] = -1, -1
	}
	r := g.Rows[i]
	for x, c := range r.Cells {
		text := clean(c.Text)
		if two {
			below := clean(g.Rows[i+1].cell(x).Text)
			if below != text {
				text += below
			}
		}
		f := classify(text)
		if f < 0 {
			continue
		}
		if h.cols[f] >= 0 {
			// A merge spreads one header over two columns; only a
			// second header of its own is a duplicate.
			if r.Cells[h.cols[f]].Pos == c.Pos && (!two || g.Rows[i+1].cell(h.cols[f]).Pos == g.Rows[i+1].cell(x).Pos) {
				continue
			}
			if h.dup[f] < 0 {
				h.dup[f] = x
			}
			continue
		}
		h.cols[f] = x
	}
	return h, h.cols[fOccupation] >= 0 && h.cols[fTaiwanName] >= 0
}
