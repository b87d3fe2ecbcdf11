package catalog

import (
	"os"
	"slices"
	"testing"
)

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Pos: Pos{File: "catalog/qualifications.toml", Line: 12, Col: 1}, Message: `未知字段 "levle"`, Hint: `是否想写 "level"？`},
			"catalog/qualifications.toml:12:1: error: 未知字段 \"levle\"\n\thint: 是否想写 \"level\"？"},
		{Diagnostic{Pos: Pos{File: "catalog/occupations.toml", Line: 2, Col: 3}, Severity: Warning, Message: "没有写来源"},
			"catalog/occupations.toml:2:3: warning: 没有写来源"},
		{Diagnostic{Pos: Pos{File: "catalog/site.toml"}, Message: "缺少站点设置文件"},
			"catalog/site.toml: error: 缺少站点设置文件"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() =\n%s\nwant\n%s", got, tt.want)
		}
	}
}

func TestDiagnosticsErr(t *testing.T) {
	warn := Diagnostic{Pos: Pos{File: "a.toml", Line: 1, Col: 1}, Severity: Warning, Message: "w"}
	bad := Diagnostic{Pos: Pos{File: "a.toml", Line: 2, Col: 1}, Message: "e"}
	if err := (Diagnostics{warn}).Err(); err != nil {
		t.Errorf("warnings only: Err() = %v, want nil", err)
	}
	err := (Diagnostics{warn, bad}).Err()
	if want := "a.toml:1:1: warning: w\na.toml:2:1: error: e"; err == nil || err.Error() != want {
		t.Errorf("Err() = %v, want %q", err, want)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want, err, hint string
	}{
		{"2025-11-21", "2025-11-21", "", ""},
		{"2025-11-21T00:00:00Z", "2025-11-21", "", ""}, // a TOML date literal, as the decoder hands it over
		{"2025-11-21T08:00:00Z", "", "日期只写年-月-日，不写时间", "去掉时间，写成 2025-11-21"},
		{"2025-13-01", "", `日期 "2025-13-01" 不存在：没有 13 月`, "月份只能是 01 到 12；如果月和日写反了，写成 2025-01-13"},
		{"2025-02-30", "", `日期 "2025-02-30" 不存在：2025 年 2 月只有 28 天`, "这个月的最后一天是 2025-02-28：核对原文的日期"},
		{"2025-02-29", "", `日期 "2025-02-29" 不存在：2025 年不是闰年，2 月只有 28 天`, "这个月的最后一天是 2025-02-28：核对原文的日期"},
		{"2024-02-29", "2024-02-29", "", ""},
		{"2025-04-31", "", `日期 "2025-04-31" 不存在：2025 年 4 月只有 30 天`, "这个月的最后一天是 2025-04-30：核对原文的日期"},
		{"2025-04-00", "", `日期 "2025-04-00" 不存在：没有 0 日`, "这个月的最后一天是 2025-04-30：核对原文的日期"},
		{"2025-1-1", "", `日期 "2025-1-1" 的写法不对`, "写成 2025-01-01（年-月-日，用连字符 -，月和日都写两位）"},
		{"2025/02/03", "", `日期 "2025/02/03" 的写法不对`, "写成 2025-02-03（年-月-日，用连字符 -，月和日都写两位）"},
		{"2025年2月3日", "", `日期 "2025年2月3日" 的写法不对`, "写成 2025-02-03（年-月-日，用连字符 -，月和日都写两位）"},
		{"２０２５-０２-０３", "", `日期 "２０２５-０２-０３" 用了全角数字`, "用半角数字：写成 2025-02-03"},
		{"下月", "", `"下月" 不是日期`, "日期写成 2025-11-21（年-月-日，月和日都写两位）"},
		{"", "", `日期是空的`, "写成 2025-11-21；没有日期就删去这一行"},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.in)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err || err.(*badDate).Hint() != tt.hint):
			t.Errorf("ParseDate(%q) error = %v (hint %q), want %q (hint %q)", tt.in, err, err.(*badDate).Hint(), tt.err, tt.hint)
		case tt.err == "" && (err != nil || d.String() != tt.want):
			t.Errorf("ParseDate(%q) = %q, %v; want %q", tt.in, d, err, tt.want)
		}
	}
}

func TestLevel(t *testing.T) {
	tests := []struct {
		l     Level
		title string
		rank  int
	}{
		{Level5, "五级/初级工", 5},
		{Level4, "四级/中级工", 4},
		{Level3, "三级/高级工", 3},
		{Level2, "二级/技师", 2},
		{Level1, "一级/高级技师", 1},
		{"", "", 0},
	}
	for _, tt := range tests {
		if got := tt.l.Title(); got != tt.title {
			t.Errorf("%q.Title() = %q, want %q", tt.l, got, tt.title)
		}
		if got := tt.l.Rank(); got != tt.rank {
			t.Errorf("%q.Rank() = %d, want %d", tt.l, got, tt.rank)
		}
	}
}

