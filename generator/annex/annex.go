package annex

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/catalog"
)

// Options say what an annex is: the document it belongs to and its batch.
type Options struct {
	Document string // id in catalog/documents.toml (minban-2025-141)
	Batch    int    // catalogue batch number, 1 or more
	// Route is the route of every row; empty means 采认, since a
	// numbered annex is a direct-recognition (直接采认) catalogue.
	Route catalog.Route
	// Effective is the date the rows take effect; zero means the
	// document's date.
	Effective catalog.Date
	// BuildDate is passed to [catalog.Load] (the command passes today).
	BuildDate catalog.Date
}

// Entry is one row of the annex, read and mapped.
type Entry struct {
	Pos    diag.Pos // the row's first cell
	Serial int      // the row's 序号, or its place among the rows when there is none
	Row    *catalog.Qualification
	// Present is the catalog row this entry already is, when the catalog
	// holds it outside the batch file: it is left as it is and not
	// written again.
	Present *catalog.Qualification
}

// Skip is a row passed over: a title, a section heading or a note.
type Skip struct {
	Pos  diag.Pos
	Text string
}

// Plan is what an import would do: the annex's rows and the files to
// write, relative to the repository root. Files holds only files whose
// content changes, so an empty Files means the catalog already holds
// the annex.
type Plan struct {
	Grid      *Grid
	Entries   []Entry
	Skipped   []Skip
	BatchFile string // catalog/qualifications/batch-N.toml
	Change    string // id of the change entry that records the batch
	Files     map[string][]byte
	order     []string
}

// Paths returns the paths of Files in the order they are written.
func (p *Plan) Paths() []string { return p.order }

// New counts the entries written to the batch file.
func (p *Plan) New() int {
	n := 0
	for _, e := range p.Entries {
		if e.Present == nil {
			n++
		}
	}
	return n
}

// Import reads the annex name (its bytes data) against the repository
// repo and returns what it would write, with every problem found. The
// plan's files may be written only when the list holds no error.
func Import(repo fs.FS, name string, data []byte, opts Options) (*Plan, diag.List) {
	cat, ds := catalog.Load(repo, catalog.Options{BuildDate: opts.BuildDate})
	if ds.Err() != nil {
		out := diag.List{{Pos: diag.Pos{File: "catalog"}, Message: "目录本身有错误，先修正再导入", Hint: "运行 qualbridge check 查看"}}
		for _, d := range ds {
			if d.Severity == diag.Error {
				out = append(out, d)
			}
		}
		return nil, out
	}
	im := &importer{cat: cat, opts: opts, seen: map[string]bool{}}
	im.checkOptions()
	g, rds := Read(name, data)
	im.diags = append(im.diags, rds...)
	p := &Plan{Grid: g, Files: map[string][]byte{}}
	if opts.Batch > 0 {
		p.BatchFile = fmt.Sprintf("catalog/qualifications/batch-%d.toml", opts.Batch)
	}
	im.batchFile = p.BatchFile
	if g != nil {
		p.Entries, p.Skipped = im.rows(g)
	}
	if im.diags.Err() != nil {
		return p, im.diags
	}
	im.plan(repo, p)
	return p, im.diags
}

// importer holds the state of one Import.
type importer struct {
	cat       *catalog.Catalog
	opts      Options
	doc       *catalog.Document
	route     catalog.Route
	batchFile string
	diags     diag.List
	seen      map[string]bool // reported (position, message) pairs
}

func (im *importer) errorf(p diag.Pos, hint, format string, args ...any) {
	im.report(diag.Error, p, hint, format, args...)
}

func (im *importer) report(sev diag.Severity, p diag.Pos, hint, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	// A merged cell is read once for every row it covers; say it once.
	if k := p.String() + "\x00" + msg; !im.seen[k] {
		im.seen[k] = true
		im.diags = append(im.diags, diag.Diagnostic{Pos: p, Severity: sev, Message: msg, Hint: hint})
	}
}

var batchInTitle = regexp.MustCompile(`第([一二三四五六七八九十0-9]+)批`)

