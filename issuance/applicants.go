package issuance

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/qualbridge/qualbridge/diag"
)

// ApplicantKeys are the columns of a CSV batch and the keys of a TOML
// [[applicant]] table, in the order a CSV header lists them.
var applicantKeys = []string{
	"name", "sex", "birth_date", "id_type", "id_number", "taiwan_name", "taiwan_grade",
	"qualification", "occupation_code", "level", "issue_date", "valid_until", "number",
}

func optionalKey(k string) bool {
	return k == "valid_until" || k == "number" || k == "taiwan_grade"
}

// Row is one applicant as written in the batch file, before any check:
// each value with its line and column (in characters).
type Row struct {
	Line   int // the CSV record's or TOML table's first line
	Fields map[string]string
	pos    map[string]int
	col    map[string]int
	bad    map[string]bool // keys already reported as unreadable
}

// problems collects positioned diagnostics for one file.
type problems struct {
	file string
	list diag.List
}

func (p *problems) add(line, col int, hint, format string, args ...any) {
	p.list = append(p.list, diag.Diagnostic{
		Pos:      diag.Pos{File: p.file, Line: line, Col: col},
		Severity: diag.Error,
		Message:  fmt.Sprintf(format, args...),
		Hint:     hint,
	})
}

// ParseApplicants reads a batch file by its extension: .csv (UTF-8,
// header row; a spreadsheet's BOM is allowed) or .toml ([[applicant]]
// tables). name is the path shown in the diagnostics. It never panics,
// whatever data holds; every problem found is in the list, positioned.
func ParseApplicants(name string, data []byte) ([]Row, diag.List) {
	p := &problems{file: name}
	if !utf8.Valid(data) {
		p.add(1, 0, "在表格软件中“另存为”UTF-8 编码的 CSV", "文件不是 UTF-8 编码")
		return nil, p.list
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var rows []Row
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		rows = readCSV(p, data)
	case ".toml":
		rows = readTOML(p, data)
	default:
		p.add(0, 0, "把申请人表另存为 CSV（UTF-8），或按 demo/applicants.toml 写成 TOML", "申请人文件须为 .csv 或 .toml")
	}
	p.list.Sort()
	return rows, p.list
}

func readCSV(p *problems, data []byte) []Row {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	// csv counts columns in bytes; editors count characters.
	lines := strings.Split(string(data), "\n")
	runeCol := func(line, col int) int {
		if line < 1 || line > len(lines) || col < 1 || col-1 > len(lines[line-1]) {
			return col
		}
		return utf8.RuneCountInString(lines[line-1][:col-1]) + 1
	}
	fieldPos := func(i int) (int, int) {
		l, c := r.FieldPos(i)
		return l, runeCol(l, c)
	}
	header, err := r.Read()
	if err != nil {
		p.add(1, 0, "第一行须为列名："+strings.Join(applicantKeys, ","), "无法读取表头：%s", csvMessage(err))
		return nil
	}
	before := len(p.list)
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		_, col := fieldPos(i)
		switch {
		case !slices.Contains(applicantKeys, h):
			p.add(1, col, "可用列："+strings.Join(applicantKeys, "、"), "未知列 %q", h)
		case index[h] != 0:
			p.add(1, col, "删去重复的一列", "列 %q 出现了两次", h)
		default:
			index[h] = i + 1
		}
	}
	for _, k := range applicantKeys {
		if index[k] == 0 && !optionalKey(k) {
			p.add(1, 0, "在表头加上这一列", "缺少列 %q", k)
		}
	}
	if len(p.list) > before {
		return nil
	}
	var rows []Row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Line
			}
			p.add(line, 0, "含逗号或引号的值要整体加英文双引号，值中的引号写两次", "CSV 格式错误：%s", csvMessage(err))
			break
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(header) {
			p.add(line, 0, "每行的字段数须与表头相同；空值也要留出逗号", "该行有 %d 个字段，表头有 %d 个", len(rec), len(header))
			continue
		}
		row := Row{Line: line, Fields: map[string]string{}, pos: map[string]int{}, col: map[string]int{}}
		for k, i := range index {
			row.Fields[k] = rec[i-1]
			row.pos[k], row.col[k] = fieldPos(i - 1)
		}
		rows = append(rows, row)
	}
	return rows
}

