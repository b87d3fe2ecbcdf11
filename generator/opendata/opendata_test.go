package opendata

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/qualbridge/qualbridge/generator/annex"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

var buildDate = catalog.NewDate(2025, time.December, 1)

// dataDate is the data's latest change date the generator would pass.
var dataDate = catalog.NewDate(2025, time.November, 20)

// fixture is a small fictional catalog: every name, code and phone number
// here is made up for the tests, none is a fact.
func fixture() *catalog.Catalog {
	d := func(y int, m time.Month, day int) catalog.Date { return catalog.NewDate(y, m, day) }
	return &catalog.Catalog{
		Occupations: []*catalog.Occupation{
			{Code: "9-99-01-01", Name: "测试员", Aliases: []string{"试验员"}, Sources: []string{"虚构"}},
		},
		Qualifications: []*catalog.Qualification{
			{ID: "test-a", TaiwanName: "测试技术士", TaiwanGrade: catalog.GradeB, Occupation: "9-99-01-01",
				Level: catalog.Level2, Route: catalog.Adoption, Category: catalog.Skill, Batch: 3,
				Document: "test-doc", Effective: d(2025, 1, 2), Scope: catalog.Fujian, Guide: "test-guide",
				Notes: "多行\n说明，带逗号, \"引号\" 和 <尖括号> & 符号", Sources: []string{"虚构来源 A", "虚构来源 B"}},
			{ID: "test-b", TaiwanName: "空白技术士", Route: catalog.Recognition},
		},
		Organisations: []*catalog.Organisation{
			{ID: "org-expiring", Name: "虚构评价机构甲", Type: catalog.SocialOrg, ValidFrom: d(2023, 1, 1), ValidUntil: d(2025, 12, 31),
				Status: catalog.Active, Certifies: []catalog.Certification{{Occupation: "9-99-01-01", Levels: []catalog.Level{catalog.Level4, catalog.Level3}}},
				Phones: []string{"0000-00000000"}},
			{ID: "org-valid", Name: "虚构评价机构乙", ValidUntil: d(2027, 1, 1), Status: catalog.Active},
			{ID: "org-expired", Name: "虚构评价机构丙", ValidUntil: d(2025, 11, 30), Status: catalog.Active},
			{ID: "org-suspended", Name: "虚构评价机构丁", ValidUntil: d(2027, 1, 1), Status: catalog.Suspended, StatusDate: d(2025, 6, 1)},
			{ID: "org-unknown", Name: "虚构评价机构戊", Status: catalog.Active},
		},
		Offices: []*catalog.Office{
			{ID: "test-window", Name: "虚构窗口", Kind: catalog.WindowOffice, Path: []string{"应用", "菜单"}, Services: []string{"test-guide"}},
		},
		Guides: []*catalog.Guide{
			{ID: "test-guide", Title: "测试业务", Audience: "评价机构", Related: []string{"test-empty"},
				Conditions: []catalog.Condition{{Group: "基本条件", Text: "虚构条件", Source: "虚构通知 一（一）1"}},
				Materials:  []catalog.Material{{Name: "身份证件", Form: catalog.Original, Translation: true}, {Name: "申请表"}},
				Forms:      []catalog.Annex{{Name: "《虚构表》", Asks: []string{"机构名称", "职业编码"}, Source: "虚构通知 附件1"}},
				Steps:      []catalog.Step{{Actor: "申请人", Action: "提出申请", Fee: "不收费", Source: "虚构通知 三"}, {Actor: "窗口", Action: "受理", TimeLimit: "1个工作日", Branch: "某情形"}},
				Duties:     []catalog.Duty{{Text: "报送计划", TimeLimit: "提前10个工作日", Source: "虚构通知 三（三）1"}},
				FAQ:        []catalog.QA{{Q: "问？", A: "答。"}}},
			{ID: "test-empty", Title: "无步骤的业务"},
		},
		Documents: []*catalog.Document{
			{ID: "test-doc", Number: "虚〔2025〕1号", Title: "虚构文件", Date: d(2025, 1, 1), Status: catalog.InForce},
		},
		Changes: []*catalog.Change{
			{ID: "test-change", Date: d(2025, 1, 2), Kind: catalog.BatchChange, Title: "虚构批次", Qualifications: []string{"test-a"}},
		},
	}
}

