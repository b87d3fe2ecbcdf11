// Package opendata exports the catalog as open data: a JSON file and a CSV
// file for every kind of row, and the description of every field, in
// Chinese, for the site's /data/ page.
//
// # Formats
//
// JSON files are UTF-8, indented, with the fields of each row always in
// the documented order and every field present ("" for a value not
// published, [] for an empty list). Each file is an object:
//
//	{"dataset": "qualifications", "updated": "2025-12-01", "rows": [ … ]}
//
// updated is the data's latest change date (the generator's: the change
// log, the guides, the documents, the organisations' status changes), not
// the build date, so that a build on another day of the same catalog
// gives the same bytes.
//
// CSV files follow RFC 4180 (encoding/csv), start with a UTF-8 byte order
// mark so that spreadsheet programs show Chinese correctly, and have a
// header row of the field names. Lists are joined with "；" (the JSON files
// keep them as arrays), booleans are 是 or 否. Guides nest their materials,
// steps and questions: the JSON keeps them inside each guide, and the CSV
// gives each its own file with one row per item.
//
// An organisation's validity is computed as of the build date, and every
// organisation row carries the day since which it has been so
// (validity_since, [catalog.Organisation.ValiditySince]): the row changes
// when the state does, not every day.
//
// One table of columns per dataset drives the JSON, the CSV and the
// documentation, so a field cannot be exported without being described.
//
// Each numbered batch is also given back as its official annex prints it
// (data/batch-N.csv and data/batch-N.xlsx: 序号, 大陆职业名称, 大陆标准等级,
// 台湾地区技术士名称, 台湾地区标准等级, in the annex's own order; made by
// package annex, which reads annexes too), so that a window can print the
// list it is used to; [DatasetsOf] lists them for the /data/ page.
package opendata

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// Field describes one field of a dataset.
type Field struct {
	Name        string // as in the JSON object and the CSV header
	Type        string // 文本, 整数, 日期, 是/否, 文本列表, 记录列表
	Description string // in Chinese, for readers of the /data/ page
}

// Dataset describes one dataset and where it is published.
type Dataset struct {
	Name        string // qualifications, organisations, guide-steps …
	Title       string // in Chinese
	Description string // in Chinese
	JSON        string // path relative to the site root, "" when the data is inside another dataset's JSON
	CSV         string // path relative to the site root
	// Downloads are further files of the dataset, one per batch for
	// the batch tables; filled by [DatasetsOf].
	Downloads []Download
	Fields    []Field
}

// Download is one file of a dataset.
type Download struct {
	Label string // 第5批 XLSX
	Path  string // relative to the site root
}

// Field types, as the documentation shows them.
const (
	typeText    = "文本"
	typeInt     = "整数"
	typeDate    = "日期（YYYY-MM-DD）"
	typeBool    = "是/否"
	typeList    = "文本列表"
	typeObjects = "记录列表"
)

// listSep joins list values in CSV cells.
const listSep = "；"

// column is one field of a dataset and how to read it from a row.
type column struct {
	Field
	jsonOnly bool            // nested rows, published in their own CSV
	get      func(r any) any // string, int, bool, []string, catalog.Date or []object
	flat     func(r any) any // the CSV value when it differs from get's
}

// csvValue returns the value of the column's CSV cell.
func (c column) csvValue(r any) any {
	if c.flat != nil {
		return c.flat(r)
	}
	return c.get(r)
}

// col makes a column of rows of type T.
func col[T any](name, typ, desc string, get func(T) any) column {
	return column{Field: Field{name, typ, desc}, get: func(r any) any { return get(r.(T)) }}
}

// nested makes a JSON-only column holding the rows of another table.
func nested[T any](name, desc string, t *table, get func(T) []any) column {
	c := col(name, typeObjects, desc, func(r T) any { return objects(t, get(r)) })
	c.jsonOnly = true
	return c
}

// table is a dataset with its columns and rows.
type table struct {
	Dataset
	cols []column
	rows func(c *catalog.Catalog) []any
}

