package catalog

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The checks that run after decoding: required keys, formats, unique
// ids, references between files and the policy rules of the notices.
// Rows are visited in file order, so "the third organisation" is the
// third an editor reads.

var (
	idFormat    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	codeFormat  = regexp.MustCompile(`^\d-\d{2}-\d{2}-\d{2}$`)
	phoneFormat = regexp.MustCompile(`^(0\d{2,3}-)?[1-9]\d{6,7}(-\d{1,6})?$`)
	// areaFormat is an office line with its area code.
	areaFormat = regexp.MustCompile(`^0\d{2,3}-[1-9]\d{6,7}(-\d{1,6})?$`)
	// Service numbers: 12333-style hotlines and 400/800 numbers.
	hotlineFormat = regexp.MustCompile(`^(1\d{4}|[48]00-?\d{3}-?\d{4})$`)
	mobileFormat  = regexp.MustCompile(`^(\+?86)?1[3-9]\d{9}$`)
	emailFormat   = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)
	regFormat     = regexp.MustCompile(`^[A-Z0-9]+(-[A-Z0-9]+)*$`)
)

// Sources of the policy rules, as the messages cite them.
const (
	srcFuzhou  = "福州市人社局 2021-04-22 征集社会培训评价组织公告（seed 004）"
	srcCentre  = "闽人社文〔2022〕126号 附件1（seed 000）"
	srcSources = "数据须注明出处（data/FACTS.md）"
)

