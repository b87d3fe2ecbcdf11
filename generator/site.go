package generator

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/opendata"
)

// page is one HTML page of the site, the same in both scripts. Its Path is
// relative to the script prefix ("/zh-hans/"), "" for the home page, and
// ends in "/": the page is written as Path + "index.html".
type page struct {
	Path    string
	Tmpl    string // template file under templates/
	Title   string // in zh-Hans; the zh-Hant page converts it with the rest
	Crumbs  []crumb
	Updated catalog.Date // when the page's own facts last changed; zero: unknown
	Data    any

	// Kind and Text feed the search index; Kind "" keeps the page out of it.
	Kind string
	Text string
}

// crumb is one step of a breadcrumb above the current page.
type crumb struct {
	Title string
	Path  string
}

// pageSize is how many rows a list page shows: enough to scan on a phone,
// small enough for a 3G connection.
const pageSize = 100

// pager links the pages of a long list.
type pager struct {
	N, Of      int    // this page, 1-based, of Of pages
	Prev, Next string // paths, "" at the ends
	First      int    // 1-based number of the first row shown
	Total      int
}

// facet is one filter of the qualification list.
type facet struct {
	Name    string // 路径, 类别, 等级, 批次
	Options []facetOption
}

type facetOption struct {
	Label   string
	Path    string // qualifications/route/caixin/
	Count   int
	Current bool
}

// qualList is the data of a qualification list page.
type qualList struct {
	Heading string
	Rows    []*catalog.Qualification
	Pager   pager
	Facets  []facet
	All     bool // the unfiltered list
}