// checkOptions checks the document and batch the editor named.
func (im *importer) checkOptions() {
	o := im.opts
	im.route = o.Route
	if im.route == "" {
		im.route = catalog.Recognition
	}
	im.doc = im.cat.Document(o.Document)
	if im.doc == nil {
		var ids []string
		for _, d := range im.cat.Documents {
			ids = append(ids, d.ID)
		}
		hint := "先在 catalog/documents.toml 中添加这份通知，再导入它的附件"
		if near := nearest(o.Document, ids, 3); len(near) > 0 {
			hint = fmt.Sprintf("是否想写 %q？", near[0]) + hint
		}
		im.errorf(diag.Pos{File: "-document"}, hint, "文件 %q 未在 catalog/documents.toml 中定义", o.Document)
	}
	if o.Batch < 1 {
		im.errorf(diag.Pos{File: "-batch"}, "写上附件目录的批次号，如 -batch 5", "批次号应为正整数，现为 %d", o.Batch)
		return
	}
	if im.doc != nil {
		if m := batchInTitle.FindStringSubmatch(im.doc.Title); m != nil {
			if n := chineseNumber(m[1]); n > 0 && n != o.Batch {
				im.errorf(diag.Pos{File: "-batch"}, fmt.Sprintf("该文件的题名是《%s》（%s）；批次号或文件标识有一个写错了", im.doc.Title, im.doc.Pos),
					"文件 %q 是第%d批目录，不是第%d批", o.Document, n, o.Batch)
			}
		}
	}
	for _, q := range im.cat.Qualifications {
		if q.Batch == o.Batch && q.Document != "" && q.Document != o.Document && q.Pos.File != im.batchFileFor() {
			im.errorf(diag.Pos{File: "-batch"}, fmt.Sprintf("目录中 %s 的行是第%d批、依据文件 %q；批次号或文件标识有一个写错了", q.Pos, q.Batch, q.Document),
				"第%d批已属于另一份文件 %q", o.Batch, q.Document)
			break
		}
	}
	if im.doc != nil && o.Effective.IsZero() && im.doc.Date.IsZero() {
		im.errorf(diag.Pos{File: "-effective"}, "用 -effective 2025-11-21 这样的日期给出生效日期",
			"文件 %q 没有日期，无法确定这批目录的生效日期", o.Document)
	}
}

func (im *importer) batchFileFor() string {
	return fmt.Sprintf("catalog/qualifications/batch-%d.toml", im.opts.Batch)
}