func (l *loader) check(c *Catalog) {
	s := &c.Site
	l.need(s, "name", s.Name == "")
	l.checkURL(s, "base_url", s.BaseURL)
	if s.BaseURL != "" && !strings.HasSuffix(s.BaseURL, "/") {
		l.errorf(l.keyPos(s, "base_url"), fmt.Sprintf("写成 %q", s.BaseURL+"/"), "网站地址 base_url 应以 / 结尾")
	}
	l.checkURL(s, "verifier_url", s.VerifierURL)
	for key, v := range map[string]string{"base_url": s.BaseURL, "verifier_url": s.VerifierURL} {
		if u, err := url.Parse(v); err == nil && placeholderHost(u.Hostname()) {
			l.warnf(l.keyPos(s, key), "写部署的真实地址；没有时删去这一行（没有 base_url 是预览构建，没有 verifier_url 时核验页不显示表单）",
				"%s %q 是示例占位地址，不能发布给读者", key, v)
		}
	}

	occs := unique(l, c.Occupations, "code", "职业编码", func(o *Occupation) string { return o.Code })
	for _, o := range c.Occupations {
		l.need(o, "code", o.Code == "")
		l.need(o, "name", o.Name == "")
		l.checkCode(o, "code", o.Code)
		l.checkSources(o, o.Sources)
	}

	orgs := unique(l, c.Organisations, "id", "评价机构编号", func(o *Organisation) string { return o.ID })
	unique(l, c.Organisations, "code", "机构备案编号", func(o *Organisation) string { return o.Code })
	guides := unique(l, c.Guides, "id", "办事指南编号", func(g *Guide) string { return g.ID })
	docs := unique(l, c.Documents, "id", "政策文件编号", func(d *Document) string { return d.ID })
	unique(l, c.Documents, "number", "文号", func(d *Document) string { return d.Number })
	offices := unique(l, c.Offices, "id", "办理渠道编号", func(o *Office) string { return o.ID })
	quals := unique(l, c.Qualifications, "id", "资格编号", func(q *Qualification) string { return q.ID })
	unique(l, c.Changes, "id", "变更编号", func(ch *Change) string { return ch.ID })

	refOcc := func(row any, key, code string) {
		if code != "" && l.checkCode(row, key, code) {
			ref(l, row, key, code, "职业编码", "occupations", occs)
		}
	}

	for _, q := range c.Qualifications {
		l.need(q, "id", q.ID == "")
		l.need(q, "taiwan_name", q.TaiwanName == "")
		l.need(q, "occupation", q.Occupation == "")
		l.checkID(q, q.ID)
		refOcc(q, "occupation", q.Occupation)
		if q.Batch < 0 {
			l.errorf(l.keyPos(q, "batch"), "不属于编号批次时删去 batch 这一行", "批次 batch 应为正整数")
		}
		if q.RouteInferred != "" && q.Route == "" {
			l.errorf(l.keyPos(q, "route_inferred"), `写上推断出的 route（"采信" 或 "采认"），或删去 route_inferred`, "route_inferred 说明了推断的理由，但没有写 route")
		}
		if q.LevelInferred != "" && q.Level == "" {
			l.errorf(l.keyPos(q, "level_inferred"), "写上推断出的 level，或删去 level_inferred", "level_inferred 说明了推断的理由，但没有写 level")
		}
		ref(l, q, "document", q.Document, "政策文件", "documents", docs)
		ref(l, q, "guide", q.Guide, "办事指南", "guides", guides)
		for _, id := range q.Certifiers {
			ref(l, q, "certifiers", id, "评价机构", "organisations", orgs)
		}
		l.checkSources(q, q.Sources)
	}

	for _, st := range c.Statistics {
		l.need(st, "qualification", st.Qualification == "")
		ref(l, st, "qualification", st.Qualification, "采信项目", "qualifications", quals)
		if q := quals[st.Qualification]; q != nil {
			if st.OccupationCode != q.Occupation {
				l.errorf(l.keyPos(st, "occupation_code"), "用 qualbridge stats -format toml 重新生成本文件", "采信项目 %s 对应职业编码 %s，而不是 %s", q.ID, q.Occupation, st.OccupationCode)
			}
			if st.Level != q.Level {
				l.errorf(l.keyPos(st, "level"), "用 qualbridge stats -format toml 重新生成本文件", "采信项目 %s 对应等级 %s，而不是 %s", q.ID, q.Level, st.Level)
			}
		}
		if st.Year < 2018 || (!c.buildDate.IsZero() && st.Year > c.buildDate.Time().Year()) {
			l.errorf(l.keyPos(st, "year"), "采信证书自 2018 年起签发", "年份 %d 不在 2018 年至今之间", st.Year)
		}
		if st.Count < 1 || st.Revoked < 0 || st.Revoked > st.Count {
			l.errorf(l.keyPos(st, "count"), "count 为签发份数（至少 1），revoked 为其中已撤销的份数", "份数不对：count = %d，revoked = %d", st.Count, st.Revoked)
		}
	}

	for _, o := range c.Organisations {
		l.need(o, "id", o.ID == "")
		l.need(o, "name", o.Name == "")
		l.need(o, "type", o.Type == "")
		l.checkID(o, o.ID)
		if o.Code != "" && !regFormat.MatchString(o.Code) {
			l.errorf(l.keyPos(o, "code"), "备案编号只用大写字母和数字（可用 - 分隔），不加空格",
				"备案编号 %q 的格式不对", o.Code)
		}
		for i := range o.Certifies {
			cf := &o.Certifies[i]
			l.need(cf, "occupation", cf.Occupation == "")
			refOcc(cf, "occupation", cf.Occupation)
		}
		if !o.ValidFrom.IsZero() && !o.ValidUntil.IsZero() && o.ValidFrom.After(o.ValidUntil) {
			l.errorf(l.keyPos(o, "valid_until"), "检查 valid_from 和 valid_until 是否写反",
				"有效期结束日 %s 早于开始日 %s", o.ValidUntil, o.ValidFrom)
		}
		if o.Status == Suspended || o.Status == Removed {
			var missing []string
			if o.StatusDate.IsZero() {
				missing = append(missing, "status_date")
			}
			if o.StatusReason == "" {
				missing = append(missing, "status_reason")
			}
			if len(missing) > 0 {
				l.errorf(l.keyPos(o, "status"), `例如 status_date = 2025-01-01 和 status_reason = "…"，按公告原文填写`,
					"机构状态为%q时须写明 %s", o.Status, strings.Join(missing, " 和 "))
			}
		}
		if bd := c.buildDate; o.Status == Active && !o.ValidUntil.IsZero() && !bd.IsZero() && bd.After(o.ValidUntil) {
			l.errorf(l.keyPos(o, "status"), `已续期就更新 valid_until 并补充来源；否则删去 status = "有效"，网站会按有效期显示“已过期”`,
				"已过期但仍标记为有效：有效期至 %s，早于构建日期 %s", o.ValidUntil, bd)
		}
		if o.fuzhouSocial() && !o.ValidFrom.IsZero() && o.ValidUntil.After(o.ValidFrom.AddYears(3)) {
			l.warnf(l.keyPos(o, "valid_until"), "核对公告中的有效期；如公告确为更长期限，在 notes 中说明",
				"备案有效期超过 3 年：%s 至 %s（规则：福州市社会培训评价组织备案有效期 3 年，来源：%s）",
				o.ValidFrom, o.ValidUntil, srcFuzhou)
		}
		l.checkPhones(o, o.Phones, "phones")
		l.checkSources(o, o.Sources)
	}
	l.checkFuzhouQuota(c)

	for _, o := range c.Offices {
		l.need(o, "id", o.ID == "")
		l.need(o, "name", o.Name == "")
		l.need(o, "kind", o.Kind == "")
		l.checkID(o, o.ID)
		for i := range o.Phones {
			ph := &o.Phones[i]
			l.need(ph, "number", ph.Number == "")
			l.need(ph, "purpose", ph.Purpose == "")
			l.checkPhones(ph, []string{ph.Number}, "number")
			if phoneFormat.MatchString(ph.Number) && !areaFormat.MatchString(ph.Number) {
				l.errorf(l.keyPos(ph, "number"), `加上区号，如 "0595-22135540"；来源没写区号的，在 note 中写“原文作22135540，未写区号”`,
					"电话 %q 没有区号：从台湾或外地拨打无法接通", ph.Number)
			}
		}
		if o.Email != "" && !emailFormat.MatchString(o.Email) {
			l.errorf(l.keyPos(o, "email"), "写成 name@example.org 的形式，不加 mailto: 和空格",
				"%q 不是有效的电子邮箱", o.Email)
		}
		l.checkURL(o, "url", o.URL)
		for _, id := range o.Services {
			ref(l, o, "services", id, "办事指南", "guides", guides)
		}
		l.checkSources(o, o.Sources)
	}

	for _, g := range c.Guides {
		l.need(g, "id", g.ID == "")
		l.need(g, "title", g.Title == "")
		l.checkID(g, g.ID)
		if g.Audience != "" && !slices.Contains(Audiences(), g.Audience) {
			l.errorf(l.keyPos(g, "audience"), "可选值："+strings.Join(Audiences(), "、"),
				"读者 audience %q 不是可选的读者", g.Audience)
		}
		for i := range g.Conditions {
			cd := &g.Conditions[i]
			l.need(cd, "text", cd.Text == "")
			l.cited(cd, cd.Source)
		}
		for i := range g.Materials {
			m := &g.Materials[i]
			l.need(m, "name", m.Name == "")
		}
		for i := range g.Forms {
			f := &g.Forms[i]
			l.need(f, "name", f.Name == "")
			l.cited(f, f.Source)
		}
		for i := range g.Duties {
			d := &g.Duties[i]
			l.need(d, "text", d.Text == "")
			l.cited(d, d.Source)
		}
		for _, id := range g.Related {
			if id == g.ID {
				l.errorf(l.keyPos(g, "related"), "删去这一项：related 只列同一办事过程中的其他指南", "指南 %q 把自己列为相关指南", id)
				continue
			}
			ref(l, g, "related", id, "办事指南", "guides", guides)
		}
		for i := range g.Steps {
			st := &g.Steps[i]
			l.need(st, "actor", st.Actor == "")
			l.need(st, "action", st.Action == "")
		}
		for i := range g.FAQ {
			qa := &g.FAQ[i]
			l.need(qa, "q", qa.Q == "")
			l.need(qa, "a", qa.A == "")
		}
		for _, id := range g.Channels {
			ref(l, g, "channels", id, "办理渠道", "offices", offices)
		}
		for _, id := range g.Basis {
			ref(l, g, "basis", id, "政策文件", "documents", docs)
		}
		l.checkSources(g, g.Sources)
	}

	for _, d := range c.Documents {
		l.need(d, "id", d.ID == "")
		l.need(d, "title", d.Title == "")
		l.checkID(d, d.ID)
		ref(l, d, "superseded_by", d.SupersededBy, "政策文件", "documents", docs)
		if d.SupersededBy != "" && d.Status == InForce {
			l.errorf(l.keyPos(d, "status"), `把 status 改为 "已被替代"，或删去 superseded_by`,
				"文件已被替代（superseded_by），状态却是%q", d.Status)
		}
		if d.Summary != "" && c.Pages[d.Summary] == nil {
			hint := `路径相对于 content/ 文件夹，例如 "documents/min-2022-126.md"；先新建这个 Markdown 文件`
			if c.Pages[strings.TrimPrefix(d.Summary, "content/")] != nil {
				hint = fmt.Sprintf("路径相对于 content/ 文件夹：写成 %q", strings.TrimPrefix(d.Summary, "content/"))
			}
			if l.pageFailed("content/" + d.Summary) {
				// The page is there but could not be read: that is
				// the mistake, reported at the page.
				continue
			}
			l.errorf(l.keyPos(d, "summary"), hint, "摘要文件 %q 在 content/ 中不存在", d.Summary)
		}
		l.checkURL(d, "url", d.URL)
		l.checkSources(d, d.Sources)
	}

	for _, ch := range c.Changes {
		l.need(ch, "id", ch.ID == "")
		l.need(ch, "date", ch.Date.IsZero())
		l.need(ch, "kind", ch.Kind == "")
		l.need(ch, "title", ch.Title == "")
		l.checkID(ch, ch.ID)
		for _, id := range ch.Qualifications {
			ref(l, ch, "qualifications", id, "资格", "qualifications", quals)
		}
		for _, id := range ch.Organisations {
			ref(l, ch, "organisations", id, "评价机构", "organisations", orgs)
		}
		for _, id := range ch.Documents {
			ref(l, ch, "documents", id, "政策文件", "documents", docs)
		}
		l.checkSources(ch, ch.Sources)
	}

	// A 采认 row is exchanged for a mainland certificate by a certifying
	// body; a row that names none, whose occupation no organisation
	// certifies and that points to no guide leaves the reader nowhere to go.
	for _, q := range c.Qualifications {
		if q.Route != Recognition || len(q.Certifiers) > 0 || q.Guide != "" {
			continue
		}
		if !slices.ContainsFunc(c.Organisations, func(o *Organisation) bool { return o.counts(c.buildDate) && o.certifies(q.Occupation) }) {
			l.warnf(l.keyPos(q, "route"),
				fmt.Sprintf("写上 certifiers（认定机构的 id）或 guide（办事指南），或在 catalog/organisations.toml 中登记认定职业 %s 的机构", q.Occupation),
				"采认资格没有可办理的认定机构（规则：采认由认定机构直接换发证书，来源：%s）", srcCentre)
		}
	}
}

