package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/unicode/norm"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/verifier/record"
)

// applicantKeys are the columns of a CSV batch and the keys of a TOML
// [[applicant]] table, in the order a CSV header lists them.
var applicantKeys = []string{
	"name", "sex", "birth_date", "id_type", "id_number", "taiwan_name", "taiwan_grade",
	"qualification", "occupation_code", "level", "issue_date", "valid_until", "number",
}

func optionalKey(k string) bool {
	return k == "valid_until" || k == "number" || k == "taiwan_grade"
}

// rawApplicant is one row as written, with where each value is.
type rawApplicant struct {
	line   int // the CSV record's or TOML table's first line
	fields map[string]string
	pos    map[string]int  // line of each value
	col    map[string]int  // column of each value, in characters
	bad    map[string]bool // keys already reported as unreadable
}

// applicant is a checked row, ready to sign.
type applicant struct {
	line           int
	personal       record.Personal
	qual           *catalog.Qualification
	occupationName string
	taiwanName     string
	taiwanGrade    string
	level          catalog.Level
	issueDate      time.Time
	validUntil     time.Time
	number         string // empty: generate
}

// rowError is one problem of a batch, positioned in the applicants file.
type rowError struct {
	file      string
	line, col int
	msg       string
}

func (e rowError) String() string {
	if e.col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.file, e.line, e.col, e.msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
}

type rowErrors []rowError

func (es *rowErrors) add(file string, line, col int, format string, args ...any) {
	*es = append(*es, rowError{file, line, col, fmt.Sprintf(format, args...)})
}

func (es rowErrors) sorted() rowErrors {
	slices.SortStableFunc(es, func(a, b rowError) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return a.col - b.col
	})
	return es
}

// readApplicants parses a batch file by its extension: .csv (UTF-8,
// header row) or .toml ([[applicant]] tables).
func readApplicants(name string, data []byte) ([]rawApplicant, rowErrors) {
	if !utf8.Valid(data) {
		return nil, rowErrors{{name, 1, 0, "file is not UTF-8; save it as UTF-8"}}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // spreadsheet exports add a BOM
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return readCSV(name, data)
	case ".toml":
		return readTOML(name, data)
	}
	return nil, rowErrors{{name, 0, 0, "applicants file must end in .csv or .toml"}}
}

func readCSV(name string, data []byte) ([]rawApplicant, rowErrors) {
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
	var errs rowErrors
	header, err := r.Read()
	if err != nil {
		return nil, rowErrors{{name, 1, 0, "cannot read the header row: " + csvMessage(err)}}
	}
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		_, col := fieldPos(i)
		switch {
		case !slices.Contains(applicantKeys, h):
			errs.add(name, 1, col, "unknown column %q (columns: %s)", h, strings.Join(applicantKeys, ", "))
		case index[h] != 0:
			errs.add(name, 1, col, "column %q appears twice", h)
		default:
			index[h] = i + 1
		}
	}
	for _, k := range applicantKeys {
		if index[k] == 0 && !optionalKey(k) {
			errs.add(name, 1, 0, "missing column %q", k)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var rows []rawApplicant
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
			errs.add(name, line, 0, "%s", csvMessage(err))
			break
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(header) {
			errs.add(name, line, 0, "row has %d fields, the header %d", len(rec), len(header))
			continue
		}
		row := rawApplicant{line: line, fields: map[string]string{}, pos: map[string]int{}, col: map[string]int{}}
		for k, i := range index {
			row.fields[k] = rec[i-1]
			row.pos[k], row.col[k] = fieldPos(i - 1)
		}
		rows = append(rows, row)
	}
	return rows, errs
}

func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

var tomlHeader = regexp.MustCompile(`^\s*\[\[\s*applicant\s*\]\]`)
var tomlAnyHeader = regexp.MustCompile(`^\s*\[`)