// chineseNumber reads 五, 十二, 23 …; 0 when it cannot.
func chineseNumber(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	digits := map[rune]int{'一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	n, cur := 0, 0
	for _, r := range s {
		if r == '十' {
			n += max(cur, 1) * 10
			cur = 0
			continue
		}
		d, ok := digits[r]
		if !ok {
			return 0
		}
		cur = d
	}
	return n + cur
}

// key identifies a mapping: the same certificate and grade to the same
// occupation is one row, whatever the level.
type key struct {
	name  string
	grade catalog.Grade
	code  string
}

func keyOf(q *catalog.Qualification) key {
	return key{clean(q.TaiwanName), q.TaiwanGrade, q.Occupation}
}

// rows reads every data row under the header.
func (im *importer) rows(g *Grid) ([]Entry, []Skip) {
	h, ok := findHeader(g)
	if !ok {
		im.errorf(g.Pos, "表头要有“大陆职业名称”“台湾地区技术士名称”等列名（见第五批附件）；表头之上的标题行可以保留",
			"未找到目录的表头行")
		return nil, nil
	}
	hrow := g.Rows[h.row]
	h.texts = map[field]string{}
	for f, x := range h.cols {
		if x >= 0 {
			h.texts[field(f)] = clean(hrow.cell(x).Text)
		}
	}
	var missing []string
	for _, f := range required {
		if h.cols[f] < 0 {
			missing = append(missing, fieldNames[f])
		}
	}
	if len(missing) > 0 {
		var hint []string
		for _, f := range required {
			if h.cols[f] < 0 {
				hint = append(hint, fmt.Sprintf("“%s”可写作%s", fieldNames[f], quoteAll(fieldVariants[f])))
			}
		}
		im.errorf(hrow.Pos, strings.Join(hint, "；")+"；表头现有："+quoteAll(headerTexts(hrow)),
			"表头缺少%s列", quoteAll(missing))
	}
	for f, x := range h.dup {
		if x >= 0 {
			im.errorf(hrow.cell(x).Pos, fmt.Sprintf("与 %s 同为“%s”；删去多余的一列，或改正列名", hrow.cell(h.cols[f]).Pos, fieldNames[f]),
				"表头中“%s”出现了两次", clean(hrow.cell(x).Text))
		}
	}
	if len(missing) > 0 {
		return nil, nil
	}

	var entries []Entry
	var skipped []Skip
	first := map[key]Entry{}
	ids := map[string]Entry{}
	existing := map[key]*catalog.Qualification{}
	existingIDs := map[string]*catalog.Qualification{}
	for _, q := range im.cat.Qualifications {
		if q.Pos.File == im.batchFile {
			continue
		}
		if _, dup := existing[keyOf(q)]; !dup {
			existing[keyOf(q)] = q
		}
		existingIDs[q.ID] = q
	}
	occ := newOccupations(im.cat)
	for y := h.row + 1; y < len(g.Rows); y++ {
		r := g.Rows[y]
		if r.blank() {
			continue
		}
		if s, ok := passOver(r, h); ok {
			skipped = append(skipped, s)
			continue
		}
		e, ok := im.entry(r, h, occ)
		if !ok {
			continue
		}
		if e.Serial == 0 {
			e.Serial = len(entries) + 1
		}
		q := e.Row
		k := keyOf(q)
		if f, dup := first[k]; dup {
			im.errorf(e.Pos, "同一证书、等级对应同一职业只能有一行：删去重复的一行，或改正其中一行",
				"本行与 %s 重复：%s", f.Pos, describe(q, im.cat))
			continue
		}
		first[k] = e
		if old := existing[k]; old != nil {
			if old.Level == q.Level && old.Batch == im.opts.Batch && old.Document == im.opts.Document {
				e.Present = old
				if old.Route != q.Route {
					im.report(diag.Warning, e.Pos, fmt.Sprintf("目录中 %s 的这一行写的是 route = %q，附件按 %q 导入；请核对后改正其中一处", old.Pos, old.Route, q.Route),
						"本行已在目录中，但办理方式不同")
				}
			} else {
				im.errorf(e.Pos, fmt.Sprintf("目录中那一行是 %s %s（第%d批）；同一证书和等级对应同一职业只能有一行：改正附件，或先修改目录中的那一行",
					im.occupationName(old.Occupation), old.Level, old.Batch),
					"该证书和等级已在目录中：%s", old.Pos)
				continue
			}
		} else if old := existingIDs[q.ID]; old != nil {
			im.errorf(e.Pos, "两行的证书、等级或职业写法略有不同却得到同一标识；请核对", "本行生成的标识 %q 已被 %s 使用", q.ID, old.Pos)
			continue
		} else if f, dup := ids[q.ID]; dup {
			im.errorf(e.Pos, "两行的证书、等级或职业写法略有不同却得到同一标识；请核对", "本行生成的标识 %q 与 %s 相同", q.ID, f.Pos)
			continue
		}
		ids[q.ID] = e
		entries = append(entries, e)
	}
	if len(entries) == 0 && im.diags.Err() == nil {
		im.errorf(hrow.Pos, "表头之下要有目录的行", "表头之下没有任何行")
	}
	return entries, skipped
}

// passOver tells a row that is not a catalogue row: one text over the
// whole row (a merged title or section heading), a repeat of the header
// (a table continued on the next page), or text in the first column
// alone that is not a serial number (注：…).
func passOver(r Row, h header) (Skip, bool) {
	var texts []string
	var poss []diag.Pos
	for _, c := range r.Cells {
		if t := clean(c.Text); t != "" {
			texts = append(texts, t)
			poss = append(poss, c.Pos)
		}
	}
	skip := Skip{Pos: r.Pos, Text: strings.Join(slices.Compact(texts), " ")}
	if len(poss) > 1 && !slices.ContainsFunc(poss, func(p diag.Pos) bool { return p != poss[0] }) {
		return skip, true
	}
	if h.texts != nil && clean(r.cell(h.cols[fOccupation]).Text) == h.texts[fOccupation] && clean(r.cell(h.cols[fTaiwanName]).Text) == h.texts[fTaiwanName] {
		return skip, true
	}
	if len(texts) == 1 && clean(r.cell(0).Text) != "" {
		if _, err := strconv.Atoi(simplify(texts[0])); err != nil && h.cols[fOccupation] != 0 && h.cols[fTaiwanName] != 0 {
			return skip, true
		}
	}
	return Skip{}, false
}

// entry reads one row into a qualification row.
func (im *importer) entry(r Row, h header, occ *occupations) (Entry, bool) {
	ok := true
	get := func(f field) (string, diag.Pos) {
		if h.cols[f] < 0 {
			return "", r.Pos
		}
		c := r.cell(h.cols[f])
		return c.Text, c.Pos
	}
	need := func(f field) (string, diag.Pos) {
		t, p := get(f)
		if clean(t) == "" {
			im.errorf(p, "每一行都要写全四列；合并单元格的内容导入时会分给它覆盖的每一行", "“%s”为空", fieldNames[f])
			ok = false
		}
		return t, p
	}
	e := Entry{Pos: r.Pos}
	if s, _ := get(fSerial); s != "" {
		e.Serial, _ = strconv.Atoi(simplify(clean(s)))
	}
	q := &catalog.Qualification{
		Route: im.route, Category: catalog.Skill, Batch: im.opts.Batch, Document: im.opts.Document,
		Effective: im.opts.Effective, Scope: catalog.Fujian,
	}
	if im.doc != nil {
		if q.Effective.IsZero() {
			q.Effective = im.doc.Date
		}
		q.Sources = im.sources()
	}
	switch im.route {
	case catalog.Recognition:
		if im.cat.Guide("cairen") != nil {
			q.Guide = "cairen"
		}
	case catalog.Adoption:
		if im.cat.Guide("caixin") != nil {
			q.Guide = "caixin"
		}
	}

	name, namePos := need(fOccupation)
	if clean(name) != "" {
		code, _ := get(fCode)
		o, published, problem := occ.find(name, code)
		if o == nil {
			im.errorf(namePos, problem, "职业 %q 未在 catalog/occupations.toml 中找到", clean(name))
			ok = false
		} else {
			q.Occupation = o.Code
			if published != o.Name {
				q.OccupationAsPublished = published
			}
			if problem != "" {
				_, codePos := get(fCode)
				im.errorf(codePos, problem, "职业编码与职业名称不符")
				ok = false
			}
		}
	}
	level, levelPos := need(fLevel)
	if clean(level) != "" {
		if l, lok := parseLevel(level); lok {
			q.Level = l
		} else {
			im.errorf(levelPos, "可写：五级/初级工、四级/中级工、三级/高级工、二级/技师、一级/高级技师（“四级”“中级工”“四級”都可以）",
				"大陆等级 %q 无法识别", clean(level))
			ok = false
		}
	}
	tname, _ := need(fTaiwanName)
	q.TaiwanName = clean(tname)
	grade, gradePos := need(fTaiwanGrade)
	if clean(grade) != "" {
		if gr, gok := parseGrade(grade); gok {
			q.TaiwanGrade = gr
		} else {
			im.errorf(gradePos, "可写：甲级、乙级、丙级、单一级（繁体“單一級”也可以）", "台湾地区等级 %q 无法识别", clean(grade))
			ok = false
		}
	}
	if !ok {
		return Entry{}, false
	}
	// The shipped ids read the occupation as the source wrote it
	// (baomu-renyuan-yuyingyuan-3).
	published := q.OccupationAsPublished
	if published == "" {
		published = im.occupationName(q.Occupation)
	}
	q.ID = rowID(q.TaiwanName, q.TaiwanGrade, published, q.Level)
	e.Row = q
	return e, true
}

// sources cites the document, as its own sources do.
func (im *importer) sources() []string {
	if len(im.doc.Sources) > 0 {
		return slices.Clone(im.doc.Sources)
	}
	s := strings.TrimSpace(im.doc.Issuer + " " + im.doc.Number)
	if !im.doc.Date.IsZero() {
		s += "（" + im.doc.Date.String() + "）"
	}
	return []string{s}
}

func (im *importer) occupationName(code string) string {
	if o := im.cat.Occupation(code); o != nil {
		return o.Name
	}
	return code
}

// describe names a row for a message: 照顾服务员 单一级 → 养老护理员 四级.
func describe(q *catalog.Qualification, c *catalog.Catalog) string {
	name := q.Occupation
	if o := c.Occupation(q.Occupation); o != nil {
		name = o.Name
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s → %s %s", q.TaiwanName, q.TaiwanGrade, name, q.Level))
}

func headerTexts(r Row) []string {
	var out []string
	for _, c := range r.Cells {
		if t := clean(c.Text); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "“" + s + "”"
	}
	return strings.Join(q, "、")
}