// fuzhouSocial reports whether o is a social training-evaluation
// organisation registered in Fuzhou, where seed 004's rules apply.
func (o *Organisation) fuzhouSocial() bool {
	return o.Type == SocialOrg && strings.HasPrefix(o.Region, "福州")
}

// counts reports whether o is in the catalogue on the date: not
// suspended, removed or expired.
func (o *Organisation) counts(on Date) bool {
	v := o.Validity(on)
	return v != SuspendedStatus && v != RemovedStatus && v != Expired
}

// certifies reports whether o may certify the occupation.
func (o *Organisation) certifies(code string) bool {
	return slices.ContainsFunc(o.Certifies, func(c Certification) bool { return c.Occupation == code })
}

// checkFuzhouQuota reports a third (and further) social organisation
// certifying one occupation in Fuzhou.
func (l *loader) checkFuzhouQuota(c *Catalog) {
	type seen struct {
		id  string
		pos Pos
	}
	by := map[string][]seen{}
	for _, o := range c.Organisations {
		if !o.fuzhouSocial() || !o.counts(c.buildDate) {
			continue
		}
		for i := range o.Certifies {
			cf := &o.Certifies[i]
			if cf.Occupation == "" || slices.ContainsFunc(by[cf.Occupation], func(s seen) bool { return s.id == o.ID }) {
				continue
			}
			prev := by[cf.Occupation]
			p := l.keyPos(cf, "occupation")
			by[cf.Occupation] = append(prev, seen{o.ID, p})
			if len(prev) < 2 {
				continue
			}
			name := cf.Occupation
			for _, occ := range c.Occupations {
				if occ.Code == cf.Occupation {
					name = fmt.Sprintf("%s（%s）", occ.Code, occ.Name)
					break
				}
			}
			var earlier []string
			for _, s := range prev {
				earlier = append(earlier, fmt.Sprintf("%s（%s）", s.id, s.pos))
			}
			l.errorf(p, "已登记："+strings.Join(earlier, "、")+`；把已退出的机构改为 status = "移出"，或核对职业编码`,
				"职业 %s 在福州市的第 %d 家社会培训评价组织（规则：每个职业最多 2 家，来源：%s）",
				name, len(prev)+1, srcFuzhou)
		}
	}
}