var csvMessages = map[error]string{
	csv.ErrBareQuote:  "未加引号的值中出现了引号",
	csv.ErrQuote:      "引号没有配对",
	csv.ErrFieldCount: "字段数不对",
}

func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if m, ok := csvMessages[err]; ok {
		return m
	}
	return err.Error()
}

var (
	tomlHeader    = regexp.MustCompile(`^\s*\[\[\s*applicant\s*\]\]`)
	tomlAnyHeader = regexp.MustCompile(`^\s*\[`)
	tomlKey       = regexp.MustCompile(`^(\s*)"?([A-Za-z0-9_-]+)"?\s*=`)
)

func readTOML(p *problems, data []byte) []Row {
	var doc struct {
		Applicant []map[string]any `toml:"applicant"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			p.add(pe.Position.Line, pe.Position.Col, "对照 demo/applicants.toml 检查引号、等号和日期的写法", "TOML 格式错误：%s", pe.Message)
		} else {
			p.add(1, 0, "每位申请人写成一个 [[applicant]] 表", "TOML 内容无法读取：%v", err)
		}
		return nil
	}
	for _, k := range md.Undecoded() {
		if len(k) == 1 {
			p.add(1, 1, "申请人写在 [[applicant]] 表中", "未知键 %q", k.String())
		}
	}
	// The decoder does not say where a table is: find the [[applicant]]
	// header lines and, inside each table, the line of each key.
	lines := strings.Split(string(data), "\n")
	var starts []int
	for i, l := range lines {
		if tomlHeader.MatchString(l) {
			starts = append(starts, i)
		}
	}
	if len(starts) != len(doc.Applicant) {
		// Inline arrays of tables: positions fall back to line 1.
		starts = make([]int, len(doc.Applicant))
	}
	var rows []Row
	for n, tab := range doc.Applicant {
		start := starts[n]
		end := len(lines)
		for j := start + 1; j < len(lines); j++ {
			if tomlAnyHeader.MatchString(lines[j]) {
				end = j
				break
			}
		}
		keyLine := map[string][2]int{}
		for j := start; j < end; j++ {
			if m := tomlKey.FindStringSubmatch(lines[j]); m != nil {
				if _, seen := keyLine[m[2]]; !seen {
					keyLine[m[2]] = [2]int{j + 1, utf8.RuneCountInString(m[1]) + 1}
				}
			}
		}
		keyPos := func(k string) (int, int) {
			if lc, ok := keyLine[k]; ok {
				return lc[0], lc[1]
			}
			return start + 1, 1
		}
		row := Row{Line: start + 1, Fields: map[string]string{}, pos: map[string]int{}, col: map[string]int{}, bad: map[string]bool{}}
		keys := make([]string, 0, len(tab))
		for k := range tab {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := tab[k]
			line, col := keyPos(k)
			if !slices.Contains(applicantKeys, k) {
				p.add(line, col, "可用键："+strings.Join(applicantKeys, "、"), "未知键 %q", k)
				continue
			}
			row.pos[k], row.col[k] = line, col
			switch v := v.(type) {
			case string:
				row.Fields[k] = v
			case time.Time:
				if v.Hour() != 0 || v.Minute() != 0 || v.Second() != 0 || v.Nanosecond() != 0 {
					p.add(line, col, "写成 2006-01-02 的形式", "%s 须为日期，不能带时间", k)
					row.bad[k] = true
					continue
				}
				row.Fields[k] = v.Format(time.DateOnly)
			default:
				p.add(line, col, "证件号码等要加英文双引号，开头的 0 才不会丢", "%s 须为加引号的字符串", k)
				row.bad[k] = true
			}
		}
		rows = append(rows, row)
	}
	return rows
}