// pages lists every page of the site, in a fixed order.
func (x *index) pages() ([]*page, error) {
	c := x.cat
	home := crumb{"首页", ""}
	var ps []*page
	add := func(p *page) { ps = append(ps, p) }

	homeText := ""
	if hp := c.Pages["home.md"]; hp != nil {
		homeText = hp.Body
	}
	add(&page{Path: "", Tmpl: "home.html", Title: c.Site.Name, Data: homeText, Kind: "page", Text: c.Site.Description})

	// The finder: every certificate A–Z (the answers are the
	// certificates' own pages, see finder.go), and the next step for a
	// certificate the catalogue does not hold.
	finderCrumbs := []crumb{home, {"我的证书能办吗", "finder/"}}
	add(&page{Path: "finder/", Tmpl: "finder.html", Title: "我的证书能办吗？", Crumbs: []crumb{home}, Data: finderStep{Step: "start", List: x.finderList()},
		Kind: "page", Text: "我的证书能办吗 台湾地区证书 采信 直接采认 城市 办理地点"})
	add(&page{Path: "finder/unlisted/", Tmpl: "finder.html", Title: "目录里没有我的证书", Crumbs: finderCrumbs, Data: finderStep{Step: "unlisted"},
		Kind: "page", Text: "目录里没有我的证书 未收录 政策咨询 采信"})

	ps = append(ps, x.qualificationPages(home)...)

	// Organisations.
	orgCrumbs := []crumb{home, {"评价机构", "organisations/"}}
	var occs []occOrgs
	for _, o := range c.Occupations {
		// An occupation no organisation certifies would be a page that
		// says "none": leave it out.
		if orgs := x.orgsFor(o.Code); len(orgs) > 0 {
			occs = append(occs, occOrgs{Occ: o, Orgs: orgs})
		}
	}
	add(&page{Path: "organisations/", Tmpl: "organisations.html", Title: "评价机构", Crumbs: []crumb{home},
		Data: orgList{Orgs: c.Organisations, Occs: occs}})
	for _, oo := range occs {
		add(&page{Path: "organisations/occupation/" + oo.Occ.Code + "/", Tmpl: "occupation.html",
			Title: oo.Occ.Name + "的评价机构", Crumbs: orgCrumbs, Data: oo})
	}
	for _, o := range c.Organisations {
		up := x.updated["o/"+o.ID]
		if o.StatusDate.After(up) {
			up = o.StatusDate
		}
		add(&page{Path: "organisations/" + o.ID + "/", Tmpl: "organisation.html", Title: o.Name, Crumbs: orgCrumbs,
			Updated: up, Data: o, Kind: "organisation", Text: join(o.Name, o.Code, o.Region, string(o.Type))})
	}

	// Offices and guides.
	add(&page{Path: "offices/", Tmpl: "offices.html", Title: "服务窗口与线上渠道", Crumbs: []crumb{home}, Data: c.Offices})
	offCrumbs := []crumb{home, {"服务窗口与线上渠道", "offices/"}}
	for _, o := range c.Offices {
		add(&page{Path: "offices/" + o.ID + "/", Tmpl: "office.html", Title: o.Name, Crumbs: offCrumbs, Data: o,
			Kind: "office", Text: join(o.Name, o.City, o.Address, strings.Join(o.Path, " "))})
	}
	add(&page{Path: "guides/", Tmpl: "guides.html", Title: "办事指南", Crumbs: []crumb{home}, Data: guidesByAudience(c.Guides)})
	guideCrumbs := []crumb{home, {"办事指南", "guides/"}}
	for _, g := range c.Guides {
		add(&page{Path: "guides/" + g.ID + "/", Tmpl: "guide.html", Title: g.Title, Crumbs: guideCrumbs, Data: g, Updated: g.Updated,
			Kind: "guide", Text: join(g.Title, g.Audience, plain(g.Eligibility), plain(g.Summary))})
		if len(g.Materials) == 0 {
			continue // nothing to print: no checklist, and no link to one
		}
		add(&page{Path: "guides/" + g.ID + "/checklist/", Tmpl: "checklist.html", Title: g.Title + "：材料清单",
			Crumbs: append(guideCrumbs[:2:2], crumb{g.Title, "guides/" + g.ID + "/"}), Data: g, Updated: g.Updated})
	}

	// Policy documents.
	add(&page{Path: "documents/", Tmpl: "documents.html", Title: "政策文件", Crumbs: []crumb{home}, Data: c.Documents})
	docCrumbs := []crumb{home, {"政策文件", "documents/"}}
	for _, d := range c.Documents {
		up := x.updated["d/"+d.ID]
		if d.Date.After(up) {
			up = d.Date
		}
		add(&page{Path: "documents/" + d.ID + "/", Tmpl: "document.html", Title: d.Title, Crumbs: docCrumbs, Updated: up, Data: d,
			Kind: "document", Text: join(d.Number, digits(d.Number), d.Title, d.Issuer)})
	}

	var latest catalog.Date
	if len(c.Changes) > 0 {
		latest = c.Changes[0].Date
	}
	add(&page{Path: "changes/", Tmpl: "changes.html", Title: "更新记录", Crumbs: []crumb{home}, Updated: latest, Data: c.Changes})
	add(&page{Path: "statistics/", Tmpl: "statistics.html", Title: "发证统计", Crumbs: []crumb{home}, Data: statisticsOf(c),
		Kind: "page", Text: "发证统计 采信证书 发证数量"})
	add(&page{Path: "search/", Tmpl: "search.html", Title: "搜索", Crumbs: []crumb{home}, Data: x.az()})
	add(&page{Path: "data/", Tmpl: "data.html", Title: "开放数据", Crumbs: []crumb{home}, Data: opendata.DatasetsOf(x.cat)})
	add(&page{Path: "verify/", Tmpl: "verify.html", Title: "核验证书", Crumbs: []crumb{home}, Data: x.trust,
		Kind: "page", Text: "核验证书 二维码 证书编号 采信证书"})

	// Other Markdown pages under content/: about.md and the like.
	summaries := map[string]bool{}
	for _, d := range c.Documents {
		summaries[d.Summary] = true
	}
	taken := map[string]bool{}
	for _, p := range ps {
		taken[p.Path] = true
	}
	keys := make([]string, 0, len(c.Pages))
	for k := range c.Pages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "home.md" || summaries[k] || strings.Contains(k, "/") || !strings.HasSuffix(k, ".md") {
			continue
		}
		p := c.Pages[k]
		path := strings.TrimSuffix(k, ".md") + "/"
		if taken[path] {
			return nil, fmt.Errorf("content/%s: 页面地址 /%s 已被站点占用，请给文件换个名字", k, path)
		}
		title := p.Title
		if title == "" {
			title = strings.TrimSuffix(k, ".md")
		}
		add(&page{Path: path, Tmpl: "page.html", Title: title, Crumbs: []crumb{home}, Data: p.Body, Kind: "page", Text: join(title, plain(p.Body))})
	}
	return ps, nil
}

// audienceGuides are the guides written for one reader.
type audienceGuides struct {
	Audience string // "" for guides that name none
	Guides   []*catalog.Guide
}

