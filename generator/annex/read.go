package annex

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Grid is an annex read into rows of cells, whatever its format: merged
// cells (spreadsheet merges, HTML rowspan and colspan) already spread
// over every cell they cover, each cell still pointing where its text
// is written.
type Grid struct {
	Name     string // the file as the editor named it, for messages
	Format   string // xlsx, csv or html
	Sheet    string // the worksheet read (xlsx)
	Encoding string // UTF-8 or GB18030 (csv, html)
	Rows     []Row
	// Pos is where the table starts, for problems of the whole table.
	Pos diag.Pos
}

// Row is one row of a Grid.
type Row struct {
	Cells []Cell
	Pos   diag.Pos // the row's first cell
	Line  int      // 1-based row number in the sheet, or line of the <tr> or CSV record
}

// Cell is the text of one cell and where it is written. A cell inside a
// merge has the text of the merge and the position of its first cell.
type Cell struct {
	Text string
	Pos  diag.Pos
}

// cell returns the cell at column i, or an empty one.
func (r Row) cell(i int) Cell {
	if i < len(r.Cells) {
		return r.Cells[i]
	}
	return Cell{Pos: r.Pos}
}

// blank reports whether every cell is empty.
func (r Row) blank() bool {
	for _, c := range r.Cells {
		if clean(c.Text) != "" {
			return false
		}
	}
	return true
}

// Limits on what Read accepts, so that a wrong file fails quickly.
const (
	maxAnnexSize = 32 << 20
	maxRows      = 100000
	maxCols      = 200
)

// Read reads an annex by the extension of name: .xlsx, .csv or .html
// (also .htm). Problems that stop the reading come back positioned.
func Read(name string, data []byte) (*Grid, diag.List) {
	if len(data) > maxAnnexSize {
		return nil, diag.List{{Pos: diag.Pos{File: name}, Message: fmt.Sprintf("文件太大（%d 字节），附件不应超过 %d MB", len(data), maxAnnexSize>>20)}}
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".xlsx", ".xlsm":
		return readXLSX(name, data)
	case ".csv", ".txt":
		return readCSV(name, data)
	case ".html", ".htm":
		return readHTML(name, data)
	}
	return nil, diag.List{{Pos: diag.Pos{File: name}, Message: "无法识别的附件格式",
		Hint: "可导入 .xlsx 表格、.csv 文件（UTF-8 或 GB18030 编码），或从浏览器保存的通知网页（.html）；旧版 .xls 请先另存为 .xlsx"}}
}

// readXLSX reads the first worksheet that holds an annex header; merged
// cells give their value to every cell they cover.
func readXLSX(name string, data []byte) (*Grid, diag.List) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, diag.List{{Pos: diag.Pos{File: name}, Message: "无法作为 .xlsx 表格打开：" + err.Error(),
			Hint: "请确认文件是 Excel 2007 及以后的 .xlsx 格式；旧版 .xls 请先另存为 .xlsx"}}
	}
	defer f.Close()
	var first *Grid
	for _, sheet := range f.GetSheetList() {
		g, err := readSheet(f, name, sheet)
		if err != nil {
			return nil, diag.List{{Pos: diag.Pos{File: name + "!" + sheet}, Message: "无法读取工作表：" + err.Error()}}
		}
		if first == nil {
			first = g
		}
		if _, ok := findHeader(g); ok {
			return g, nil
		}
	}
	if first == nil {
		return nil, diag.List{{Pos: diag.Pos{File: name}, Message: "表格中没有工作表"}}
	}
	return first, nil
}

func readSheet(f *excelize.File, name, sheet string) (*Grid, error) {
	rows, err := f.GetRows(sheet)
	if err != nil {
		return nil, err
	}
	if len(rows) > maxRows {
		return nil, fmt.Errorf("行数超过 %d", maxRows)
	}
	at := func(col, row int) diag.Pos {
		axis, _ := excelize.CoordinatesToCellName(col, row)
		return diag.Pos{File: name + "!" + sheet + "!" + axis}
	}
	g := &Grid{Name: name, Format: "xlsx", Sheet: sheet, Pos: diag.Pos{File: name + "!" + sheet}}
	width := 0
	for _, r := range rows {
		width = max(width, min(len(r), maxCols))
	}
	merges, err := f.GetMergeCells(sheet)
	if err != nil {
		return nil, err
	}
	for _, m := range merges {
		_, ey, err := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err == nil && ey <= maxRows {
			for len(rows) < ey {
				rows = append(rows, nil)
			}
		}
		ex, _, err := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err == nil {
			width = max(width, min(ex, maxCols))
		}
	}
	g.Rows = make([]Row, len(rows))
	for i, r := range rows {
		row := Row{Line: i + 1, Pos: at(1, i+1), Cells: make([]Cell, width)}
		for j := range width {
			row.Cells[j].Pos = at(j+1, i+1)
			if j < len(r) {
				row.Cells[j].Text = r[j]
			}
		}
		g.Rows[i] = row
	}
	for _, m := range merges {
		sx, sy, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		ex, ey, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err1 != nil || err2 != nil {
			continue
		}
		v, origin := m.GetCellValue(), at(sx, sy)
		for y := sy; y <= ey && y <= len(g.Rows); y++ {
			for x := sx; x <= ex && x <= width; x++ {
				g.Rows[y-1].Cells[x-1] = Cell{Text: v, Pos: origin}
			}
		}
	}
	return g, nil
}