// unique reports every repeated key (at the repeat, naming the first)
// and returns the rows by key.
func unique[T any](l *loader, rows []*T, key, what string, get func(*T) string) map[string]*T {
	m := make(map[string]*T, len(rows))
	for _, r := range rows {
		k := get(r)
		if k == "" {
			continue
		}
		if first, dup := m[k]; dup {
			l.errorf(l.keyPos(r, key), "每一条的 "+key+" 必须不同：改掉其中一个，或删去重复的一条",
				"%s %q 重复，第一次出现在 %s", what, k, l.keyPos(first, key))
			continue
		}
		m[k] = r
	}
	return m
}

// ref reports id, the value of key in row, if it names no row of
// catalog/<file>.toml.
func ref[T any](l *loader, row any, key, id, what, file string, rows map[string]*T) {
	if id == "" || rows[id] != nil {
		return
	}
	hint := fmt.Sprintf("先在 catalog/%s.toml 中添加，或检查是否写错", file)
	best, bestD := "", 3
	for k := range rows {
		if d := distance(id, k); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	if best != "" {
		hint = fmt.Sprintf("是否想写 %q？", best) + hint
	}
	if h := halfWidth(id); h != "" && rows[h] != nil {
		hint = fmt.Sprintf("这里用了全角字符：写成 %q", h)
	}
	l.errorf(l.keyPos(row, key), hint, "%s %q 未在 catalog/%s.toml 中定义", what, id, file)
	l.diags[len(l.diags)-1].Cause = l.causeOf(file)
}

// need reports a required key that is missing, at the row's header.
func (l *loader) need(row any, key string, missing bool) {
	if !missing {
		return
	}
	t := l.at[row]
	if t == nil {
		return
	}
	where := "这一条里"
	if len(t.path) > 0 {
		where = fmt.Sprintf(" [[%s]] 下", strings.Join(t.path, "."))
	}
	if t.has(key) {
		l.errorf(t.keyPos(key), "填写内容，不要留空", "必填字段 %q 是空的", key)
		return
	}
	l.errorf(t.Pos(), fmt.Sprintf("在%s加上 %s = …", where, key), "缺少必填字段 %q", key)
}

// cited warns about a condition, form or duty that does not say which
// notice and section it comes from: a reader checking the page against the
// notice needs the section, not only the guide's list of sources.
func (l *loader) cited(row any, source string) {
	if strings.TrimSpace(source) != "" {
		return
	}
	t := l.at[row]
	if t == nil {
		return
	}
	where := "这一条"
	if len(t.path) > 0 {
		where = fmt.Sprintf("[[%s]]", strings.Join(t.path, "."))
	}
	l.warnf(t.Pos(), `加上 source = "…"：文件名称或文号和条款，例如 source = "桂人社规〔2020〕12号 六（二）"`,
		"%s 没有写出处 source（规则：%s）", where, srcSources)
}

// checkID reports an id that is not lowercase words joined by "-".
func (l *loader) checkID(row any, id string) {
	if id != "" && !idFormat.MatchString(id) {
		l.errorf(l.keyPos(row, "id"), `只用小写英文字母和数字，单词之间用 - 连接，例如 "yanglao-huliyuan-4"`,
			"编号 %q 的格式不对", id)
	}
}

// checkCode reports a 大典 code not written 4-10-01-05, and says
// whether it was well formed.
func (l *loader) checkCode(row any, key, code string) bool {
	if code == "" || codeFormat.MatchString(code) {
		return true
	}
	if h := halfWidth(code); h != "" && codeFormat.MatchString(strings.TrimSpace(h)) {
		l.errorf(l.keyPos(row, key), fmt.Sprintf("用半角数字和连字符：写成 %q", strings.TrimSpace(h)),
			"职业编码 %q 用了全角字符", code)
		return false
	}
	l.errorf(l.keyPos(row, key), `大典编码写成 大类-中类-小类-细类，如 "4-10-01-05"（1 位-2 位-2 位-2 位）`,
		"职业编码 %q 的格式不对", code)
	return false
}

// checkPhones reports numbers that are not office lines. Personal
// mobile numbers are never published.
func (l *loader) checkPhones(row any, phones []string, key string) {
	for _, ph := range phones {
		digits := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(ph)
		switch {
		case mobileFormat.MatchString(digits):
			l.errorf(l.keyPos(row, key), "改用单位的办公电话，如 0591-87629279（区号-号码）",
				"%q 是手机号码：本站只公布办公电话，不公布个人手机号", ph)
		case !phoneFormat.MatchString(ph) && !hotlineFormat.MatchString(ph):
			l.errorf(l.keyPos(row, key), "写成 区号-号码（0591-87629279）或本地号码（87629279），不加空格；分机写成 0591-87629279-123",
				"%q 不是有效的电话号码", ph)
		}
	}
}

// checkURL reports a link that is not an absolute https URL (http is
// allowed with a warning: the reader's browser will flag it).
func (l *loader) checkURL(row any, key, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || strings.ContainsAny(s, " \t"):
		l.errorf(l.keyPos(row, key), "写完整的网址，以 https:// 开头，不含空格", "%q 不是有效的网址", s)
	case u.Scheme == "http":
		l.warnf(l.keyPos(row, key), "对方网站支持时改成 https://", "网址 %q 使用不加密的 http", s)
	}
}