// guidesByAudience groups the guides by reader, in the order of
// catalog.Audiences, guides naming none last; within a reader the
// catalog's order.
func guidesByAudience(gs []*catalog.Guide) []audienceGuides {
	var out []audienceGuides
	for _, a := range append(catalog.Audiences(), "") {
		ag := audienceGuides{Audience: a}
		for _, g := range gs {
			if g.Audience == a {
				ag.Guides = append(ag.Guides, g)
			}
		}
		if len(ag.Guides) > 0 {
			out = append(out, ag)
		}
	}
	return out
}

// finderStep is the data of a finder page.
type finderStep struct {
	Step string // "start" or "unlisted"
	List finderList
}

type occOrgs struct {
	Occ  *catalog.Occupation
	Orgs []*catalog.Organisation
}

type orgList struct {
	Orgs []*catalog.Organisation
	Occs []occOrgs
}

// qualificationPages lists the catalogue: the paged list, the filtered
// lists and a page per row.
func (x *index) qualificationPages(home crumb) []*page {
	c := x.cat
	var ps []*page
	listCrumbs := []crumb{home, {"资格目录", "qualifications/"}}

	type filter struct {
		facet, label, path string
		match              func(*catalog.Qualification) bool
	}
	var filters []filter
	for _, r := range []catalog.Route{catalog.Adoption, catalog.Recognition} {
		filters = append(filters, filter{"路径", string(r), "route/" + routeSlug(r) + "/",
			func(q *catalog.Qualification) bool { return q.Route == r }})
	}
	for _, k := range []catalog.Category{catalog.Skill, catalog.Professional} {
		filters = append(filters, filter{"类别", string(k), "category/" + categorySlug(k) + "/",
			func(q *catalog.Qualification) bool { return q.Category == k }})
	}
	for _, l := range catalog.Levels() {
		filters = append(filters, filter{"等级", l.Title(), "level/" + levelSlug(l) + "/",
			func(q *catalog.Qualification) bool { return q.Level == l }})
	}
	batches := map[int]bool{}
	for _, q := range c.Qualifications {
		if q.Batch > 0 {
			batches[q.Batch] = true
		}
	}
	var bs []int
	for b := range batches {
		bs = append(bs, b)
	}
	sort.Ints(bs)
	for _, b := range bs {
		filters = append(filters, filter{"批次", "第" + strconv.Itoa(b) + "批", "batch/" + strconv.Itoa(b) + "/",
			func(q *catalog.Qualification) bool { return q.Batch == b }})
	}

	rows := make([][]*catalog.Qualification, len(filters))
	for _, q := range c.Qualifications {
		for i, f := range filters {
			if f.match(q) {
				rows[i] = append(rows[i], q)
			}
		}
	}
	facets := func(current string) []facet {
		var fs []facet
		for i, f := range filters {
			if len(rows[i]) == 0 {
				continue
			}
			if len(fs) == 0 || fs[len(fs)-1].Name != f.facet {
				fs = append(fs, facet{Name: f.facet})
			}
			p := "qualifications/" + f.path
			fs[len(fs)-1].Options = append(fs[len(fs)-1].Options, facetOption{f.label, p, len(rows[i]), p == current})
		}
		// A facet with one value filters nothing: leave it out.
		return slices.DeleteFunc(fs, func(f facet) bool { return len(f.Options) < 2 })
	}
	paged := func(base, title string, crumbs []crumb, all []*catalog.Qualification, isAll bool) {
		n := (len(all) + pageSize - 1) / pageSize
		if n == 0 {
			n = 1
		}
		fs := facets(base)
		for i := 1; i <= n; i++ {
			path := base
			pt := title
			if i > 1 {
				path = base + "page/" + strconv.Itoa(i) + "/"
				pt = fmt.Sprintf("%s（第%d页）", title, i)
			}
			pg := pager{N: i, Of: n, First: (i-1)*pageSize + 1, Total: len(all)}
			if i > 1 {
				pg.Prev = base
				if i > 2 {
					pg.Prev = base + "page/" + strconv.Itoa(i-1) + "/"
				}
			}
			if i < n {
				pg.Next = base + "page/" + strconv.Itoa(i+1) + "/"
			}
			lo, hi := (i-1)*pageSize, min(i*pageSize, len(all))
			ps = append(ps, &page{Path: path, Tmpl: "qualifications.html", Title: pt, Crumbs: crumbs,
				Data: qualList{Heading: title, Rows: all[lo:hi], Pager: pg, Facets: fs, All: isAll}})
		}
	}
	paged("qualifications/", "资格目录", []crumb{home}, c.Qualifications, true)
	for i, f := range filters {
		if len(rows[i]) > 0 {
			paged("qualifications/"+f.path, "资格目录："+f.label, listCrumbs, rows[i], false)
		}
	}

	for _, q := range c.Qualifications {
		up := x.updated["q/"+q.ID]
		if q.Effective.After(up) {
			up = q.Effective
		}
		occName := q.Occupation
		var aliases string
		if o := x.cat.Occupation(q.Occupation); o != nil {
			occName = o.Name
			aliases = strings.Join(append(append([]string(nil), o.Aliases...), o.Formerly...), " ")
		}
		title := fmt.Sprintf("%s%s → %s%s", q.TaiwanName, paren(string(q.TaiwanGrade)), occName, paren(q.Level.Title()))
		ps = append(ps, &page{Path: "qualifications/" + q.ID + "/", Tmpl: "qualification.html", Title: title,
			Crumbs: listCrumbs, Updated: up, Data: q, Kind: "qualification",
			Text: join(q.TaiwanName, string(q.TaiwanGrade), occName, q.OccupationAsPublished, aliases, q.Level.Title(), string(q.Route), routeName(q.Route),
				q.Occupation, strings.ReplaceAll(q.Occupation, "-", ""), x.docNumber(q.Document), batchName(q.Batch))})
	}
	return ps
}