// decodeText turns an annex's bytes into UTF-8 text: a byte order mark or
// valid UTF-8 says UTF-8, anything else is read as GB18030 (which covers
// GBK and GB2312, the encodings Chinese spreadsheet programs write).
func decodeText(data []byte) (string, string) {
	if b, ok := bytes.CutPrefix(data, []byte("\xef\xbb\xbf")); ok {
		// The mark says UTF-8; a broken byte after it is shown as �.
		return strings.ToValidUTF8(string(b), "\ufffd"), "UTF-8"
	}
	if utf8.Valid(data) {
		return string(data), "UTF-8"
	}
	b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return strings.ToValidUTF8(string(data), "\ufffd"), "UTF-8"
	}
	return string(b), "GB18030"
}

// readCSV reads a CSV file (comma, or tab when the first line has more
// tabs than commas). Positions are line:column of each field, columns
// counting characters.
func readCSV(name string, data []byte) (*Grid, diag.List) {
	text, enc := decodeText(data)
	lines := strings.Split(text, "\n")
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	if first, _, _ := strings.Cut(text, "\n"); strings.Count(first, "\t") > strings.Count(first, ",") {
		r.Comma = '\t'
	}
	g := &Grid{Name: name, Format: "csv", Encoding: enc, Pos: diag.Pos{File: name, Line: 1, Col: 1}}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			p := diag.Pos{File: name}
			if errors.As(err, &pe) {
				p.Line, p.Col = pe.Line, charCol(lines, pe.Line, pe.Column)
				err = pe.Err
			}
			return nil, diag.List{{Pos: p, Message: "CSV 格式有误：" + err.Error(), Hint: "引号要成对；含逗号或换行的内容要放在双引号里"}}
		}
		if len(g.Rows) >= maxRows {
			return nil, diag.List{{Pos: diag.Pos{File: name}, Message: fmt.Sprintf("行数超过 %d", maxRows)}}
		}
		if len(rec) > maxCols {
			rec = rec[:maxCols]
		}
		line, _ := r.FieldPos(0)
		row := Row{Line: line, Pos: diag.Pos{File: name, Line: line, Col: 1}, Cells: make([]Cell, len(rec))}
		for i, v := range rec {
			l, c := r.FieldPos(i)
			row.Cells[i] = Cell{Text: v, Pos: diag.Pos{File: name, Line: l, Col: charCol(lines, l, c)}}
		}
		g.Rows = append(g.Rows, row)
	}
	return g, nil
}

// charCol turns the byte column col of line n (1-based) into a
// character column.
func charCol(lines []string, n, col int) int {
	if n < 1 || n > len(lines) || col < 1 {
		return col
	}
	l := lines[n-1]
	if col-1 > len(l) {
		return col
	}
	return utf8.RuneCountInString(l[:col-1]) + 1
}

// readHTML finds the annex table in a saved web page: the first <table>
// (nested ones included) with an annex header row. Rowspan and colspan
// spread a cell over the cells it covers.
func readHTML(name string, data []byte) (*Grid, diag.List) {
	text, enc := decodeText(data)
	if enc != "UTF-8" {
		// A page that is not UTF-8 names its encoding in a <meta>.
		if e, encName, _ := charset.DetermineEncoding(data, "text/html"); e != nil && encName != "utf-8" {
			if b, err := e.NewDecoder().Bytes(data); err == nil {
				text, enc = string(b), strings.ToUpper(encName)
				if enc == "GBK" || enc == "GB2312" {
					enc = "GB18030"
				}
			}
		}
	}
	tables := parseTables(name, text)
	var first *Grid
	for _, t := range tables {
		g := t.grid(name)
		g.Encoding = enc
		if first == nil {
			first = g
		}
		if _, ok := findHeader(g); ok {
			return g, nil
		}
	}
	if first == nil {
		return nil, diag.List{{Pos: diag.Pos{File: name}, Message: "网页中没有表格（<table>）",
			Hint: "附件若是网页上的链接，请下载附件本身（.xlsx 或 .csv）再导入"}}
	}
	return first, nil
}