// object is a JSON object whose fields keep the order of its columns.
type object struct {
	t   *table
	row any
}

func objects(t *table, rows []any) []object {
	out := make([]object, len(rows))
	for i, r := range rows {
		out[i] = object{t, r}
	}
	return out
}

// MarshalJSON writes the row's fields in column order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range o.t.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c.Name)
		b.Write(k)
		b.WriteByte(':')
		v := c.get(o.row)
		switch x := v.(type) {
		case []string:
			if x == nil {
				v = []string{}
			}
		case catalog.Date:
			v = x.String()
		}
		enc, err := marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %v", o.t.Name, c.Name, err)
		}
		b.Write(enc)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so that the files read
// as written (<, > and & stay as they are).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// cell formats a value for CSV.
func cell(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case bool:
		if x {
			return "是"
		}
		return "否"
	case []string:
		return strings.Join(x, listSep)
	case catalog.Date:
		return x.String()
	}
	panic(fmt.Sprintf("opendata: no CSV form for %T", v))
}

// Files returns the open-data files of the catalog: path (relative to the
// site root, e.g. "data/qualifications.json") → bytes. The same catalog
// and dates give the same bytes. Validity is computed as of on, the build
// date; updated is what the files give as their date.
func Files(c *catalog.Catalog, on, updated catalog.Date) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, t := range tables(c, on) {
		rows := t.rows(c)
		if t.JSON != "" {
			doc := struct {
				Dataset string   `json:"dataset"`
				Updated string   `json:"updated"`
				Rows    []object `json:"rows"`
			}{t.Name, updated.String(), objects(t, rows)}
			b, err := marshal(doc)
			if err != nil {
				return nil, fmt.Errorf("opendata: %v", err)
			}
			var out bytes.Buffer
			if err := json.Indent(&out, b, "", "  "); err != nil {
				return nil, fmt.Errorf("opendata: %v", err)
			}
			out.WriteByte('\n')
			files[t.JSON] = out.Bytes()
		}
		b, err := csvFile(t, rows)
		if err != nil {
			return nil, err
		}
		files[t.CSV] = b
	}
	if c != nil {
		if err := batchFiles(c, files); err != nil {
			return nil, err
		}
	}
	return files, nil
}

func csvFile(t *table, rows []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	w.UseCRLF = true // RFC 4180
	var rec []string
	for _, c := range t.cols {
		if !c.jsonOnly {
			rec = append(rec, c.Name)
		}
	}
	w.Write(rec)
	for _, r := range rows {
		rec = rec[:0]
		for _, c := range t.cols {
			if !c.jsonOnly {
				rec = append(rec, cell(c.csvValue(r)))
			}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("opendata: %s: %v", t.CSV, err)
	}
	return b.Bytes(), nil
}

// Datasets describes each dataset and its fields, in the order the /data/
// page lists them.
func Datasets() []Dataset {
	ts := tables(nil, catalog.Date{})
	out := make([]Dataset, len(ts))
	for i, t := range ts {
		d := t.Dataset
		d.Fields = make([]Field, len(t.cols))
		for j, c := range t.cols {
			d.Fields[j] = c.Field
			if c.jsonOnly {
				d.Fields[j].Description += "（仅见于 JSON 格式）"
			}
		}
		out[i] = d
	}
	return append(out, batchDataset())
}

// rowsOf converts a slice of rows to []any.
func rowsOf[T any](rs []T) []any {
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// item is a nested row (a step, a material, a question) with its guide
// and its place in the list, for the flat CSV files.
type item[T any] struct {
	guide *catalog.Guide
	n     int
	v     T
}

func items[T any](c *catalog.Catalog, get func(*catalog.Guide) []T) []any {
	var out []any
	if c == nil {
		return out
	}
	for _, g := range c.Guides {
		for i, v := range get(g) {
			out = append(out, item[T]{g, i + 1, v})
		}
	}
	return out
}

func itemsOf[T any](g *catalog.Guide, vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = item[T]{g, i + 1, v}
	}
	return out
}
