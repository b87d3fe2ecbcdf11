package generator

import (
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// The readers the notices speak to besides Taiwan residents (issue 14):
// each finds a page of their own, reached from the home page in two links,
// with every condition, material, step, time limit and duty the catalog
// holds for them, each with its source.

// readerPages are the pages written for one reader each, under the script
// prefix.
var readerPages = []string{
	"guides/fuzhou-pingjia-zuzhi/",    // a social training-evaluation organisation in Fuzhou (seed 004)
	"guides/jigong-yuanxiao-shidian/", // a technical school filing a pilot (seed 001)
	"guides/yongren-danwei/",          // an employer (seed 004 四（三）, seed 001 一（一）1)
	"guides/guangxi-foreign/",         // a foreign certificate body in the Guangxi FTZ (seed 003)
	"guides/peixun-butie/",            // a resident after a training subsidy (seed 000 一（四）)
	"window-officials/",               // a city window official (seed 000 二)
	"organisation-rules/",             // anyone checking an organisation (seeds 001, 004)
}

var (
	tagRE   = regexp.MustCompile(`(?s)<svg.*?</svg>|<[^>]+>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// pageText is the text of a page's main element, tags removed, entities
// decoded and white space collapsed: what a reader sees, give or take
// the spacing.
func pageText(t *testing.T, out, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if i := strings.Index(s, "</main>"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(s, " ")), " "))
}

// seen is text as the page shows it: Markdown emphasis and inline code
// marks dropped, line continuations and white space collapsed.
func seen(md string) string {
	md = strings.NewReplacer("**", "", "`", "", "\\\n", "", "\n", " ").Replace(md)
	return strings.TrimSpace(spaceRE.ReplaceAllString(md, " "))
}

// contains reports whether the page text holds want, ignoring spaces
// (a tag boundary may put one inside a sentence).
func contains(text, want string) bool {
	strip := func(s string) string { return strings.ReplaceAll(s, " ", "") }
	return strings.Contains(strip(text), strip(want))
}

// TestReaderGuides checks, on the built shipped site, that every guide
// page shows every condition, material, form, step, time limit and duty
// of its catalog entry together with its source, and that the guides
// other readers need say what the notices say.
func TestReaderGuides(t *testing.T) {
	if _, err := os.Stat("../catalog/site.toml"); err != nil {
		t.Skip("no shipped catalog")
	}
	out, _ := build(t, "..")
	c, ds := catalog.Load(os.DirFS(".."), catalog.Options{BuildDate: testDate()})
	if err := ds.Err(); err != nil {
		t.Fatal(err)
	}
	for _, g := range c.Guides {
		t.Run(g.ID, func(t *testing.T) {
			if g.Audience == "" {
				t.Errorf("guide %s names no audience", g.ID)
			}
			text := pageText(t, out, "zh-hans/guides/"+g.ID+"/index.html")
			if strings.Contains(text, "**") {
				t.Errorf("Markdown emphasis left unrendered (goldmark needs ** outside CJK punctuation): %s", text[strings.Index(text, "**"):][:60])
			}
			want := func(what, s string) {
				t.Helper()
				if s != "" && !contains(text, seen(s)) {
					t.Errorf("%s %q not on the page", what, s)
				}
			}
			cited := func(what, item, source string) {
				t.Helper()
				if source == "" {
					t.Errorf("%s %q has no source", what, item)
					return
				}
				want("source of "+what, "出处："+source)
			}
			for _, para := range strings.Split(g.First, "\n\n") {
				want("first step", para)
			}
			for _, cd := range g.Conditions {
				want("condition group", cd.Group)
				want("condition", cd.Text)
				cited("condition", cd.Text, cd.Source)
			}
			for _, m := range g.Materials {
				want("material", m.Name)
				want("material note", m.Note)
				cited("material", m.Name, m.Source)
			}
			for _, f := range g.Forms {
				want("form", f.Name)
				for _, a := range f.Asks {
					want("form field", a)
				}
				if len(f.Asks) == 0 {
					want("unpublished form", "表格原文未公布")
				}
				cited("form", f.Name, f.Source)
			}
			for _, st := range g.Steps {
				want("step", st.Action)
				want("step actor", st.Actor)
				if st.TimeLimit != "" {
					want("step time limit", "时限："+st.TimeLimit)
				}
				if st.Fee != "" {
					want("step fee", "收费："+st.Fee)
				}
				cited("step", st.Action, st.Source)
			}
			for _, d := range g.Duties {
				want("duty", d.Text)
				want("duty time limit", d.TimeLimit)
				cited("duty", d.Text, d.Source)
			}
			for _, id := range g.Related {
				if r := c.Guide(id); r != nil {
					want("related guide", r.Title)
				}
			}
			for _, para := range strings.Split(g.Reading, "\n\n") {
				want("reading", para)
			}
			if _, err := os.Stat(filepath.Join(out, "zh-hant/guides", g.ID, "index.html")); err != nil {
				t.Error(err)
			}
		})
	}

	// What each reader came for, as the notices say it: a guard against a
	// catalog edit that drops a row the generic checks above would miss.
	facts := []struct {
		page string
		want []string
	}{
		{"guides/fuzhou-pingjia-zuzhi/", []string{
			"连续5年以上", "累计1万人次以上", "不得低于30%", "理论知识题库不低于1200题（卷库不低于10套）", "实际操作卷库不低于10套",
			"不少于15个工位", "原则上不超过3个", "原则上不超过2个", "含视频监控设备", "优先考虑",
			"世界技能大赛集训基地", "http://fj.company.jianguan.online/login", "成熟一个、备案（受理）一个",
			"非在榕评价机构", "未设有鉴定站的职业院校、高等院校", "提前10个工作日", "认定工作结束后10个工作日内",
			"资质有效期3年", "国家技能人才评价信息服务平台", "统一进行评价机构编码", "信用报告或诚信承诺书",
			"就业证", "录用依据", "国徽", "水印", "本机构以外任何其他部门或单位的标识", "2015年版",
		}},
		{"guides/jigong-yuanxiao-shidian/", []string{
			"质量督导人员", "视频监控系统", "省属公办技工院校", "市级职业技能鉴定指导中心",
			"每批次认定开展前10个工作日", "公示期5个工作日", "公示后10个工作日内",
			"理论考试成绩可由本专业（科目）结课考试成绩替代", "根据评估结果、院校意愿等决定是否予以延期",
			"《职业技能等级认定试点备案表》", "《职业技能等级认定试点备案申请材料要求》", "表格原文未公布",
			"连续两年不开展工作的，视同自行退出", "2015年版",
		}},
		{"guides/yongren-danwei/", []string{
			"有评价需求但不具备评价条件的企业，可委托当地具备条件的评价组织", "自主选择职业技能等级认定机构", "企校合作",
		}},
		{"guides/guangxi-foreign/", []string{
			"明确的考试项目和考试章程", "对应我国职业（工种）名称及等级", "职业编码", "所有权归属",
			"计算机考务管理及视频监控设备配置情况", "考评人员", "发证数量", "核发证书信息名册",
			"每次开展鉴定活动前10日", "每年12月底", "限期整改", "撤回、撤销、注销", "南宁、钦州港、崇左",
			"自收到申请之日起45个工作日内",
		}},
		{"guides/peixun-butie/", []string{"代为办理", "培训结业证书", "通过一体化中心", "六（三）"}},
		{"window-officials/", []string{
			"对台职业资格采信办理专门窗口", "《福建省对台采信职业资格目录及办事指南》", "审核材料完整性", "指定1名联络员",
			"公布服务电话", "微信公众号", "台胞协会", "可委托一体化中心办理", "考培分离", "rencaifazhan@ptrsrc.org.cn", "台陆通",
		}},
		{"organisation-rules/", []string{
			"国家技能人才评价信息服务平台", "有效期3年", "不超过2个", "视同自行退出", "移出", "不得以加盟等方式授权和委托",
			"谁评价、谁发证、谁负责", "就业证", "录用依据", "国徽", "水印", "不能随意降低申报条件或考核标准", "2015年版",
		}},
		{"offices/pingtan-taibao-taiqi-dating/", []string{"两证互通"}},
		{"offices/pingtan-duitai-zhengwu-pingtai/", []string{"108项"}},
		{"offices/pingtan-liangan-xinyuan-zizhuji/", []string{"两岸馨苑", "24小时"}},
		{"offices/fuzhou-jianding-zhongxin/", []string{"福州市社会培训评价组织备案申报", "初审材料"}},
	}
	for _, f := range facts {
		text := pageText(t, out, "zh-hans/"+f.page+"index.html")
		for _, w := range f.want {
			if !contains(text, w) {
				t.Errorf("zh-hans/%s: missing %q", f.page, w)
			}
		}
	}
	// The same facts in Traditional script, spot-checked.
	for page, want := range map[string][]string{
		"guides/fuzhou-pingjia-zuzhi/":    {"1200題", "成熟一個、備案（受理）一個", "錄用依據"},
		"guides/jigong-yuanxiao-shidian/": {"公示期5個工作日", "結課考試成績替代"},
		"window-officials/":               {"聯絡員", "臺胞協會"},
	} {
		text := pageText(t, out, "zh-hant/"+page+"index.html")
		for _, w := range want {
			if !contains(text, w) {
				t.Errorf("zh-hant/%s: missing %q", page, w)
			}
		}
	}
	// The 考试项目 of 桂人社规〔2020〕12号 二（三）, never 考试科目.
	for _, name := range []string{"zh-hans/guides/guangxi-foreign/index.html", "zh-hans/documents/gui-2020-12/index.html"} {
		if text := pageText(t, out, name); strings.Contains(text, "考试科目") {
			t.Errorf("%s says 考试科目; the notice says 考试项目", name)
		}
	}
}

// linkRE finds the site-internal links of a page.
var linkRE = regexp.MustCompile(`href="(/zh-han[st]/[^"#?]*)`)

// TestReadersReachable follows links from the home page: every reader's
// page is at most two links away, in both scripts.
func TestReadersReachable(t *testing.T) {
	if _, err := os.Stat("../catalog/site.toml"); err != nil {
		t.Skip("no shipped catalog")
	}
	out, _ := build(t, "..")
	for _, script := range []string{"zh-hans", "zh-hant"} {
		t.Run(script, func(t *testing.T) {
			links := func(p string) []string {
				b, err := os.ReadFile(filepath.Join(out, p, "index.html"))
				if err != nil {
					t.Fatal(err)
				}
				var ls []string
				for _, m := range linkRE.FindAllStringSubmatch(string(b), -1) {
					if strings.HasPrefix(m[1], "/"+script+"/") && strings.HasSuffix(m[1], "/") {
						ls = append(ls, strings.TrimPrefix(m[1], "/"))
					}
				}
				return ls
			}
			depth := map[string]int{script + "/": 0}
			frontier := []string{script + "/"}
			for d := 1; d <= 2; d++ {
				var next []string
				for _, p := range frontier {
					for _, l := range links(p) {
						if _, ok := depth[l]; !ok {
							depth[l] = d
							next = append(next, l)
						}
					}
				}
				frontier = next
			}
			for _, p := range append(readerPages, "offices/pingtan-taibao-taiqi-dating/", "offices/pingtan-duitai-zhengwu-pingtai/", "offices/pingtan-liangan-xinyuan-zizhuji/") {
				d, ok := depth[script+"/"+p]
				if !ok {
					t.Errorf("/%s/%s is more than two links from the home page", script, p)
					continue
				}
				t.Logf("/%s/%s: %d link(s) from the home page", script, p, d)
			}
		})
	}
}