// placeholderHost reports the hosts reserved for examples (RFC 2606),
// which no deployment serves.
func placeholderHost(h string) bool {
	for _, d := range []string{"example.org", "example.com", "example.net"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return strings.HasSuffix(h, ".example") || strings.HasSuffix(h, ".invalid")
}

// checkSources warns about a row that cites nothing, and reports a
// source that looks like a link but is not one. A source's scheme is the
// publisher's choice, so http is fine there.
func (l *loader) checkSources(row any, sources []string) {
	if len(sources) == 0 {
		t := l.at[row]
		if t == nil {
			return
		}
		l.warnf(t.Pos(), `例如 sources = ["福建省人社厅，闽人社办〔2025〕141号，2025-11-21"]：发布机构或媒体、文号、日期`,
			"没有写来源 sources（规则：%s）", srcSources)
		return
	}
	for _, s := range sources {
		if strings.TrimSpace(s) == "" {
			l.errorf(l.keyPos(row, "sources"), "删去空的一项", "来源不能为空")
			continue
		}
		if !strings.Contains(s, "://") {
			continue
		}
		if u, err := url.Parse(s); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			l.errorf(l.keyPos(row, "sources"), "网址写完整，以 https:// 或 http:// 开头；出处和网址分成两项写", "来源 %q 不是有效的网址", s)
		}
	}
}
