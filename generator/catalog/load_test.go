package catalog

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// testDate is the build date of the tests: the day the window checks
// compare against.
func testDate() Date { return NewDate(2025, 6, 1) }

// TestLoadValid loads a small catalog with every kind of row and expects
// no diagnostics at all.
func TestLoadValid(t *testing.T) {
	c, ds := Load(os.DirFS("testdata/valid"), Options{BuildDate: testDate()})
	for _, d := range ds {
		t.Errorf("unexpected diagnostic:\n%s", d)
	}
	if err := ds.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
	want := Stats{Occupations: 2, Qualifications: 2, Organisations: 1, Offices: 1, Guides: 1, Documents: 1, Changes: 1, Pages: 1}
	if got := c.Stats(); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	// site.toml's build_date wins over the one passed in.
	if got := c.BuildDate().String(); got != "2025-06-01" {
		t.Errorf("BuildDate() = %s, want 2025-06-01", got)
	}
}

// TestLoadDiagnostics loads one small broken catalog per kind of mistake
// (testdata/<case>, synthetic data) and compares every diagnostic, with
// its position and hint, as the editor sees it.
func TestLoadDiagnostics(t *testing.T) {
	tests := []struct {
		dir  string
		want string
	}{
		{"bad-code", `
catalog/occupations.toml:3:1: error: 职业编码 "9-9-99-01" 的格式不对
	hint: 大典编码写成 大类-中类-小类-细类，如 "4-10-01-05"（1 位-2 位-2 位-2 位）
catalog/qualifications.toml:5:1: error: 职业编码 "9999901" 的格式不对
	hint: 大典编码写成 大类-中类-小类-细类，如 "4-10-01-05"（1 位-2 位-2 位-2 位）
`},
		{"bad-date", `
catalog/qualifications.toml:6:1: error: 日期 "2025-13-01" 不存在：没有 13 月
	hint: 月份只能是 01 到 12；如果月和日写反了，写成 2025-01-13
catalog/qualifications.toml:13:1: error: 日期只写年-月-日，不写时间
	hint: 日期写成 2025-11-21（年-月-日，月和日都写两位）
`},
		{"bad-email", `
catalog/offices.toml:6:1: error: "test@example" 不是有效的电子邮箱
	hint: 写成 name@example.org 的形式，不加 mailto: 和空格
`},
		{"bad-grade", `
catalog/qualifications.toml:5:1: error: "甲等" 不是有效的台湾地区技术士等级
	hint: 可选值：甲级、乙级、丙级、单一级
`},
		{"bad-level", `
catalog/qualifications.toml:6:1: error: "六级" 不是有效的职业技能等级
	hint: 可选值：五级、四级、三级、二级、一级
`},
		{"bad-phone", `
catalog/offices.toml:14:1: error: "0000 1234 5678" 不是有效的电话号码
	hint: 写成 区号-号码（0591-87629279）或本地号码（87629279），不加空格；分机写成 0591-87629279-123
catalog/offices.toml:18:1: error: "1234" 不是有效的电话号码
	hint: 写成 区号-号码（0591-87629279）或本地号码（87629279），不加空格；分机写成 0591-87629279-123
catalog/offices.toml:22:1: error: 电话 "12345678" 没有区号：从台湾或外地拨打无法接通
	hint: 加上区号，如 "0595-22135540"；来源没写区号的，在 note 中写“原文作22135540，未写区号”
`},
		{"cairen-without-certifier", `
catalog/qualifications.toml:6:1: warning: 采认资格没有可办理的认定机构（规则：采认由认定机构直接换发证书，来源：闽人社文〔2022〕126号 附件1（seed 000））
	hint: 写上 certifiers（认定机构的 id）或 guide（办事指南），或在 catalog/organisations.toml 中登记认定职业 9-99-99-01 的机构
`},
		{"dangling", `
catalog/guides.toml:5:1: error: 办理渠道 "ceshi-xianshang" 未在 catalog/offices.toml 中定义
	hint: 先在 catalog/offices.toml 中添加，或检查是否写错
catalog/guides.toml:6:1: error: 政策文件 "wenjian" 未在 catalog/documents.toml 中定义
	hint: 先在 catalog/documents.toml 中添加，或检查是否写错
catalog/organisations.toml:12:3: error: 职业编码 "9-99-99-03" 未在 catalog/occupations.toml 中定义
	hint: 是否想写 "9-99-99-01"？先在 catalog/occupations.toml 中添加，或检查是否写错
catalog/qualifications.toml:5:1: error: 职业编码 "9-99-99-02" 未在 catalog/occupations.toml 中定义
	hint: 是否想写 "9-99-99-01"？先在 catalog/occupations.toml 中添加，或检查是否写错
catalog/qualifications.toml:6:1: error: 办事指南 "caixn" 未在 catalog/guides.toml 中定义
	hint: 是否想写 "caixin"？先在 catalog/guides.toml 中添加，或检查是否写错
catalog/qualifications.toml:7:1: error: 政策文件 "wenjian" 未在 catalog/documents.toml 中定义
	hint: 先在 catalog/documents.toml 中添加，或检查是否写错
`},
		{"document-summary", `
catalog/documents.toml:5:1: error: 摘要文件 "content/documents/ceshi.md" 在 content/ 中不存在
	hint: 路径相对于 content/ 文件夹：写成 "documents/ceshi.md"
catalog/documents.toml:6:1: warning: 网址 "http://example.org/notice" 使用不加密的 http
	hint: 对方网站支持时改成 https://
catalog/documents.toml:12:1: error: 摘要文件 "documents/missing.md" 在 content/ 中不存在
	hint: 路径相对于 content/ 文件夹，例如 "documents/min-2022-126.md"；先新建这个 Markdown 文件
content/documents/ceshi.md:3:1: error: 未知字段 "author"
	hint: 可用字段：title
`},
		{"duplicate-id", `
catalog/occupations.toml:8:1: error: 职业编码 "9-99-99-01" 重复，第一次出现在 catalog/occupations.toml:3:1
	hint: 每一条的 code 必须不同：改掉其中一个，或删去重复的一条
catalog/qualifications/more.toml:3:1: error: 资格编号 "ceshi-a" 重复，第一次出现在 catalog/qualifications.toml:3:1
	hint: 每一条的 id 必须不同：改掉其中一个，或删去重复的一条
`},
		{"expired-active", `
catalog/organisations.toml:9:1: error: 已过期但仍标记为有效：有效期至 2024-12-31，早于构建日期 2025-06-01
	hint: 已续期就更新 valid_until 并补充来源；否则删去 status = "有效"，网站会按有效期显示“已过期”
`},
		{"fuzhou-quota", `
catalog/organisations.toml:33:3: error: 职业 9-99-99-01（测试职业甲） 在福州市的第 3 家社会培训评价组织（规则：每个职业最多 2 家，来源：福州市人社局 2021-04-22 征集社会培训评价组织公告（seed 004））
	hint: 已登记：ceshi-a（catalog/organisations.toml:11:3）、ceshi-b（catalog/organisations.toml:22:3）；把已退出的机构改为 status = "移出"，或核对职业编码
`},
		{"inverted-window", `
catalog/organisations.toml:8:1: error: 有效期结束日 2024-03-01 早于开始日 2025-03-01
	hint: 检查 valid_from 和 valid_until 是否写反
`},
		{"guide-model", `
catalog/guides.toml:5:1: error: 读者 audience "机构" 不是可选的读者
	hint: 可选值：台胞、评价机构、技工院校、用人单位、境外发证机构
catalog/guides.toml:6:1: error: 指南 "ceshi-jigou" 把自己列为相关指南
	hint: 删去这一项：related 只列同一办事过程中的其他指南
catalog/guides.toml:6:1: error: 办事指南 "ceshi-yuanxiao" 未在 catalog/guides.toml 中定义
	hint: 先在 catalog/guides.toml 中添加，或检查是否写错
catalog/guides.toml:14:3: warning: [[guide.conditions]] 没有写出处 source（规则：数据须注明出处（data/FACTS.md））
	hint: 加上 source = "…"：文件名称或文号和条款，例如 source = "桂人社规〔2020〕12号 六（二）"
catalog/guides.toml:17:3: warning: [[guide.forms]] 没有写出处 source（规则：数据须注明出处（data/FACTS.md））
	hint: 加上 source = "…"：文件名称或文号和条款，例如 source = "桂人社规〔2020〕12号 六（二）"
catalog/guides.toml:25:3: error: 缺少必填字段 "text"
	hint: 在 [[guide.duties]] 下加上 text = …
`},
		{"key-case", `
catalog/qualifications.toml:6:1: error: 字段名 "Level" 的大小写不对
	hint: 改成 "level"（字段名一律小写）
`},
		{"missing-required", `
catalog/qualifications.toml:2:1: error: 缺少必填字段 "id"
	hint: 在 [[qualification]] 下加上 id = …
catalog/qualifications.toml:4:1: error: 必填字段 "taiwan_name" 是空的
	hint: 填写内容，不要留空
`},
		{"missing-site", `
catalog/site.toml: error: 缺少站点设置文件
	hint: 新建 catalog/site.toml，至少写上网站名称：name = "…"
`},
		{"inferred-without-value", `
catalog/qualifications.toml:6:1: error: route_inferred 说明了推断的理由，但没有写 route
	hint: 写上推断出的 route（"采信" 或 "采认"），或删去 route_inferred
catalog/qualifications.toml:7:1: error: level_inferred 说明了推断的理由，但没有写 level
	hint: 写上推断出的 level，或删去 level_inferred
`},
		{"placeholder-url", `
catalog/site.toml:3:1: warning: base_url "https://example.org/" 是示例占位地址，不能发布给读者
	hint: 写部署的真实地址；没有时删去这一行（没有 base_url 是预览构建，没有 verifier_url 时核验页不显示表单）
`},
		{"missing-source", `
catalog/occupations.toml:2:1: warning: 没有写来源 sources（规则：数据须注明出处（data/FACTS.md））
	hint: 例如 sources = ["福建省人社厅，闽人社办〔2025〕141号，2025-11-21"]：发布机构或媒体、文号、日期
`},
		{"mobile-number", `
catalog/offices.toml:10:1: error: "13800000000" 是手机号码：本站只公布办公电话，不公布个人手机号
	hint: 改用单位的办公电话，如 0591-87629279（区号-号码）
`},
		{"multiple-errors", `
catalog/qualifications.toml:6:1: error: 未知字段 "levle"
	hint: 是否想写 "level"？可用字段：id、taiwan_name、taiwan_grade、occupation、occupation_as_published、level、route、route_inferred、level_inferred、category、batch、document、effective、scope、guide、certifiers、notes、sources
catalog/qualifications.toml:13:1: error: "六级" 不是有效的职业技能等级
	hint: 可选值：五级、四级、三级、二级、一级
catalog/qualifications.toml:14:1: error: 字段 "batch" 的类型不对：应为整数，这里是文字
	hint: 写数字，不加引号，例如 batch = 5
catalog/qualifications.toml:20:1: error: 职业编码 "4-10-01-99" 未在 catalog/occupations.toml 中定义
	hint: 先在 catalog/occupations.toml 中添加，或检查是否写错
`},
		{"nested-tables", `
catalog/guides.toml:13:3: error: "扫描件" 不是有效的材料形式
	hint: 可选值：原件、复印件、原件及复印件、电子版
catalog/guides.toml:15:3: error: 缺少必填字段 "action"
	hint: 在 [[guide.steps]] 下加上 action = …
catalog/guides.toml:17:3: error: 未知字段 "acton"
	hint: 是否想写 "actor"？可用字段：actor、action、time_limit、fee、branch、source
`},
		{"status-without-date", `
catalog/organisations.toml:7:1: error: 机构状态为"暂停"时须写明 status_date 和 status_reason
	hint: 例如 status_date = 2025-01-01 和 status_reason = "…"，按公告原文填写
`},
		{"bad-statistics", `
catalog/statistics.toml:10:1: error: 采信项目 "ceshi-b" 未在 catalog/qualifications.toml 中定义
	hint: 是否想写 "ceshi-a"？先在 catalog/qualifications.toml 中添加，或检查是否写错
catalog/statistics.toml:13:1: error: 年份 2017 不在 2018 年至今之间
	hint: 采信证书自 2018 年起签发
catalog/statistics.toml:14:1: error: 份数不对：count = 0，revoked = 0
	hint: count 为签发份数（至少 1），revoked 为其中已撤销的份数
`},
		{"stray-file", `
catalog/qualification.toml:1:1: error: 这个文件不会被读取：文件名或所在文件夹不对
	hint: 目录文件名只能是 site、occupations、qualifications、organisations、offices、guides、documents、changes、statistics（加 .toml），或放在同名文件夹里，如 catalog/qualifications/第五批.toml
`},
		{"syntax-error", `
catalog/qualifications.toml:4:21: error: TOML 格式错误：引号没有闭合：这一行的文字缺少结尾的引号
	hint: 在文字末尾补上英文双引号 "，例如 taiwan_name = "…"；要写多行文字，开头和结尾各用三个引号 """
`},
		{"unknown-key", `
catalog/qualifications.toml:13:1: error: 未知字段 "levle"
	hint: 是否想写 "level"？可用字段：id、taiwan_name、taiwan_grade、occupation、occupation_as_published、level、route、route_inferred、level_inferred、category、batch、document、effective、scope、guide、certifiers、notes、sources
`},
		{"unknown-table", `
catalog/qualifications.toml:2:1: error: 未知的表 "qualifcation"
	hint: 是否想写 [[qualification]]？本文件只能写 [[qualification]] 表
`},
		{"window-over-3-years", `
catalog/organisations.toml:8:1: warning: 备案有效期超过 3 年：2021-05-01 至 2024-05-02（规则：福州市社会培训评价组织备案有效期 3 年，来源：福州市人社局 2021-04-22 征集社会培训评价组织公告（seed 004））
	hint: 核对公告中的有效期；如公告确为更长期限，在 notes 中说明
`},
		{"wrong-type", `
catalog/qualifications.toml:6:1: error: 字段 "batch" 的类型不对：应为整数，这里是文字
	hint: 写数字，不加引号，例如 batch = 5
catalog/qualifications.toml:7:1: error: 字段 "certifiers" 的类型不对：应为文字数组，这里是文字
	hint: 写成数组，例如 certifiers = ["…", "…"]
`},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			_, ds := Load(os.DirFS("testdata/"+tt.dir), Options{BuildDate: testDate()})
			var lines []string
			for _, d := range ds {
				lines = append(lines, d.String())
			}
			got := strings.Join(lines, "\n")
			if want := strings.TrimSpace(tt.want); got != want {
				t.Errorf("diagnostics:\n%s\n\nwant:\n%s", got, want)
			}
		})
	}
}

