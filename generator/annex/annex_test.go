package annex

import (
	"bytes"
	"strings"
	"testing"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/catalog"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// TestXLSX imports a batch-5-shaped workbook: a merged title row above
// the header, an occupation merged over two rows, a blank spacer row,
// Traditional-character levels and grades, and the real row 1, which
// the catalog already holds.
func TestXLSX(t *testing.T) {
	rows := [][]string{
		{"附件：福建省直接采认台湾地区职业技能资格目录（第五批）"},
		header5,
		{"1", "养老护理员", "四级/中级工", "照顾服务员", "单一级"},
		{"2", "美发师", "四級", "示例美发技术士", "乙級"},
		{"3", "", "中级工", "示例造型技术士", "單一級"},
		{},
		{"一、托育服务类"},
		{"4", "婴幼儿发展引导员", "三级（高级工）", "示例托育技术士", "丙级"},
		{"5", "育婴员", "五级", "示例保母技术士", "甲级"},
	}
	data := xlsxOf(t, rows, "A1:E1", "B4:B5", "A7:E7")
	repo := shipped(t)
	// The catalog as it stood before 2026-12-01, with the real row filed
	// under 采信: the annex (直接采认) must say the two disagree.
	q := repo["catalog/qualifications.toml"]
	q.Data = bytes.Replace(q.Data, []byte("route = \"采认\"\ncategory"), []byte("route = \"采信\"\ncategory"), 1)
	p, ds := Import(repo, "annex.xlsx", data, batch5)
	if ds.Err() != nil {
		t.Fatalf("unexpected errors:\n%s", lines(ds))
	}
	want := `annex.xlsx!Sheet1!A3: warning: 本行已在目录中，但办理方式不同
	hint: 目录中 catalog/qualifications.toml:12:1 的这一行写的是 route = "采信"，附件按 "采认" 导入；请核对后改正其中一处
`
	if got := lines(ds); got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
	type row struct{ id, name, grade, code, published, level string }
	var got []row
	for _, e := range p.Entries {
		q := e.Row
		got = append(got, row{q.ID, q.TaiwanName, string(q.TaiwanGrade), q.Occupation, q.OccupationAsPublished, string(q.Level)})
	}
	wantRows := []row{
		{"zhaogu-fuwuyuan-danyi-yanglao-huliyuan-4", "照顾服务员", "单一级", "4-10-01-05", "", "四级"},
		{"shili-meifa-jishushi-yi-meifashi-4", "示例美发技术士", "乙级", "4-10-03-02", "", "四级"},
		{"shili-zaoxing-jishushi-danyi-meifashi-4", "示例造型技术士", "单一级", "4-10-03-02", "", "四级"},
		{"shili-tuoyu-jishushi-bing-yingyouer-fazhan-yindaoyuan-3", "示例托育技术士", "丙级", "4-10-01-01", "", "三级"},
		{"shili-baomu-jishushi-jia-yuyingyuan-5", "示例保母技术士", "甲级", "4-10-01-01", "育婴员", "五级"},
	}
	if len(got) != len(wantRows) {
		t.Fatalf("rows %v, want %v", got, wantRows)
	}
	for i := range got {
		if got[i] != wantRows[i] {
			t.Errorf("row %d: %+v, want %+v", i, got[i], wantRows[i])
		}
	}
	if p.Entries[0].Present == nil || p.Entries[0].Present.Pos.File != "catalog/qualifications.toml" {
		t.Errorf("row 1 should be found in catalog/qualifications.toml")
	}
	if len(p.Skipped) != 1 || p.Skipped[0].Text != "一、托育服务类" || p.Skipped[0].Pos.File != "annex.xlsx!Sheet1!A7" {
		t.Errorf("skipped %v, want the section row", p.Skipped)
	}
	batch := string(p.Files["catalog/qualifications/batch-5.toml"])
	for _, s := range []string{
		"# 附件第1项 照顾服务员 单一级 → 养老护理员 四级 已在 catalog/qualifications.toml 中，不在此重复。",
		"# 附件第5项\n[[qualification]]\nid = \"shili-baomu-jishushi-jia-yuyingyuan-5\"\ntaiwan_name = \"示例保母技术士\"\ntaiwan_grade = \"甲级\"\noccupation = \"4-10-01-01\"\noccupation_as_published = \"育婴员\"\nlevel = \"五级\"\nroute = \"采认\"\ncategory = \"技能类\"\nbatch = 5\ndocument = \"minban-2025-141\"\neffective = 2025-11-21\nscope = \"福建\"\nguide = \"cairen\"\nsources = [\"福建省人社厅办公室 闽人社办〔2025〕141号（2025-11-21 印发，2025-11-24 发布，索引号 FJ00114-0605-2025-00095）；附件《福建省直接采认台湾地区职业技能资格目录（第五批）》\"]\n",
	} {
		if !strings.Contains(batch, s) {
			t.Errorf("batch file lacks %q:\n%s", s, batch)
		}
	}
	if strings.Contains(batch, "zhaogu-fuwuyuan") {
		t.Errorf("the real row is written again:\n%s", batch)
	}
	changes := string(p.Files["catalog/changes.toml"])
	wantList := `qualifications = [
  "zhaogu-fuwuyuan-danyi-yanglao-huliyuan-4",
  "shili-meifa-jishushi-yi-meifashi-4",
  "shili-zaoxing-jishushi-danyi-meifashi-4",
  "shili-tuoyu-jishushi-bing-yingyouer-fazhan-yindaoyuan-3",
  "shili-baomu-jishushi-jia-yuyingyuan-5",
]
documents = ["minban-2025-141"]`
	if !strings.Contains(changes, wantList) {
		t.Errorf("changes.toml lacks the batch's rows:\n%s", changes)
	}
	if p.Change != "2025-11-21-batch-5" {
		t.Errorf("change %q", p.Change)
	}

	// Written, the catalog loads clean: no error, and no warning in the
	// files the import wrote (check -strict).
	apply(repo, p)
	c, ds := catalog.Load(repo, catalog.Options{BuildDate: batch5.BuildDate})
	for _, d := range ds {
		if d.Severity == diag.Error || strings.HasPrefix(d.Pos.File, "catalog/qualifications/") || d.Pos.File == "catalog/changes.toml" {
			t.Errorf("after import: %s", d)
		}
	}
	if q := c.Qualification("shili-meifa-jishushi-yi-meifashi-4"); q == nil || q.Batch != 5 {
		t.Errorf("imported row not in the catalog")
	}
	// Importing the same annex again changes nothing.
	again, ds := Import(repo, "annex.xlsx", data, batch5)
	if ds.Err() != nil || len(again.Files) != 0 {
		t.Errorf("re-import: files %v, diagnostics:\n%s", again.Paths(), lines(ds))
	}
}

// TestProblems: every problem of an annex at once, in the annex's order,
// positioned in it, with nearest names as hints.
func TestProblems(t *testing.T) {
	rows := [][]string{
		header5,
		{"1", "养老护理", "四级", "示例照护技术士", "单一级"},
		{"2", "美容师", "六级", "示例美容技术士", "乙级"},
		{"3", "美容师", "二级", "示例美容技术士", "戊级"},
		{"4", "美发师", "四级/高级工", "示例美发技术士", "乙级"},
		{"5", "美甲师", "三级", "示例美甲技术士", "丙级"},
		{"6", "美甲师", "二级", "示例美甲技术士", "丙级"},
		{"7", "美容师", "三级", "美容技术士", "乙级"},
		{"8", "茶艺师", "", "示例茶艺技术士", "丙级"},
	}
	_, ds := Import(shipped(t), "annex.xlsx", xlsxOf(t, rows), batch5)
	want := `annex.xlsx!Sheet1!B2: error: 职业 "养老护理" 未在 catalog/occupations.toml 中找到
	hint: 最接近的名称：“养老护理员”（4-10-01-05）。若是同一职业的另一个名称，在 catalog/occupations.toml 中该职业的 aliases 里加上它（并注明来源）；若是大典中的另一职业，先添加该职业
annex.xlsx!Sheet1!C3: error: 大陆等级 "六级" 无法识别
	hint: 可写：五级/初级工、四级/中级工、三级/高级工、二级/技师、一级/高级技师（“四级”“中级工”“四級”都可以）
annex.xlsx!Sheet1!E4: error: 台湾地区等级 "戊级" 无法识别
	hint: 可写：甲级、乙级、丙级、单一级（繁体“單一級”也可以）
annex.xlsx!Sheet1!C5: error: 大陆等级 "四级/高级工" 无法识别
	hint: 可写：五级/初级工、四级/中级工、三级/高级工、二级/技师、一级/高级技师（“四级”“中级工”“四級”都可以）
annex.xlsx!Sheet1!A7: error: 本行与 annex.xlsx!Sheet1!A6 重复：示例美甲技术士 丙级 → 美甲师 二级
	hint: 同一证书、等级对应同一职业只能有一行：删去重复的一行，或改正其中一行
annex.xlsx!Sheet1!A8: error: 该证书和等级已在目录中：catalog/qualifications.toml:37:1
	hint: 目录中那一行是 美容师 二级（第0批）；同一证书和等级对应同一职业只能有一行：改正附件，或先修改目录中的那一行
annex.xlsx!Sheet1!C9: error: “大陆标准等级”为空
	hint: 每一行都要写全四列；合并单元格的内容导入时会分给它覆盖的每一行
`
	if got := lines(ds); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestOptions: a document or batch that does not exist.
func TestOptions(t *testing.T) {
	data := xlsxOf(t, sampleRows(3))
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Document: "minban-2025-14", Batch: 5}, `-document: error: 文件 "minban-2025-14" 未在 catalog/documents.toml 中定义
	hint: 是否想写 "minban-2025-141"？先在 catalog/documents.toml 中添加这份通知，再导入它的附件
`},
		{Options{Document: "minban-2025-141", Batch: 6}, `-batch: error: 文件 "minban-2025-141" 是第5批目录，不是第6批
	hint: 该文件的题名是《关于公布第五批直接采认台湾地区职业技能资格范围的通知》（catalog/documents.toml:53:1）；批次号或文件标识有一个写错了
`},
		{Options{Document: "min-2021-71", Batch: 5}, `-batch: error: 第5批已属于另一份文件 "minban-2025-141"
	hint: 目录中 catalog/qualifications.toml:12:1 的行是第5批、依据文件 "minban-2025-141"；批次号或文件标识有一个写错了
`},
	} {
		tc.opts.BuildDate = batch5.BuildDate
		_, ds := Import(shipped(t), "annex.xlsx", data, tc.opts)
		if got := lines(ds); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%+v:\n%s\nwant first:\n%s", tc.opts, got, tc.want)
		}
	}
}