// htmlCell is a <td> or <th> as written.
type htmlCell struct {
	text             strings.Builder
	pos              diag.Pos
	rowspan, colspan int
}

type htmlRow struct {
	cells []*htmlCell
	pos   diag.Pos
}

type htmlTable struct {
	rows []*htmlRow
	pos  diag.Pos
}

// parseTables tokenizes the page once, keeping the line and column of
// every tag, and returns its tables in the order they open.
func parseTables(name, text string) []*htmlTable {
	z := html.NewTokenizer(strings.NewReader(text))
	z.SetMaxBuf(maxAnnexSize)
	line, col := 1, 1
	advance := func(raw []byte) {
		for len(raw) > 0 {
			r, n := utf8.DecodeRune(raw)
			raw = raw[n:]
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
	}
	type open struct {
		t    *htmlTable
		row  *htmlRow
		cell *htmlCell
	}
	var stack []*open
	var out []*htmlTable
	skip := 0 // inside <script> or <style>
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		p := diag.Pos{File: name, Line: line, Col: col}
		raw := z.Raw()
		tok := z.Token()
		advance(raw)
		var top *open
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.Data {
			case "script", "style":
				if tt == html.StartTagToken {
					skip++
				}
			case "table":
				t := &htmlTable{pos: p}
				out = append(out, t)
				stack = append(stack, &open{t: t})
			case "tr":
				if top != nil {
					top.cell = nil
					top.row = &htmlRow{pos: p}
					top.t.rows = append(top.t.rows, top.row)
				}
			case "td", "th":
				if top != nil {
					if top.row == nil {
						top.row = &htmlRow{pos: p}
						top.t.rows = append(top.t.rows, top.row)
					}
					c := &htmlCell{pos: p, rowspan: span(tok, "rowspan"), colspan: span(tok, "colspan")}
					top.row.cells = append(top.row.cells, c)
					top.cell = c
				}
			case "br", "p", "div":
				if top != nil && top.cell != nil {
					top.cell.text.WriteByte('\n')
				}
			}
		case html.EndTagToken:
			switch tok.Data {
			case "script", "style":
				skip = max(0, skip-1)
			case "table":
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			case "tr":
				if top != nil {
					top.row, top.cell = nil, nil
				}
			case "td", "th":
				if top != nil {
					top.cell = nil
				}
			}
		case html.TextToken:
			if skip == 0 && top != nil && top.cell != nil {
				top.cell.text.WriteString(tok.Data)
			}
		}
	}
	return out
}

// span reads a rowspan or colspan attribute: 1 unless a number 2…1000.
func span(tok html.Token, key string) int {
	for _, a := range tok.Attr {
		if a.Key == key {
			if n, err := strconv.Atoi(strings.TrimSpace(a.Val)); err == nil && n > 1 {
				return min(n, 1000)
			}
		}
	}
	return 1
}

// grid lays the table's cells out as the browser would, spreading each
// over its rowspan and colspan.
func (t *htmlTable) grid(name string) *Grid {
	g := &Grid{Name: name, Format: "html", Pos: t.pos}
	taken := map[[2]int]Cell{}
	width := 0
	for y, r := range t.rows {
		x := 0
		for _, c := range r.cells {
			for {
				if _, ok := taken[[2]int{y, x}]; !ok {
					break
				}
				x++
			}
			cell := Cell{Text: c.text.String(), Pos: c.pos}
			for dy := range c.rowspan {
				if y+dy >= len(t.rows) {
					break
				}
				for dx := range c.colspan {
					if x+dx < maxCols {
						taken[[2]int{y + dy, x + dx}] = cell
					}
				}
			}
			x += c.colspan
			width = max(width, min(x, maxCols))
		}
	}
	for y, r := range t.rows {
		row := Row{Line: r.pos.Line, Pos: r.pos, Cells: make([]Cell, width)}
		for x := range width {
			c, ok := taken[[2]int{y, x}]
			if !ok {
				c = Cell{Pos: r.pos}
			}
			row.Cells[x] = c
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}
