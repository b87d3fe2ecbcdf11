// Package catalog is the editors' source of truth: it decodes the TOML
// catalogs under catalog/ and the Markdown pages under content/, checks
// them strictly and cross-links them into a [Catalog].
//
//	c, ds := catalog.Load(os.DirFS(repo), catalog.Options{BuildDate: today})
//	for _, d := range ds {
//		fmt.Println(d) // catalog/qualifications.toml:12:1: error: …
//	}
//	if ds.Err() != nil { … }
//
// # Files
//
// Load reads, from the repository root:
//
//   - catalog/site.toml: top-level keys (name, short_name, description,
//     base_url, default_script, build_date, verifier_url, protected).
//     It is the only required file.
//   - catalog/occupations.toml, qualifications.toml, organisations.toml,
//     offices.toml, guides.toml, documents.toml, changes.toml: arrays of
//     tables, [[occupation]], [[qualification]], [[organisation]],
//     [[office]], [[guide]], [[document]], [[change]]. Where a kind grows
//     large its rows may also go in a folder of the same name,
//     catalog/qualifications/*.toml; both are read, the file first, then
//     the folder's files by name.
//   - Nested tables: [[organisation.certifies]], [[guide.conditions]],
//     [[guide.materials]], [[guide.forms]], [[guide.steps]],
//     [[guide.duties]], [[guide.faq]].
//   - content/**/*.md: pages, with TOML front matter between two "+++"
//     lines (title = "…") at the top. A document's summary names one of
//     them by its path below content/.
//
// The keys are the toml tags of the types in model.go; any other key is an
// error. A .toml file under catalog/ with any other name is reported too,
// since its rows would otherwise vanish without a word.
//
// # Guides
//
// A guide is written for one reader (audience: 台胞, 评价机构, 技工院校,
// 用人单位 or 境外发证机构) and leads with the task: eligibility says who
// it is for, first what to do first. Then come the conditions, materials,
// forms (named by the notice; asks lists what a published form asks, and
// none means the form is not published), steps (actor, action, time_limit,
// fee, branch), the duties once filed or approved (time_limit), related
// guides of the same journey, and last reading: how the site read the
// sources where they leave room. Every condition, material, form, step and
// duty carries source = the notice and its section, 福州市人社局通知
// （2021-04-22）一（一）2, so a reader can check the page against the notice.
// conditions, materials and duties may carry group, a heading for a run of
// items (基本条件, 优先考虑); an item without one stays in the run above.
//
// # How problems look
//
// Every problem is reported at once, sorted by file, line and column;
// lines and columns count from 1, and columns count characters:
//
//	catalog/qualifications.toml:12:1: error: 未知字段 "levle"
//		hint: 是否想写 "level"？可用字段：id、taiwan_name、…
//	catalog/qualifications.toml:33:1: error: "六级" 不是有效的职业技能等级
//		hint: 可选值：五级、四级、三级、二级、一级
//	catalog/qualifications.toml:56:1: error: 职业编码 "4-10-03-99" 未在 catalog/occupations.toml 中定义
//		hint: 是否想写 "4-10-03-01"？先在 catalog/occupations.toml 中添加，或检查是否写错
//
// Messages are in Chinese, for the editors; the parser's English never
// reaches them. A problem with a key (unknown, wrong type, bad value, bad
// reference) points at the key; a missing key points at the header of its
// table ([[qualification]]).
//
// # The real mistake first
//
// A value written in a way TOML does not take but whose meaning is plain
// (2025-02-30, 2025/02/03, 四级 without quotes, a pasted control
// character) is reported for what it is and the rest of the file is still
// read (syntax.go). Any other syntax error stops its file; parsing starts
// again at the next table header for the syntax errors after it. The rows
// of that file are missing, so what other files say about them ("办理渠道
// … 未在 catalog/offices.toml 中定义") is marked with the broken file as its
// [Diagnostic.Cause]: sorted last and, by diag.Fprint, counted rather
// than listed. A value in Traditional characters (四級) or full-width
// (４-０３-０２-０１), a date that does not exist or is spelt otherwise, gets
// a message that says so and a hint with exactly what to write
// (hints.go, date.go).
//
// Content pages are checked before they are read (pages.go): a byte order
// mark is dropped; YAML front matter, front matter without its opening
// "+++" or without any, binary or non-UTF-8 files are errors at their
// line; a page without text is a warning.
//
// # Limits
//
// A file over 32 MB is not read, and one pass before parsing refuses
// arrays and inline tables nested, or dotted keys, more than 16 deep
// (limits.go): the parser's time grows with the square of the depth.
// Loading is linear in the size of the input.
//
// The TOML decoder (github.com/BurntSushi/toml) does position errors from
// encoding.TextUnmarshaler fields itself, but it knows keys only by dotted
// name: for a bad level in the third [[qualification]] it names the line of
// level in the last one. Load therefore scans each file once more for where
// every table and key is written (index.go), and positions everything from
// that. The decoder also stops at its first error, so a file with an error
// is decoded again row by row and key by key (decode.go); unknown keys come
// from MetaData.Undecoded.
//
// # Checks
//
// Errors: required keys; ids ("yanglao-huliyuan-4": lowercase letters and
// digits joined by "-"); 大典 codes (4-10-01-05); dates (2025-11-21, quoted
// or not); the enumerations of enums.go; phone numbers (0591-87629279,
// 87629279, an extension as 0591-87629279-123, hotlines like 12333);
// mainland mobile numbers, which are never published; e-mail addresses;
// URLs (absolute https; http is a warning); registration codes (uppercase
// letters and digits); repeated ids, codes and 文号; references that name
// nothing (a qualification's occupation, guide, document and certifiers; an
// organisation's occupations; an office's services; a guide's channels,
// basis and related guides; a document's superseded_by and summary; a
// change's rows); a guide's audience that is not one of [Audiences]; a
// guide listed as related to itself; a validity window that ends before
// it starts; an organisation 暂停 or 移出 without status_date and
// status_reason.
//
// Policy rules, from the notices (data/FACTS.md, "Rules"); each message
// names its rule and source:
//
//   - more than 2 active social training-evaluation organisations
//     (社会培训评价组织) for one occupation in 福州市: an error at the third
//     (福州市人社局 2021-04-22, seed 004);
//   - a Fuzhou social organisation registered for more than 3 years: a
//     warning (the same notice);
//   - an organisation marked 有效 whose valid_until is before the build
//     date: an error, 已过期但仍标记为有效;
//   - a 采认 row with no certifiers, no guide and no active organisation
//     certifying its occupation: a warning (闽人社文〔2022〕126号 附件1,
//     seed 000);
//   - a row of any kind without sources, and a guide's condition, form or
//     duty without source: a warning.
//
// An empty level or grade is not a problem: it means "not published".
//
// # Dates
//
// The build date is site.toml's build_date when set, else
// [Options.BuildDate]; Load never reads the clock, so the same files give
// the same result on any day.
package catalog