func (x *index) docNumber(id string) string {
	if d := x.cat.Document(id); d != nil {
		return join(d.Number, digits(d.Number))
	}
	return ""
}

// digits is the run of a 文号's digits, 20251410 for 闽人社办〔2025〕141号,
// so that a search for the number typed without brackets finds it.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func batchName(n int) string {
	if n == 0 {
		return ""
	}
	return "第" + strconv.Itoa(n) + "批"
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "（" + s + "）"
}

// join joins the non-empty strings with a space.
func join(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// plain strips the commonest Markdown marks for the search index; the
// index tolerates leftovers.
func plain(md string) string {
	r := strings.NewReplacer("#", "", "*", "", "`", "", ">", "", "[", "", "]", "", "\n", " ")
	return r.Replace(md)
}

// azList is the search page's fallback for readers without JavaScript:
// every entry, sorted by name, for the browser's find-in-page.
type azList struct {
	Quals  []*catalog.Qualification
	Orgs   []*catalog.Organisation
	Guides []*catalog.Guide
	Docs   []*catalog.Document
}

func (x *index) az() azList {
	c := x.cat
	l := azList{
		Quals:  append([]*catalog.Qualification(nil), c.Qualifications...),
		Orgs:   append([]*catalog.Organisation(nil), c.Organisations...),
		Guides: append([]*catalog.Guide(nil), c.Guides...),
		Docs:   append([]*catalog.Document(nil), c.Documents...),
	}
	sort.SliceStable(l.Quals, func(i, j int) bool { return l.Quals[i].TaiwanName < l.Quals[j].TaiwanName })
	sort.SliceStable(l.Orgs, func(i, j int) bool { return l.Orgs[i].Name < l.Orgs[j].Name })
	sort.SliceStable(l.Guides, func(i, j int) bool { return l.Guides[i].Title < l.Guides[j].Title })
	sort.SliceStable(l.Docs, func(i, j int) bool { return l.Docs[i].Title < l.Docs[j].Title })
	return l
}

// statistics is the data of the statistics page: the registry's counts
// from catalog/statistics.toml, else the totals the centre has published
// (the changes whose title says how many were issued).
type statistics struct {
	Rows      []*catalog.StatCount
	Years     []yearTotal
	Total     int
	Published []*catalog.Change
}

type yearTotal struct{ Year, Count int }

// publishedTotal matches a change that announces how many certificates
// were issued ("累计发证6000余本"), not one that merely names an issuer.
var publishedTotal = regexp.MustCompile(`发证[0-9]`)

func statisticsOf(c *catalog.Catalog) statistics {
	s := statistics{Rows: c.Statistics}
	by := map[int]int{}
	for _, r := range c.Statistics {
		by[r.Year] += r.Count
		s.Total += r.Count
	}
	for y, n := range by {
		s.Years = append(s.Years, yearTotal{y, n})
	}
	sort.Slice(s.Years, func(i, j int) bool { return s.Years[i].Year < s.Years[j].Year })
	for _, ch := range c.Changes {
		if publishedTotal.MatchString(ch.Title) {
			s.Published = append(s.Published, ch)
		}
	}
	return s
}