// TestMissingColumn: a header without the Taiwan grade.
func TestMissingColumn(t *testing.T) {
	rows := [][]string{
		{"序号", "大陆职业（工种）名称", "等级", "台湾地区职业资格名称"},
		{"1", "养老护理员", "四级", "照顾服务员"},
	}
	_, ds := Import(shipped(t), "annex.csv", csvOf(t, rows, false), batch5)
	want := `annex.csv:1:1: error: 表头缺少“台湾地区标准等级”列
	hint: “台湾地区标准等级”可写作“台湾地区标准等级”、“台湾地区技术士等级”、“台湾地区等级”、“技术士等级”；表头现有：“序号”、“大陆职业（工种）名称”、“等级”、“台湾地区职业资格名称”
`
	if got := lines(ds); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestGB18030: a CSV saved by a Chinese spreadsheet program, with a
// problem positioned line:column (columns count characters).
func TestGB18030(t *testing.T) {
	rows := [][]string{header5, {"1", "养老护理员", "四级/中级工", "照顾服务员", "单一级"}, {"2", "咖啡师", "四级", "示例咖啡技术士", "丁级"}}
	data := csvOf(t, rows, true)
	p, ds := Import(shipped(t), "annex.csv", data, batch5)
	if p.Grid == nil || p.Grid.Encoding != "GB18030" {
		t.Fatalf("encoding not detected: %+v", p.Grid)
	}
	want := `annex.csv:3:18: error: 台湾地区等级 "丁级" 无法识别
	hint: 可写：甲级、乙级、丙级、单一级（繁体“單一級”也可以）
`
	if got := lines(ds); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	// The same file in UTF-8 reads the same.
	p2, _ := Import(shipped(t), "annex.csv", csvOf(t, rows, false), batch5)
	if p2.Grid.Encoding != "UTF-8" || len(p2.Grid.Rows) != len(p.Grid.Rows) {
		t.Errorf("UTF-8: %+v", p2.Grid)
	}
}

// TestHTML: the annex table inside a saved notice page, an occupation
// spread over two rows by rowspan; problems positioned file:line:col.
func TestHTML(t *testing.T) {
	rows := [][]string{
		header5,
		{"1", "养老护理员", "四级/中级工", "照顾服务员", "单一级"},
		{"2", "保健调理师", "四级", "示例调理技术士", "乙级"},
		{"3", "^", "三级", "示例推拿技术士", "丙级"},
		{"4", "保健按摩", "三级", "示例按摩技术士", "丙级"},
	}
	p, ds := Import(shipped(t), "notice.html", htmlOf(rows), batch5)
	want := `notice.html:35:1: error: 职业 "保健按摩" 未在 catalog/occupations.toml 中找到
	hint: 最接近的名称：“保健按摩师”（4-10-04-02）。若是同一职业的另一个名称，在 catalog/occupations.toml 中该职业的 aliases 里加上它（并注明来源）；若是大典中的另一职业，先添加该职业
`
	if got := lines(ds); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if len(p.Entries) != 3 || p.Entries[2].Row.Occupation != "4-10-04-01" || p.Entries[2].Row.ID != "shili-tuina-jishushi-bing-baojian-tiaolishi-3" {
		t.Errorf("rowspan not spread: %+v", p.Entries)
	}
}

// TestTwoRowHeader: 大陆职业（工种） | 台湾地区技术士 merged over 名称 | 等级.
func TestTwoRowHeader(t *testing.T) {
	rows := [][]string{
		{"序号", "大陆职业（工种）", "", "台湾地区技术士", ""},
		{"", "名称", "等级", "名称", "等级"},
		{"1", "养老护理员", "四级", "照顾服务员", "单一级"},
	}
	p, ds := Import(shipped(t), "annex.xlsx", xlsxOf(t, rows, "A1:A2", "B1:C1", "D1:E1"), batch5)
	if ds.Err() != nil || len(p.Entries) != 1 || p.Entries[0].Present == nil {
		t.Errorf("entries %+v:\n%s", p.Entries, lines(ds))
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]catalog.Level{
		"四级": "四级", "四级/中级工": "四级", "中级工": "四级", "四級": "四级", "四級/中級工": "四级",
		"国家职业资格四级": "四级", "4级": "四级", "一级/高级技师": "一级", "高级技师": "一级", "技师": "二级",
		"二级（技师）": "二级", " 三 级 ": "三级", "五级/初级工": "五级", "六级": "", "四级/高级工": "", "": "",
	} {
		if got, _ := parseLevel(in); got != want {
			t.Errorf("parseLevel(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]catalog.Grade{
		"单一级": "单一级", "單一級": "单一级", "单一": "单一级", "乙級": "乙级", "丙": "丙级", "甲级": "甲级", "丁级": "",
	} {
		if got, _ := parseGrade(in); got != want {
			t.Errorf("parseGrade(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestIDs: ids are made as the shipped rows' are.
func TestIDs(t *testing.T) {
	c, _ := catalog.Load(shipped(t), catalog.Options{BuildDate: batch5.BuildDate})
	for _, q := range c.Qualifications {
		o := c.Occupation(q.Occupation)
		if o == nil {
			continue
		}
		name := o.Name
		if q.OccupationAsPublished != "" {
			name = q.OccupationAsPublished
		}
		if got := rowID(q.TaiwanName, q.TaiwanGrade, name, q.Level); got != q.ID {
			t.Errorf("rowID(%s) = %q, shipped %q", q.TaiwanName, got, q.ID)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"照顾服务员": "zhaogu-fuwuyuan", "中餐烹调技术士": "zhongcan-pengtiao-jishushi", "美容师": "meirongshi",
		"示例技术士0002": "shili-jishushi-0002", "车工（数控车工）": "chegong-shukong-chegong",
		"计算机维修工": "jisuanji-weixiugong", "保健调理师": "baojian-tiaolishi", "婴幼儿发展引导员": "yingyouer-fazhan-yindaoyuan",
		"ABC技术士": "abc-jishushi",
	} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestVariants: a code column that disagrees, a column named twice, an
// occupation in Traditional characters, a 工种 in brackets.
func TestVariants(t *testing.T) {
	rows := [][]string{
		{"序号", "職業編碼", "大陸職業名稱", "大陸標準等級", "臺灣地區技術士名稱", "臺灣地區標準等級"},
		{"1", "4-10-01-05", "養老護理員", "四級", "示例照護技术士", "單一級"},
		{"2", "4-10-03-01", "美发师", "三级", "示例美发技术士", "丙级"},
		{"3", "", "车工（数控车工）", "四级", "示例车床技术士", "乙级"},
	}
	p, ds := Import(shipped(t), "annex.csv", csvOf(t, rows, false), batch5)
	want := `annex.csv:3:3: error: 职业编码与职业名称不符
	hint: 4-10-03-01 在 catalog/occupations.toml 中是“美容师”，而“美发师”是 4-10-03-02
`
	if got := lines(ds); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if len(p.Entries) != 2 {
		t.Fatalf("entries %+v", p.Entries)
	}
	if q := p.Entries[0].Row; q.Occupation != "4-10-01-05" || q.OccupationAsPublished != "" || q.ID != "shili-zhaohu-jishushi-danyi-yanglao-huliyuan-4" {
		t.Errorf("Traditional name: %+v", q)
	}
	if q := p.Entries[1].Row; q.Occupation != "6-18-01-01" || q.OccupationAsPublished != "车工（数控车工）" {
		t.Errorf("bracketed 工种: %+v", q)
	}

	rows = [][]string{append(header5, "大陆等级"), {"1", "养老护理员", "四级", "照顾服务员", "单一级", "四级"}}
	_, ds = Import(shipped(t), "annex.csv", csvOf(t, rows, false), batch5)
	want = `annex.csv:1:37: error: 表头中“大陆等级”出现了两次
	hint: 与 annex.csv:1:11 同为“大陆标准等级”；删去多余的一列，或改正列名
`
	if got := lines(ds); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestHTMLGBK: a page saved in GBK says so in its <meta>.
func TestHTMLGBK(t *testing.T) {
	page := strings.Replace(string(htmlOf(sampleRows(3))), `charset="utf-8"`, `charset="gbk"`, 1)
	data, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	p, ds := Import(shipped(t), "notice.html", data, batch5)
	if ds.Err() != nil || p.Grid.Encoding != "GB18030" || len(p.Entries) != 3 || p.Entries[2].Row.TaiwanName != "示例技术士0003" {
		t.Errorf("grid %+v, entries %+v:\n%s", p.Grid, p.Entries, lines(ds))
	}
}