func readTOML(name string, data []byte) ([]rawApplicant, rowErrors) {
	var doc struct {
		Applicant []map[string]any `toml:"applicant"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, rowErrors{{name, pe.Position.Line, pe.Position.Col, pe.Message}}
		}
		return nil, rowErrors{{name, 1, 0, err.Error()}}
	}
	var errs rowErrors
	for _, k := range md.Undecoded() {
		if len(k) == 1 {
			errs.add(name, 1, 1, "unknown key %q (applicants are [[applicant]] tables)", k.String())
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
	var rows []rawApplicant
	for n, tab := range doc.Applicant {
		start := starts[n]
		end := len(lines)
		for j := start + 1; j < len(lines); j++ {
			if tomlAnyHeader.MatchString(lines[j]) {
				end = j
				break
			}
		}
		row := rawApplicant{line: start + 1, fields: map[string]string{}, pos: map[string]int{}, col: map[string]int{}, bad: map[string]bool{}}
		keyPos := func(k string) (int, int) {
			re := regexp.MustCompile(`^(\s*)"?` + regexp.QuoteMeta(k) + `"?\s*=`)
			for j := start; j < end; j++ {
				if m := re.FindStringSubmatch(lines[j]); m != nil {
					return j + 1, utf8.RuneCountInString(m[1]) + 1
				}
			}
			return start + 1, 1
		}
		keys := make([]string, 0, len(tab))
		for k := range tab {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := tab[k]
			line, col := keyPos(k)
			if !slices.Contains(applicantKeys, k) {
				errs.add(name, line, col, "unknown key %q (keys: %s)", k, strings.Join(applicantKeys, ", "))
				continue
			}
			row.pos[k], row.col[k] = line, col
			switch v := v.(type) {
			case string:
				row.fields[k] = v
			case time.Time:
				if v.Hour() != 0 || v.Minute() != 0 || v.Second() != 0 || v.Nanosecond() != 0 {
					errs.add(name, line, col, "%s must be a date (2006-01-02), not a date and time", k)
					row.bad[k] = true
					continue
				}
				row.fields[k] = v.Format(time.DateOnly)
			default:
				errs.add(name, line, col, "%s must be a string in quotes (id numbers keep their leading zeros)", k)
				row.bad[k] = true
			}
		}
		rows = append(rows, row)
	}
	return rows, errs
}

// batchChecker checks rows against the rules and the catalog.
type batchChecker struct {
	file  string
	cat   *catalog.Catalog
	today time.Time // the -date flag: no date may lie after it
	errs  rowErrors
}

func (b *batchChecker) errorf(r *rawApplicant, key, format string, args ...any) {
	line, col := r.line, 1
	if key != "" {
		if l, ok := r.pos[key]; ok {
			line, col = l, r.col[key]
		}
	}
	b.errs.add(b.file, line, col, format, args...)
}

// check returns the checked row, or nil after recording its errors.
func (b *batchChecker) check(r *rawApplicant) *applicant {
	before := len(b.errs)
	get := func(k string) string { return r.fields[k] }
	for _, k := range applicantKeys {
		if !optionalKey(k) && !r.bad[k] && strings.TrimSpace(get(k)) == "" {
			b.errorf(r, k, "%s is missing", k)
		}
	}
	a := &applicant{line: r.line}

	if name := get("name"); name != "" {
		if msg := checkName(name); msg != "" {
			b.errorf(r, "name", "%s", msg)
		}
		a.personal.Name = name
	}
	switch s := get("sex"); s {
	case "男", "女":
		a.personal.Sex = s
	case "":
	default:
		b.errorf(r, "sex", "sex must be 男 or 女, got %q", s)
	}
	a.personal.BirthDate = b.date(r, "birth_date")
	if !a.personal.BirthDate.IsZero() && a.personal.BirthDate.Year() < 1900 {
		b.errorf(r, "birth_date", "birth_date %s is before 1900", get("birth_date"))
	}
	switch t := get("id_type"); t {
	case "通行证", "台湾居民来往大陆通行证", "台胞证", "permit":
		a.personal.IDType = record.Permit
	case "居住证", "台湾居民居住证", "residence":
		a.personal.IDType = record.Residence
	case "":
	default:
		b.errorf(r, "id_type", "id_type must be 通行证 (permit) or 居住证 (residence), got %q", t)
	}
	if id := get("id_number"); id != "" && a.personal.IDType != "" {
		if msg := checkIDNumber(a.personal.IDType, id, a.personal.BirthDate); msg != "" {
			b.errorf(r, "id_number", "%s", msg)
		}
		a.personal.IDNumber = id
	}

	if id := get("qualification"); id != "" {
		a.qual = b.cat.Qualification(id)
		if a.qual == nil {
			b.errorf(r, "qualification", "qualification %q is not in the catalog", id)
		}
	}
	if q := a.qual; q != nil {
		occ := b.cat.Occupation(q.Occupation)
		if occ != nil {
			a.occupationName = occ.Name
		}
		if c := get("occupation_code"); c != "" && c != q.Occupation {
			b.errorf(r, "occupation_code", "qualification %s maps to occupation %s, not %s", q.ID, q.Occupation, c)
		}
		switch l := get("level"); {
		case q.Level == "":
			b.errorf(r, "qualification", "qualification %s has no published level; no certificate can be issued for it", q.ID)
		case l != "" && catalog.Level(l) != q.Level:
			b.errorf(r, "level", "qualification %s maps to level %s, not %s", q.ID, q.Level, l)
		}
		a.level = q.Level
		if n := get("taiwan_name"); n != "" && n != q.TaiwanName {
			b.errorf(r, "taiwan_name", "qualification %s is the Taiwan qualification %s, not %s", q.ID, q.TaiwanName, n)
		}
		if g := get("taiwan_grade"); g != string(q.TaiwanGrade) {
			b.errorf(r, "taiwan_grade", "qualification %s has Taiwan grade %q, not %q", q.ID, q.TaiwanGrade, g)
		}
		a.taiwanName, a.taiwanGrade = q.TaiwanName, string(q.TaiwanGrade)
		if occ == nil {
			b.errorf(r, "qualification", "qualification %s names occupation %s, which is not in the catalog", q.ID, q.Occupation)
		}
	}

	a.issueDate = b.date(r, "issue_date")
	if get("valid_until") != "" {
		a.validUntil = b.date(r, "valid_until")
		if !a.validUntil.IsZero() && !a.issueDate.IsZero() && !a.validUntil.After(a.issueDate) {
			b.errorf(r, "valid_until", "valid_until %s is not after issue_date %s", get("valid_until"), get("issue_date"))
		}
	}
	if n := get("number"); n != "" {
		if msg := checkNumber(n, a.level); msg != "" {
			b.errorf(r, "number", "%s", msg)
		}
		a.number = n
	}
	if len(b.errs) > before {
		return nil
	}
	return a
}

// date parses a YYYY-MM-DD value; issue and birth dates may not lie
// after -date (valid_until may).
func (b *batchChecker) date(r *rawApplicant, key string) time.Time {
	s := r.fields[key]
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		b.errorf(r, key, "%s %q is not a date (want 2006-01-02)", key, s)
		return time.Time{}
	}
	if key != "valid_until" && t.After(b.today) {
		b.errorf(r, key, "%s %s is after the issue run's date %s", key, s, b.today.Format(time.DateOnly))
	}
	return t
}

// checkName refuses rather than normalises: a name that is not NFC or
// holds invisible characters would print one way and verify another.
func checkName(s string) string {
	if !norm.NFC.IsNormalString(s) {
		return "name is not in Unicode NFC (it has decomposed characters); retype it"
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r) {
			return fmt.Sprintf("name holds the invisible control character %U", r)
		}
		if unicode.IsSpace(r) {
			return "name holds a space"
		}
	}
	if n := utf8.RuneCountInString(s); n < 2 || n > 20 {
		return fmt.Sprintf("name has %d characters; a name has 2 to 20", n)
	}
	return ""
}

// checkIDNumber checks a document number by type: the 台湾居民来往大陆通行证
// number has 8 digits; the 台湾居民居住证 number has 18 characters, the
// address code 830000, the holder's birth date and the GB 11643 check
// character (ISO 7064 MOD 11-2).
func checkIDNumber(t record.IDType, id string, birth time.Time) string {
	switch t {
	case record.Permit:
		if len(id) != 8 || !allDigits(id) {
			return fmt.Sprintf("通行证 number must be 8 digits, got %q", id)
		}
	case record.Residence:
		if len(id) != 18 || !allDigits(id[:17]) || !(id[17] >= '0' && id[17] <= '9' || id[17] == 'X') {
			return fmt.Sprintf("居住证 number must be 17 digits and a digit or X, got %q", id)
		}
		if id[:6] != "830000" {
			return fmt.Sprintf("居住证 number must start with 830000, got %s", id[:6])
		}
		d, err := time.Parse("20060102", id[6:14])
		if err != nil {
			return fmt.Sprintf("居住证 number holds no valid birth date (%s)", id[6:14])
		}
		if !birth.IsZero() && !d.Equal(birth) {
			return fmt.Sprintf("居住证 number holds birth date %s but birth_date is %s", d.Format(time.DateOnly), birth.Format(time.DateOnly))
		}
		if c := residenceCheck(id[:17]); c != id[17] {
			return fmt.Sprintf("居住证 number check character is %c, want %c; the number is mistyped", id[17], c)
		}
	}
	return ""
}

// residenceCheck computes the GB 11643-1999 check character.
func residenceCheck(first17 string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// levelDigit is the level's digit in a certificate number (五级 5 … 一级
// 1), or 0 for an unknown level.
func levelDigit(l catalog.Level) byte {
	if r := l.Rank(); r > 0 {
		return '0' + byte(r)
	}
	return 0
}

// checkNumber checks a given certificate number against the MOHRSS rule:
// Y or S, 4 digits evaluation body, 2 province, 6 site, 2 year, 1 level,
// 6 serial.
func checkNumber(n string, l catalog.Level) string {
	if len(n) != 22 || (n[0] != 'S' && n[0] != 'Y') || !allDigits(n[1:]) {
		return fmt.Sprintf("number %q must be Y or S and 21 digits (22 characters)", n)
	}
	if d := levelDigit(l); d != 0 && n[15] != d {
		return fmt.Sprintf("number %s has level digit %c but the level is %s (%c)", n, n[15], l, d)
	}
	return ""
}

// numberer hands out certificate numbers: S, evaluation body 0000 (filed
// with the province), province 35 (Fujian), the site serial, the year,
// the level digit and the next free 6-digit serial for that prefix. The
// result depends only on the registry and the batch, so the same batch
// against the same registry gets the same numbers.
type numberer struct {
	site string
	used map[string]bool
	next map[string]int
}

func newNumberer(site string, used map[string]bool) *numberer {
	n := &numberer{site: site, used: used, next: map[string]int{}}
	for num := range used {
		if len(num) == 22 {
			s, err := strconv.Atoi(num[16:])
			if err == nil && s >= n.next[num[:16]] {
				n.next[num[:16]] = s + 1
			}
		}
	}
	return n
}

func (n *numberer) number(year int, l catalog.Level) (string, error) {
	prefix := fmt.Sprintf("S000035%s%02d%c", n.site, year%100, levelDigit(l))
	s := max(n.next[prefix], 1)
	for ; s <= 999999; s++ {
		num := fmt.Sprintf("%s%06d", prefix, s)
		if !n.used[num] {
			n.used[num] = true
			n.next[prefix] = s + 1
			return num, nil
		}
	}
	return "", fmt.Errorf("no free certificate number left for prefix %s", prefix)
}