func files(t *testing.T, c *catalog.Catalog) map[string][]byte {
	t.Helper()
	fs, err := Files(c, buildDate, dataDate)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// readCSV checks the byte order mark and returns the records.
func readCSV(t *testing.T, name string, b []byte) [][]string {
	t.Helper()
	rest, ok := bytes.CutPrefix(b, []byte("\ufeff"))
	if !ok {
		t.Fatalf("%s: no UTF-8 byte order mark", name)
	}
	r := csv.NewReader(bytes.NewReader(rest))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return recs
}

// jsonKeys returns the keys of each row object in the order written.
func jsonKeys(t *testing.T, name string, b []byte) (rows []map[string]any, keys [][]string) {
	t.Helper()
	var doc struct {
		Dataset string            `json:"dataset"`
		Updated string            `json:"updated"`
		Rows    []json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc.Updated != dataDate.String() {
		t.Errorf("%s: updated %q, want the data's date %s (not the build date)", name, doc.Updated, dataDate)
	}
	for _, raw := range doc.Rows {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, m)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.Token() // {
		var ks []string
		for dec.More() {
			k, _ := dec.Token()
			ks = append(ks, k.(string))
			var skip json.RawMessage
			dec.Decode(&skip)
		}
		keys = append(keys, ks)
	}
	return rows, keys
}

func TestRoundTrip(t *testing.T) {
	c := fixture()
	fs := files(t, c)
	ts := tables(c, buildDate)
	want := 0
	for _, tb := range ts {
		if tb.JSON != "" {
			want++
		}
		want++
	}
	want += 2 * len(annex.Batches(c)) // data/batch-N.csv and .xlsx
	if len(fs) != want {
		t.Errorf("%d files, want %d", len(fs), want)
	}
	for _, tb := range ts {
		t.Run(tb.Name, func(t *testing.T) {
			rows := tb.rows(c)
			recs := readCSV(t, tb.CSV, fs[tb.CSV])
			var header []string
			for _, col := range tb.cols {
				if !col.jsonOnly {
					header = append(header, col.Name)
				}
			}
			if !reflect.DeepEqual(recs[0], header) {
				t.Errorf("CSV header %q, want %q", recs[0], header)
			}
			if len(recs)-1 != len(rows) {
				t.Fatalf("CSV has %d rows, want %d", len(recs)-1, len(rows))
			}
			for i, r := range rows {
				j := 0
				for _, col := range tb.cols {
					if col.jsonOnly {
						continue
					}
					if got, want := recs[i+1][j], cell(col.csvValue(r)); got != want {
						t.Errorf("row %d %s = %q, want %q", i, col.Name, got, want)
					}
					j++
				}
			}
			if tb.JSON == "" {
				return
			}
			objs, keys := jsonKeys(t, tb.JSON, fs[tb.JSON])
			if len(objs) != len(rows) {
				t.Fatalf("JSON has %d rows, want %d", len(objs), len(rows))
			}
			var names []string
			for _, col := range tb.cols {
				names = append(names, col.Name)
			}
			for i := range objs {
				if !reflect.DeepEqual(keys[i], names) {
					t.Errorf("JSON row %d keys %q, want %q", i, keys[i], names)
				}
			}
		})
	}
}

func TestValues(t *testing.T) {
	fs := files(t, fixture())
	orgs, _ := jsonKeys(t, "organisations", fs["data/organisations.json"])
	validity := map[string]string{}
	// The day each state began, not the build date: the rows stay the
	// same from build to build until a state changes.
	since := map[string]string{"org-expiring": "2025-10-02", "org-valid": "", "org-expired": "2025-12-01", "org-suspended": "2025-06-01", "org-unknown": ""}
	for _, o := range orgs {
		validity[o["id"].(string)] = o["validity"].(string)
		if id := o["id"].(string); o["validity_since"] != since[id] {
			t.Errorf("%s: validity_since %v, want %q", id, o["validity_since"], since[id])
		}
	}
	want := map[string]string{"org-expiring": "即将到期", "org-valid": "有效", "org-expired": "已过期", "org-suspended": "暂停", "org-unknown": "未公布"}
	if !reflect.DeepEqual(validity, want) {
		t.Errorf("validity = %v, want %v", validity, want)
	}
	certs := orgs[0]["certifies"].([]any)[0].(map[string]any)
	if certs["occupation"] != "9-99-01-01" || !reflect.DeepEqual(certs["levels"], []any{"四级", "三级"}) {
		t.Errorf("certifies = %v", certs)
	}

	for _, s := range []string{
		"org-expiring,虚构评价机构甲,社会培训评价组织,,,,9-99-01-01:四级、三级,2023-01-01,2025-12-31,有效,,,即将到期,2025-10-02,,,0000-00000000,,\r\n",
		"test-a,测试技术士,乙级,9-99-01-01,,,二级,二级/技师,published,,采信,published,,技能类,3,test-doc,,2025-01-02,福建,test-guide,,\"多行\r\n说明，带逗号, \"\"引号\"\" 和 <尖括号> & 符号\",虚构来源 A；虚构来源 B\r\n",
		"test-guide,1,申请人,提出申请,,,不收费,虚构通知 三\r\n",
		"test-guide,2,窗口,受理,1个工作日,某情形,,\r\n",
		"test-guide,1,身份证件,原件,是,,,\r\n",
		"test-guide,2,申请表,,否,,,\r\n",
		"test-guide,1,基本条件,虚构条件,虚构通知 一（一）1\r\n",
		"test-guide,1,《虚构表》,机构名称；职业编码,,虚构通知 附件1\r\n",
		"test-guide,1,,报送计划,提前10个工作日,虚构通知 三（三）1\r\n",
	} {
		found := false
		for _, b := range fs {
			found = found || bytes.Contains(b, []byte(s))
		}
		if !found {
			t.Errorf("no CSV holds the line %q", s)
		}
	}
	for _, s := range []string{
		`"notes": "多行\n说明，带逗号, \"引号\" 和 <尖括号> & 符号"`,
		`"formerly": []`,
		`"effective": ""`,
		`"translation": true`,
	} {
		found := false
		for _, b := range fs {
			found = found || bytes.Contains(b, []byte(s))
		}
		if !found {
			t.Errorf("no JSON holds %s", s)
		}
	}
	guides, _ := jsonKeys(t, "guides", fs["data/guides.json"])
	steps := guides[0]["steps"].([]any)
	if len(steps) != 2 || steps[1].(map[string]any)["time_limit"] != "1个工作日" {
		t.Errorf("guide steps = %v", steps)
	}
	if s := guides[1]["materials"].([]any); len(s) != 0 {
		t.Errorf("empty guide's materials = %v", s)
	}
}

// TestFieldsDocumented fails when a column is added without a
// description, or a description names no column.
func TestFieldsDocumented(t *testing.T) {
	fs := files(t, fixture())
	names := map[string]bool{}
	for _, d := range Datasets() {
		if names[d.Name] {
			t.Errorf("dataset %s listed twice", d.Name)
		}
		names[d.Name] = true
		if !hasHan(d.Title) || !hasHan(d.Description) {
			t.Errorf("%s: title and description must be in Chinese", d.Name)
		}
		documented := map[string]bool{}
		for _, f := range d.Fields {
			if documented[f.Name] {
				t.Errorf("%s: field %s documented twice", d.Name, f.Name)
			}
			documented[f.Name] = true
			if !hasHan(f.Description) || f.Type == "" {
				t.Errorf("%s.%s: needs a type and a description in Chinese", d.Name, f.Name)
			}
		}
		used := map[string]bool{}
		csvPath := d.CSV
		if d.Name == "batches" {
			csvPath = fmt.Sprintf("data/batch-%d.csv", annex.Batches(fixture())[0])
		}
		recs := readCSV(t, csvPath, fs[csvPath])
		for _, h := range recs[0] {
			used[h] = true
			if !documented[h] {
				t.Errorf("%s: CSV column %s is not documented", d.CSV, h)
			}
		}
		if d.JSON != "" {
			_, keys := jsonKeys(t, d.JSON, fs[d.JSON])
			for _, ks := range keys {
				for _, k := range ks {
					used[k] = true
					if !documented[k] {
						t.Errorf("%s: JSON field %s is not documented", d.JSON, k)
					}
				}
			}
		}
		for f := range documented {
			if !used[f] {
				t.Errorf("%s: documented field %s is in no file", d.Name, f)
			}
		}
		for _, p := range []string{d.JSON, d.CSV} {
			if p != "" && fs[p] == nil {
				t.Errorf("%s: %s is not written", d.Name, p)
			}
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestDeterministic(t *testing.T) {
	a := files(t, fixture())
	for range 3 {
		b := files(t, fixture())
		if !reflect.DeepEqual(a, b) {
			t.Fatal("two exports of the same catalog differ")
		}
	}
}

func TestEmpty(t *testing.T) {
	fs := files(t, &catalog.Catalog{})
	for name, b := range fs {
		if strings.HasSuffix(name, ".json") && !bytes.Contains(b, []byte(`"rows": []`)) {
			t.Errorf("%s: %s", name, b)
		}
	}
}

// TestShipped exports the repository's catalog.
func TestShipped(t *testing.T) {
	c, ds := catalog.Load(os.DirFS("../.."), catalog.Options{BuildDate: buildDate})
	if err := ds.Err(); err != nil {
		t.Skipf("the shipped catalog does not load: %v", err)
	}
	fs := files(t, c)
	recs := readCSV(t, "qualifications.csv", fs["data/qualifications.csv"])
	if len(recs) != len(c.Qualifications)+1 {
		t.Fatalf("%d rows for %d qualifications", len(recs)-1, len(c.Qualifications))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var found bool
	inferred := 0
	for _, r := range recs[1:] {
		if r[col["taiwan_name"]] == "照顾服务员" && r[col["occupation_name"]] == "养老护理员" && r[col["document_number"]] == "闽人社办〔2025〕141号" {
			found = true
			// Batch 5 is a direct-recognition list by its own title.
			if r[col["route"]] != "采认" || r[col["route_basis"]] != "published" {
				t.Errorf("照顾服务员: route %q (%s), want 采认 (published)", r[col["route"]], r[col["route_basis"]])
			}
		}
		if r[col["route_basis"]] == "inferred" {
			inferred++
			if r[col["route_reason"]] == "" {
				t.Errorf("%s: inferred route without a reason", r[col["id"]])
			}
		}
	}
	if !found {
		t.Error("no row maps 照顾服务员 to 养老护理员 under 闽人社办〔2025〕141号")
	}
	if inferred != 3 {
		t.Errorf("%d rows with an inferred route, want 3 (美容丙级, 烘焙食品 ×2)", inferred)
	}
	phones := readCSV(t, "office-phones.csv", fs["data/office-phones.csv"])
	var quanzhou bool
	for _, r := range phones[1:] {
		if r[1] == "0595-22135540" && r[2] == "+86-595-22135540" && r[3] != "" {
			quanzhou = true
		}
	}
	if !quanzhou {
		t.Error("office-phones.csv: no line 0595-22135540 dialled as +86-595-22135540 with its purpose")
	}
	for name, b := range fs {
		if strings.HasSuffix(name, ".json") && !json.Valid(b) {
			t.Errorf("%s: invalid JSON", name)
		}
	}
}

func ExampleDatasets() {
	for _, d := range Datasets()[:2] {
		fmt.Println(d.Name, d.JSON, d.CSV, d.Fields[0].Name)
	}
	// Output:
	// qualifications data/qualifications.json data/qualifications.csv id
	// occupations data/occupations.json data/occupations.csv code
}

// TestBatchFiles: each batch in the annex's own column order, CSV and
// XLSX, the same bytes on every export.
func TestBatchFiles(t *testing.T) {
	fs := files(t, fixture())
	recs := readCSV(t, "data/batch-3.csv", fs["data/batch-3.csv"])
	want := []string{"序号", "大陆职业名称", "大陆标准等级", "台湾地区技术士名称", "台湾地区标准等级"}
	if !reflect.DeepEqual(recs[0], want) || len(recs) < 2 || recs[1][0] != "1" {
		t.Errorf("batch-3.csv: %v", recs)
	}
	x := fs["data/batch-3.xlsx"]
	if !bytes.HasPrefix(x, []byte("PK")) {
		t.Fatalf("batch-3.xlsx is not a workbook")
	}
	if again := files(t, fixture())["data/batch-3.xlsx"]; !bytes.Equal(again, x) {
		t.Errorf("two exports of batch-3.xlsx differ")
	}
}

func TestDatasetsOf(t *testing.T) {
	var got []Download
	for _, d := range DatasetsOf(fixture()) {
		if d.Name == "batches" {
			got = d.Downloads
		}
	}
	want := []Download{{"第3批 XLSX", "data/batch-3.xlsx"}, {"第3批 CSV", "data/batch-3.csv"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("downloads %v, want %v", got, want)
	}
}
