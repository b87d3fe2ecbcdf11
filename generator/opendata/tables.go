package opendata

import (
	"strings"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// tables returns every dataset with its columns. c may be nil when only
// the descriptions are wanted.
func tables(c *catalog.Catalog, on catalog.Date) []*table {
	occupationName := func(code string) string {
		if c == nil {
			return ""
		}
		if o := c.Occupation(code); o != nil {
			return o.Name
		}
		return ""
	}
	documentNumber := func(id string) string {
		if c == nil {
			return ""
		}
		if d := c.Document(id); d != nil {
			return d.Number
		}
		return ""
	}

	type Q = *catalog.Qualification
	qualifications := &table{
		Dataset: Dataset{
			Name: "qualifications", Title: "职业资格采信采认目录",
			Description: "每一行是一项台湾地区职业资格（技术士证及其级别）与相当的大陆职业（工种）和职业技能等级的对应关系，以及办理途径和依据。",
			JSON:        "data/qualifications.json", CSV: "data/qualifications.csv",
		},
		cols: []column{
			col("id", typeText, "本行的稳定标识，用于网址和证书", func(q Q) any { return q.ID }),
			col("taiwan_name", typeText, "台湾地区技术士名称，如“照顾服务员”", func(q Q) any { return q.TaiwanName }),
			col("taiwan_grade", typeText, "台湾地区技术士级别：甲级、乙级、丙级或单一级；空白表示未公布", func(q Q) any { return string(q.TaiwanGrade) }),
			col("occupation", typeText, "相当的大陆职业（工种）在《中华人民共和国职业分类大典（2022年版）》中的编码，如 4-10-01-05", func(q Q) any { return q.Occupation }),
			col("occupation_name", typeText, "该编码对应的职业名称（取自职业数据集）", func(q Q) any { return occupationName(q.Occupation) }),
			col("occupation_as_published", typeText, "来源文件使用的职业名称与现行大典名称不同时，来源中的写法（如“育婴员”）；相同则空白", func(q Q) any { return q.OccupationAsPublished }),
			col("level", typeText, "相当的大陆职业技能等级：五级至一级；空白表示未公布", func(q Q) any { return string(q.Level) }),
			col("level_title", typeText, "等级及其职业资格名称，如“四级/中级工”；空白表示未公布", func(q Q) any { return q.Level.Title() }),
			col("level_basis", typeText, "等级的依据：published（来源写明）或 inferred（本站推断）；空白表示等级未公布", func(q Q) any { return basis(string(q.Level), q.LevelInferred) }),
			col("level_reason", typeText, "level_basis 为 inferred 时本站推断的理由", func(q Q) any { return q.LevelInferred }),
			col("route", typeText, "办理途径：采信或采认", func(q Q) any { return string(q.Route) }),
			col("route_basis", typeText, "办理途径的依据：published（来源写明）或 inferred（来源未写明，本站推断）；空白表示途径未公布", func(q Q) any { return basis(string(q.Route), q.RouteInferred) }),
			col("route_reason", typeText, "route_basis 为 inferred 时本站推断的理由", func(q Q) any { return q.RouteInferred }),
			col("category", typeText, "类别：技能类或专业技术类", func(q Q) any { return string(q.Category) }),
			col("batch", typeInt, "目录批次号；0 表示不属于编号批次或未公布", func(q Q) any { return q.Batch }),
			col("document", typeText, "列入本行的政策文件的标识（见政策文件数据集）；空白表示未公布", func(q Q) any { return q.Document }),
			col("document_number", typeText, "该政策文件的文号，如“闽人社办〔2025〕141号”", func(q Q) any { return documentNumber(q.Document) }),
			col("effective", typeDate, "本行生效日期；空白表示未公布", func(q Q) any { return q.Effective }),
			col("scope", typeText, "适用范围：福建或全国推广", func(q Q) any { return string(q.Scope) }),
			col("guide", typeText, "应遵循的办事指南的标识（见办事指南数据集）", func(q Q) any { return q.Guide }),
			col("certifiers", typeList, "承担认定的评价机构的标识（见评价机构数据集）", func(q Q) any { return q.Certifiers }),
			col("notes", typeText, "说明（Markdown 格式）", func(q Q) any { return q.Notes }),
			col("sources", typeList, "信息来源：公布单位或媒体、日期、文号", func(q Q) any { return q.Sources }),
		},
		rows: func(c *catalog.Catalog) []any { return rowsOf(c.Qualifications) },
	}

	type O = *catalog.Occupation
	occupations := &table{
		Dataset: Dataset{
			Name: "occupations", Title: "职业（工种）",
			Description: "目录用到的《中华人民共和国职业分类大典（2022年版）》职业及其编码。",
			JSON:        "data/occupations.json", CSV: "data/occupations.csv",
		},
		cols: []column{
			col("code", typeText, "大典职业编码：大类-中类-小类-细类，如 4-10-01-05", func(o O) any { return o.Code }),
			col("name", typeText, "大典职业名称", func(o O) any { return o.Name }),
			col("aliases", typeList, "常用的其他名称", func(o O) any { return o.Aliases }),
			col("formerly", typeList, "改名前的名称（如“育婴员”）", func(o O) any { return o.Formerly }),
			col("sources", typeList, "信息来源", func(o O) any { return o.Sources }),
		},
		rows: func(c *catalog.Catalog) []any { return rowsOf(c.Occupations) },
	}

	type G = *catalog.Organisation
	certification := &table{
		Dataset: Dataset{Name: "certifications"},
		cols: []column{
			col("occupation", typeText, "职业编码", func(x catalog.Certification) any { return x.Occupation }),
			col("levels", typeList, "可认定的等级", func(x catalog.Certification) any { return strs(x.Levels) }),
		},
	}
	organisations := &table{
		Dataset: Dataset{
			Name: "organisations", Title: "职业技能等级评价机构",
			Description: "备案的评价机构、可认定的职业和等级、备案有效期，以及截至本站构建日期的有效状态。",
			JSON:        "data/organisations.json", CSV: "data/organisations.csv",
		},
		cols: []column{
			col("id", typeText, "机构的稳定标识", func(o G) any { return o.ID }),
			col("name", typeText, "机构名称", func(o G) any { return o.Name }),
			col("type", typeText, "机构类别：社会培训评价组织、技工院校、企业、院校鉴定站、国外发证机构或公共服务机构", func(o G) any { return string(o.Type) }),
			col("code", typeText, "备案编号或机构编码；空白表示未公布", func(o G) any { return o.Code }),
			col("region", typeText, "所在地区", func(o G) any { return o.Region }),
			col("address", typeText, "地址", func(o G) any { return o.Address }),
			{
				Field: Field{"certifies", typeObjects, "可认定的职业（occupation，职业编码）及等级（levels）；CSV 中每项写作“职业编码:等级、等级”"},
				get:   func(r any) any { return objects(certification, rowsOf(r.(G).Certifies)) },
				flat:  func(r any) any { return certifies(r.(G)) },
			},
			col("valid_from", typeDate, "备案有效期起始日；空白表示未公布", func(o G) any { return o.ValidFrom }),
			col("valid_until", typeDate, "备案有效期截止日；空白表示未公布", func(o G) any { return o.ValidUntil }),
			col("status", typeText, "主管部门公布的备案状态：有效、暂停或移出", func(o G) any { return string(o.Status) }),
			col("status_date", typeDate, "状态变更日期", func(o G) any { return o.StatusDate }),
			col("status_reason", typeText, "状态变更原因", func(o G) any { return o.StatusReason }),
			col("validity", typeText, "本站最近一次构建之日的有效状态：有效、即将到期（90天内到期）、已过期、暂停、已移出或未公布", func(o G) any { return o.Validity(on).String() }),
			col("validity_since", typeDate, "validity 所示状态自哪一天起未变（有效期截止日前90天、截止日次日、起始日或状态变更日期）；空白表示无从推算", func(o G) any { return o.ValiditySince(on) }),
			col("supervisor", typeText, "业务指导单位", func(o G) any { return o.Supervisor }),
			col("partner", typeText, "国外发证机构的中方合作机构", func(o G) any { return o.Partner }),
			col("phones", typeList, "对外办公电话", func(o G) any { return o.Phones }),
			col("notes", typeText, "说明（Markdown 格式）", func(o G) any { return o.Notes }),
			col("sources", typeList, "信息来源", func(o G) any { return o.Sources }),
		},
		rows: func(c *catalog.Catalog) []any { return rowsOf(c.Organisations) },
	}

	type P = officePhone
	phones := &table{
		Dataset: Dataset{
			Name: "office-phones", Title: "办公电话",
			Description: "各窗口和渠道的对外办公电话，每行一条，写明来源所说的用途。",
			CSV:         "data/office-phones.csv",
		},
		cols: []column{
			col("office", typeText, "窗口或渠道的标识", func(p P) any { return p.office.ID }),
			col("number", typeText, "号码，含长途区号，如 0595-22135540", func(p P) any { return p.v.Number }),
			col("international", typeText, "从台湾或境外拨打的号码，如 +86-595-22135540", func(p P) any { return catalog.International(p.v.Number) }),
			col("purpose", typeText, "来源所说的用途", func(p P) any { return p.v.Purpose }),
			col("note", typeText, "说明，如来源原文未写区号", func(p P) any { return p.v.Note }),
		},
		rows: func(c *catalog.Catalog) []any {
			var out []any
			if c == nil {
				return out
			}
			for _, o := range c.Offices {
				out = append(out, phonesOf(o)...)
			}
			return out
		},
	}

	type F = *catalog.Office
	offices := &table{
		Dataset: Dataset{
			Name: "offices", Title: "服务窗口与渠道",
			Description: "办理窗口、线上渠道和咨询电话。",
			JSON:        "data/offices.json", CSV: "data/offices.csv",
		},
		cols: []column{
			col("id", typeText, "窗口或渠道的稳定标识", func(o F) any { return o.ID }),
			col("name", typeText, "名称", func(o F) any { return o.Name }),
			col("kind", typeText, "种类：窗口、线上或电话", func(o F) any { return string(o.Kind) }),
			col("city", typeText, "所在城市", func(o F) any { return o.City }),
			col("address", typeText, "地址", func(o F) any { return o.Address }),
			col("window", typeText, "窗口位置，如“三楼36号窗口”", func(o F) any { return o.Window }),
			col("hours", typeText, "办公时间", func(o F) any { return o.Hours }),
			nested("phones", "对外办公电话及来源所说的用途，字段同“办公电话”数据集", phones, func(o F) []any { return phonesOf(o) }),
			col("email", typeText, "电子邮箱", func(o F) any { return o.Email }),
			col("url", typeText, "网址", func(o F) any { return o.URL }),
			col("path", typeList, "在应用中的进入路径，如 闽政通；平潭通；岚聚英才", func(o F) any { return o.Path }),
			col("services", typeList, "在此办理的业务（办事指南的标识）", func(o F) any { return o.Services }),
			col("notes", typeText, "说明（Markdown 格式）", func(o F) any { return o.Notes }),
			col("sources", typeList, "信息来源", func(o F) any { return o.Sources }),
		},
		rows: func(c *catalog.Catalog) []any { return rowsOf(c.Offices) },
	}

	type S = item[catalog.Step]
	steps := &table{
		Dataset: Dataset{
			Name: "guide-steps", Title: "办事步骤",
			Description: "各办事指南的办理步骤，每行一步，按顺序排列。",
			CSV:         "data/guide-steps.csv",
		},
		cols: []column{
			col("guide", typeText, "办事指南的标识", func(s S) any { return s.guide.ID }),
			col("step", typeInt, "步骤序号，从 1 开始", func(s S) any { return s.n }),
			col("actor", typeText, "办理主体，如 台胞、各地人社部门、一体化中心", func(s S) any { return s.v.Actor }),
			col("action", typeText, "办理事项", func(s S) any { return s.v.Action }),
			col("time_limit", typeText, "本步骤的办理时限；空白表示未公布", func(s S) any { return s.v.TimeLimit }),
			col("branch", typeText, "流程分支时本步骤适用的情形；主流程为空白", func(s S) any { return s.v.Branch }),
			col("fee", typeText, "本步骤的收费；空白表示未公布", func(s S) any { return s.v.Fee }),
			col("source", typeText, "出处：文件及条款", func(s S) any { return s.v.Source }),
		},
		rows: func(c *catalog.Catalog) []any {
			return items(c, func(g *catalog.Guide) []catalog.Step { return g.Steps })
		},
	}
	type M = item[catalog.Material]
	materials := &table{
		Dataset: Dataset{
			Name: "guide-materials", Title: "所需材料",
			Description: "各办事指南要求提交的材料，每行一项。",
			CSV:         "data/guide-materials.csv",
		},
		cols: []column{
			col("guide", typeText, "办事指南的标识", func(m M) any { return m.guide.ID }),
			col("item", typeInt, "材料序号，从 1 开始", func(m M) any { return m.n }),
			col("name", typeText, "材料名称", func(m M) any { return m.v.Name }),
			col("form", typeText, "提交形式：原件、复印件、原件及复印件或电子版；空白表示未公布", func(m M) any { return string(m.v.Form) }),
			col("translation", typeBool, "是否须附中文译本", func(m M) any { return m.v.Translation }),
			col("note", typeText, "说明", func(m M) any { return m.v.Note }),
			col("group", typeText, "材料所属的类别，如“机构资信证明类文件”；空白表示不分类", func(m M) any { return m.v.Group }),
			col("source", typeText, "出处：文件及条款", func(m M) any { return m.v.Source }),
		},
		rows: func(c *catalog.Catalog) []any {
			return items(c, func(g *catalog.Guide) []catalog.Material { return g.Materials })
		},
	}
	type K = item[catalog.Condition]
	conditions := &table{
		Dataset: Dataset{
			Name: "guide-conditions", Title: "申请条件",
			Description: "各办事指南的申请条件，每行一条，注明出处。",
			CSV:         "data/guide-conditions.csv",
		},
		cols: []column{
			col("guide", typeText, "办事指南的标识", func(k K) any { return k.guide.ID }),
			col("item", typeInt, "条件序号，从 1 开始", func(k K) any { return k.n }),
			col("group", typeText, "条件所属的一组，如“基本条件”“优先考虑”；空白表示不分组", func(k K) any { return k.v.Group }),
			col("text", typeText, "条件（Markdown 格式）", func(k K) any { return k.v.Text }),
			col("source", typeText, "出处：文件及条款", func(k K) any { return k.v.Source }),
		},
		rows: func(c *catalog.Catalog) []any {
			return items(c, func(g *catalog.Guide) []catalog.Condition { return g.Conditions })
		},
	}
	type X = item[catalog.Annex]
	forms := &table{
		Dataset: Dataset{
			Name: "guide-forms", Title: "表格",
			Description: "各办事指南所依据的通知列名的表格：表格要填的内容（表格原文公布时），每行一张表。",
			CSV:         "data/guide-forms.csv",
		},
		cols: []column{
			col("guide", typeText, "办事指南的标识", func(x X) any { return x.guide.ID }),
			col("item", typeInt, "表格序号，从 1 开始", func(x X) any { return x.n }),
			col("name", typeText, "表格名称", func(x X) any { return x.v.Name }),
			col("asks", typeList, "表格要填的内容；空白表示表格原文未公布", func(x X) any { return x.v.Asks }),
			col("note", typeText, "说明", func(x X) any { return x.v.Note }),
			col("source", typeText, "出处：文件及条款", func(x X) any { return x.v.Source }),
		},
		rows: func(c *catalog.Catalog) []any {
			return items(c, func(g *catalog.Guide) []catalog.Annex { return g.Forms })
		},
	}
	type Y = item[catalog.Duty]
	duties := &table{
		Dataset: Dataset{
			Name: "guide-duties", Title: "备案、获批以后的义务",
			Description: "申请人备案或获批以后要做、不得做的事，每行一条，注明时限和出处。",
			CSV:         "data/guide-duties.csv",
		},
		cols: []column{
			col("guide", typeText, "办事指南的标识", func(y Y) any { return y.guide.ID }),
			col("item", typeInt, "序号，从 1 开始", func(y Y) any { return y.n }),
			col("group", typeText, "所属的一组，如“每次认定”“招生宣传”；空白表示不分组", func(y Y) any { return y.v.Group }),
			col("text", typeText, "要做或不得做的事（Markdown 格式）", func(y Y) any { return y.v.Text }),
			col("time_limit", typeText, "时限，如“认定工作结束后10个工作日内”；空白表示没有时限", func(y Y) any { return y.v.TimeLimit }),
			col("source", typeText, "出处：文件及条款", func(y Y) any { return y.v.Source }),
		},
		rows: func(c *catalog.Catalog) []any {
			return items(c, func(g *catalog.Guide) []catalog.Duty { return g.Duties })
		},
	}
	type A = item[catalog.QA]
	faq := &table{
		Dataset: Dataset{
			Name: "guide-faq", Title: "常见问题",
			Description: "各办事指南的常见问题及解答，每行一问。",
			CSV:         "data/guide-faq.csv",
		},
		cols: []column{
			col("guide", typeText, "办事指南的标识", func(a A) any { return a.guide.ID }),
			col("item", typeInt, "问题序号，从 1 开始", func(a A) any { return a.n }),
			col("q", typeText, "问题", func(a A) any { return a.v.Q }),
			col("a", typeText, "解答（Markdown 格式）", func(a A) any { return a.v.A }),
		},
		rows: func(c *catalog.Catalog) []any { return items(c, func(g *catalog.Guide) []catalog.QA { return g.FAQ }) },
	}

	type U = *catalog.Guide
	guides := &table{
		Dataset: Dataset{
			Name: "guides", Title: "办事指南",
			Description: "每项业务的办事指南：申请条件、办理时限、收费、办理渠道和依据。材料、步骤和常见问题在 JSON 中嵌套于各指南，在 CSV 中另成三个数据表。",
			JSON:        "data/guides.json", CSV: "data/guides.csv",
		},
		cols: []column{
			col("id", typeText, "指南的稳定标识，如 caixin（采信）、cairen（采认）", func(g U) any { return g.ID }),
			col("title", typeText, "业务名称", func(g U) any { return g.Title }),
			col("summary", typeText, "业务简介（Markdown 格式）", func(g U) any { return g.Summary }),
			col("eligibility", typeText, "申请条件（Markdown 格式）", func(g U) any { return g.Eligibility }),
			col("time_limit", typeText, "总办理时限；空白表示未公布", func(g U) any { return g.TimeLimit }),
			col("fees", typeText, "收费；空白表示未公布", func(g U) any { return g.Fees }),
			col("channels", typeList, "办理窗口和渠道的标识（见服务窗口与渠道数据集）", func(g U) any { return g.Channels }),
			col("basis", typeList, "依据的政策文件的标识（见政策文件数据集）", func(g U) any { return g.Basis }),
			col("sources", typeList, "信息来源", func(g U) any { return g.Sources }),
			col("audience", typeText, "指南写给谁：台胞、评价机构、技工院校、用人单位或境外发证机构", func(g U) any { return g.Audience }),
			col("first", typeText, "先做什么（Markdown 格式）", func(g U) any { return g.First }),
			col("related", typeList, "同一办事过程的其他指南的标识", func(g U) any { return g.Related }),
			col("reading", typeText, "本站怎样读来源：来源没有说清、本站推断的地方（Markdown 格式）", func(g U) any { return g.Reading }),
			nested("conditions", "申请条件，字段同“申请条件”数据集", conditions, func(g U) []any { return itemsOf(g, g.Conditions) }),
			nested("materials", "所需材料，字段同“所需材料”数据集", materials, func(g U) []any { return itemsOf(g, g.Materials) }),
			nested("steps", "办理步骤，字段同“办事步骤”数据集", steps, func(g U) []any { return itemsOf(g, g.Steps) }),
			nested("faq", "常见问题，字段同“常见问题”数据集", faq, func(g U) []any { return itemsOf(g, g.FAQ) }),
			nested("forms", "表格，字段同“表格”数据集", forms, func(g U) []any { return itemsOf(g, g.Forms) }),
			nested("duties", "备案、获批以后的义务，字段同“备案、获批以后的义务”数据集", duties, func(g U) []any { return itemsOf(g, g.Duties) }),
		},
		rows: func(c *catalog.Catalog) []any { return rowsOf(c.Guides) },
	}

	type D = *catalog.Document
	documents := &table{
		Dataset: Dataset{
			Name: "documents", Title: "政策文件",
			Description: "目录和办事指南所依据的政策文件。",
			JSON:        "data/documents.json", CSV: "data/documents.csv",
		},
		cols: []column{
			col("id", typeText, "文件的稳定标识", func(d D) any { return d.ID }),
			col("number", typeText, "文号，如“闽人社文〔2022〕126号”；无文号则空白", func(d D) any { return d.Number }),
			col("title", typeText, "文件标题", func(d D) any { return d.Title }),
			col("issuer", typeText, "发文单位", func(d D) any { return d.Issuer }),
			col("date", typeDate, "发文日期", func(d D) any { return d.Date }),
			col("status", typeText, "效力状态：现行有效、已被替代或已废止", func(d D) any { return string(d.Status) }),
			col("superseded_by", typeText, "替代本文件的文件的标识", func(d D) any { return d.SupersededBy }),
			col("summary", typeText, "本站摘要的 Markdown 源稿路径（content/ 下）", func(d D) any { return d.Summary }),
			col("url", typeText, "原文公布网址（如已知）", func(d D) any { return d.URL }),
			col("sources", typeList, "信息来源", func(d D) any { return d.Sources }),
		},
		rows: func(c *catalog.Catalog) []any { return rowsOf(c.Documents) },
	}

	type C = *catalog.Change
	changes := &table{
		Dataset: Dataset{
			Name: "changes", Title: "更新记录",
			Description: "目录批次、新增条目、机构变更和政策变化的记录，按日期从新到旧排列。",
			JSON:        "data/changes.json", CSV: "data/changes.csv",
		},
		cols: []column{
			col("id", typeText, "记录的稳定标识", func(x C) any { return x.ID }),
			col("date", typeDate, "日期", func(x C) any { return x.Date }),
			col("kind", typeText, "种类：目录批次、新增、机构变更、政策或服务", func(x C) any { return string(x.Kind) }),
			col("title", typeText, "标题", func(x C) any { return x.Title }),
			col("body", typeText, "内容（Markdown 格式）", func(x C) any { return x.Body }),
			col("qualifications", typeList, "涉及的目录行的标识", func(x C) any { return x.Qualifications }),
			col("organisations", typeList, "涉及的评价机构的标识", func(x C) any { return x.Organisations }),
			col("documents", typeList, "涉及的政策文件的标识", func(x C) any { return x.Documents }),
			col("sources", typeList, "信息来源", func(x C) any { return x.Sources }),
		},
		rows: func(c *catalog.Catalog) []any { return rowsOf(c.Changes) },
	}

	qualName := func(id string) string {
		if c == nil {
			return ""
		}
		if q := c.Qualification(id); q != nil {
			return q.TaiwanName
		}
		return ""
	}
	type N = *catalog.StatCount
	statistics := &table{
		Dataset: Dataset{
			Name: "statistics", Title: "采信证书发证统计",
			Description: "一体化服务中心签发的采信证书份数，按目录行、职业（工种）、等级和签发年份统计，由证书登记库计算，不含任何个人信息。",
			JSON:        "data/statistics.json", CSV: "data/statistics.csv",
		},
		cols: []column{
			col("qualification", typeText, "目录行的标识（见职业资格采信采认目录数据集）", func(x N) any { return x.Qualification }),
			col("taiwan_name", typeText, "台湾地区技术士名称", func(x N) any { return qualName(x.Qualification) }),
			col("occupation_code", typeText, "大陆职业（工种）编码", func(x N) any { return x.OccupationCode }),
			col("occupation_name", typeText, "该编码对应的职业名称", func(x N) any { return occupationName(x.OccupationCode) }),
			col("level", typeText, "职业技能等级", func(x N) any { return string(x.Level) }),
			col("year", typeInt, "签发年份", func(x N) any { return x.Year }),
			col("count", typeInt, "签发份数", func(x N) any { return x.Count }),
			col("revoked", typeInt, "其中已撤销的份数", func(x N) any { return x.Revoked }),
		},
		rows: func(c *catalog.Catalog) []any { return rowsOf(c.Statistics) },
	}

	return []*table{qualifications, occupations, organisations, offices, phones, guides, steps, materials, faq, conditions, forms, duties, documents, changes, statistics}
}

// basis says whether a value is published or inferred: "" when there is
// no value.
func basis(value, inferred string) string {
	switch {
	case value == "":
		return ""
	case inferred != "":
		return "inferred"
	}
	return "published"
}

type officePhone struct {
	office *catalog.Office
	v      catalog.Phone
}

func phonesOf(o *catalog.Office) []any {
	out := make([]any, len(o.Phones))
	for i, p := range o.Phones {
		out[i] = officePhone{o, p}
	}
	return out
}

// certifies writes what an organisation certifies as
// "4-10-01-05:四级、三级" items.
func certifies(o *catalog.Organisation) []string {
	out := make([]string, len(o.Certifies))
	for i, c := range o.Certifies {
		out[i] = c.Occupation + ":" + strings.Join(strs(c.Levels), "、")
	}
	return out
}