// TestSplitLoad loads every test catalog, the shipped one and synthetic
// ones (clean and broken), with big files cut into pieces decoded side
// by side (cut as finely as the headers allow), and whole: the
// diagnostics and rows must be the same.
func TestSplitLoad(t *testing.T) {
	type result struct {
		diags []string
		rows  []string
	}
	load := func(fsys fs.FS) result {
		c, ds := Load(fsys, Options{})
		var r result
		for _, d := range ds {
			r.diags = append(r.diags, d.String())
		}
		for _, q := range c.Qualifications {
			r.rows = append(r.rows, fmt.Sprintf("%+v", *q))
		}
		for _, o := range c.Organisations {
			r.rows = append(r.rows, fmt.Sprintf("%+v", *o))
		}
		for _, g := range c.Guides {
			r.rows = append(r.rows, fmt.Sprintf("%s %v %d", g.ID, g.Pos, len(g.Steps)))
		}
		return r
	}
	cases := map[string]fs.FS{
		"shipped":          os.DirFS("../.."),
		"synthetic":        synthetic(300, false),
		"synthetic-broken": synthetic(300, true),
		// A header line inside multi-line strings: the cut must not
		// take it for one (or must notice, and decode whole).
		"header-in-string": fstest.MapFS{
			"catalog/site.toml": {Data: []byte("name = \"测试站（虚构）\"\n")},
			"catalog/qualifications.toml": {Data: []byte(strings.Repeat(
				"[[qualification]]\nid = \"a\"\nnotes = \"\"\"\n[[qualification]]\nid = 'x'\n\"\"\"\n[[qualification]]\nid = \"b\"\nnotes = '''\n[[qualification]]\n'''\n", 3))},
		},
	}
	ents, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		cases["testdata/"+e.Name()] = os.DirFS(filepath.Join("testdata", e.Name()))
	}
	size, pieces := splitSize, splitPieces
	t.Cleanup(func() { splitSize, splitPieces = size, pieces })
	for name, fsys := range cases {
		splitSize, splitPieces = 1<<40, 1
		whole := load(fsys)
		splitSize, splitPieces = 1, 64
		cut := load(fsys)
		if !reflect.DeepEqual(whole, cut) {
			t.Errorf("%s: loaded in pieces differs from whole:\n%q\n%q", name, cut.diags, whole.diags)
		}
		if name == "synthetic" && len(cut.rows) != 300+15+len(whole.rows)-315 {
			t.Errorf("synthetic: %d rows", len(cut.rows))
		}
	}
}