func TestValidity(t *testing.T) {
	on := NewDate(2025, 6, 1)
	window := func(from, until Date) *Organisation {
		return &Organisation{Status: Active, ValidFrom: from, ValidUntil: until}
	}
	tests := []struct {
		name string
		o    *Organisation
		want Validity
		text string
	}{
		{"inside", window(NewDate(2024, 1, 1), NewDate(2026, 12, 31)), Valid, "有效"},
		{"90 days left", window(NewDate(2024, 1, 1), on.AddDays(90)), Expiring, "即将到期"},
		{"91 days left", window(NewDate(2024, 1, 1), on.AddDays(91)), Valid, "有效"},
		{"last day", window(NewDate(2024, 1, 1), on), Expiring, "即将到期"},
		{"ended", window(NewDate(2022, 1, 1), on.AddDays(-1)), Expired, "已过期"},
		{"no window", &Organisation{Status: Active}, Unknown, "未公布"},
		{"suspended", &Organisation{Status: Suspended, ValidUntil: NewDate(2026, 1, 1)}, SuspendedStatus, "暂停"},
		{"removed", &Organisation{Status: Removed}, RemovedStatus, "已移出"},
	}
	for _, tt := range tests {
		got := tt.o.Validity(on)
		if got != tt.want || got.String() != tt.text {
			t.Errorf("%s: Validity = %v (%s), want %v (%s)", tt.name, got, got, tt.want, tt.text)
		}
	}
}

// TestValiditySince: on every day from ValiditySince to the day asked
// about, an organisation is in the same state, so a page that gives its
// statuses "as of" that day reads the same whichever of those days it
// was built on; and the day before, where the date is a transition of
// the window, the state was another.
func TestValiditySince(t *testing.T) {
	from, until := NewDate(2024, 3, 1), NewDate(2025, 9, 30)
	orgs := map[string]*Organisation{
		"window":      {Status: Active, ValidFrom: from, ValidUntil: until},
		"no start":    {Status: Active, ValidUntil: until},
		"reinstated":  {Status: Active, ValidFrom: from, ValidUntil: until, StatusDate: NewDate(2025, 1, 10)},
		"suspended":   {Status: Suspended, ValidFrom: from, ValidUntil: until, StatusDate: NewDate(2025, 2, 1)},
		"no window":   {Status: Active},
		"short, late": {Status: Active, ValidFrom: NewDate(2025, 8, 1), ValidUntil: until},
	}
	want := map[string]map[string]string{ // day → since, per organisation
		"window":      {"2024-02-01": "", "2024-03-01": "2024-03-01", "2025-07-01": "2024-03-01", "2025-07-02": "2025-07-02", "2025-09-30": "2025-07-02", "2025-10-01": "2025-10-01", "2026-05-01": "2025-10-01"},
		"no start":    {"2025-07-01": "", "2025-07-02": "2025-07-02"},
		"reinstated":  {"2025-01-09": "2024-03-01", "2025-01-10": "2025-01-10", "2025-08-01": "2025-07-02"},
		"suspended":   {"2025-01-31": "", "2025-02-01": "2025-02-01", "2026-01-01": "2025-02-01"},
		"no window":   {"2025-01-01": ""},
		"short, late": {"2025-06-15": "", "2025-08-15": "2025-07-02"}, // Validity reads no valid_from
	}
	for name, o := range orgs {
		for day, since := range want[name] {
			on, _ := ParseDate(day)
			got := o.ValiditySince(on)
			if s := got.String(); got.IsZero() && since != "" || !got.IsZero() && s != since {
				t.Errorf("%s on %s: ValiditySince = %q, want %q", name, day, s, since)
			}
		}
		for on := NewDate(2024, 1, 1); !on.After(NewDate(2026, 6, 1)); on = on.AddDays(1) {
			since := o.ValiditySince(on)
			if since.IsZero() {
				continue
			}
			v := o.Validity(on)
			for d := since; !d.After(on); d = d.AddDays(1) {
				if o.Validity(d) != v {
					t.Fatalf("%s on %s: since %s, but on %s it was %s, not %s", name, on, since, d, o.Validity(d), v)
				}
			}
			if (v == Expiring || v == Expired) && since != o.StatusDate && o.Validity(since.AddDays(-1)) == v {
				t.Errorf("%s on %s: since %s, but the day before was %s already", name, on, since, v)
			}
		}
	}
}

func TestLookupsAndOrder(t *testing.T) {
	c, ds := Load(os.DirFS("testdata/valid"), Options{})
	if err := ds.Err(); err != nil {
		t.Fatal(err)
	}
	if q := c.Qualification("ceshi-jia-4"); q == nil || q.Level != Level4 || q.Effective.String() != "2025-01-02" {
		t.Errorf("Qualification(ceshi-jia-4) = %+v", q)
	}
	if o := c.Occupation("9-99-99-02"); o == nil || o.Name != "测试职业乙" {
		t.Errorf("Occupation(9-99-99-02) = %+v", o)
	}
	org := c.Organisation("ceshi-jigou")
	if org == nil || len(org.Certifies) != 1 || !slices.Equal(org.Certifies[0].Levels, []Level{Level4, Level3}) {
		t.Fatalf("Organisation(ceshi-jigou) = %+v", org)
	}
	if got, want := org.Certifies[0].Pos.String(), "catalog/organisations.toml:15:3"; got != want {
		t.Errorf("certification at %s, want %s", got, want)
	}
	if c.Office("ceshi-chuangkou") == nil || c.Guide("caixin") == nil || c.Document("ceshi-wenjian") == nil {
		t.Error("lookup of an existing row returned nil")
	}
	if c.Qualification("nope") != nil || c.Occupation("") != nil {
		t.Error("lookup of a missing row is not nil")
	}
	if p := c.Pages["documents/ceshi.md"]; p == nil || p.Title != "测试文件摘要" || p.Body != "虚构的摘要文字。\n" {
		t.Errorf("page = %+v", p)
	}
	if g := c.Guide("caixin"); len(g.Steps) != 1 || g.Steps[0].Pos.String() != "catalog/guides.toml:13:3" {
		t.Errorf("guide steps = %+v", g.Steps)
	}
	var ids []string
	for _, q := range c.Qualifications {
		ids = append(ids, q.ID)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("qualifications not sorted by id: %v", ids)
	}
}
