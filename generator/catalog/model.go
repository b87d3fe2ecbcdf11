package catalog

import "github.com/qualbridge/qualbridge/diag"

// This file is the domain model: one Go type per catalog kind, with the
// TOML keys editors write. The keys are the schema; change them only
// together with the shipped catalog/ files and the README.

// Catalog is everything the editors keep under catalog/ and content/,
// decoded, checked and cross-linked. Slices are sorted by ID (changes by
// date, newest first) so that iteration is deterministic.
type Catalog struct {
	Site           Site
	Occupations    []*Occupation
	Qualifications []*Qualification
	Organisations  []*Organisation
	Offices        []*Office
	Guides         []*Guide
	Documents      []*Document
	Changes        []*Change
	// Statistics are the published certificate counts
	// (catalog/statistics.toml, written by qualbridge stats -format toml);
	// none when the file is absent.
	Statistics []*StatCount

	// Pages are the Markdown files under content/, keyed by their path
	// relative to content/ with forward slashes ("home.md",
	// "documents/min-2022-126.md").
	Pages map[string]*Page

	buildDate Date // site.toml's build_date, else Options.BuildDate

	// Indexes for the lookup methods, built by Load.
	occupations    map[string]*Occupation
	qualifications map[string]*Qualification
	organisations  map[string]*Organisation
	offices        map[string]*Office
	guides         map[string]*Guide
	documents      map[string]*Document
}

// Pos is a position in an editor's file: path relative to the
// repository root, 1-based line and column.
type Pos = diag.Pos

// Site holds the site settings of catalog/site.toml.
type Site struct {
	Name        string `toml:"name"`           // 福建省对台职业资格采信采认服务
	ShortName   string `toml:"short_name"`     // for the header on phones
	Description string `toml:"description"`    // one sentence for <meta name="description"> and feeds
	BaseURL     string `toml:"base_url"`       // absolute https URL the site is served from, with trailing slash
	Script      Script `toml:"default_script"` // "hans" or "hant": the script "/" redirects to
	BuildDate   Date   `toml:"build_date"`     // overrides today's date, for reproducible builds; empty = today
	VerifierURL string `toml:"verifier_url"`   // absolute https URL of the certificate verifier service
	// Protected lists terms never converted to Traditional script
	// (names of bodies, document numbers, product names).
	Protected []string `toml:"protected"`
	Pos       Pos      `toml:"-"`
}

// StatCount is the number of certificates issued for one qualification
// row, level and year, as the registry counts it (qualbridge stats). It
// holds no personal data.
type StatCount struct {
	Qualification  string `toml:"qualification"`   // id of the catalog row
	OccupationCode string `toml:"occupation_code"` // 4-10-01-05
	Level          Level  `toml:"level"`
	Year           int    `toml:"year"`    // year of issue
	Count          int    `toml:"count"`   // certificates issued
	Revoked        int    `toml:"revoked"` // of which revoked since
	Pos            Pos    `toml:"-"`
}

// Occupation is an entry of 《中华人民共和国职业分类大典》 (2022 edition).
type Occupation struct {
	Code     string   `toml:"code"`     // 4-10-01-05
	Name     string   `toml:"name"`     // 养老护理员
	Aliases  []string `toml:"aliases"`  // other names people search for
	Formerly []string `toml:"formerly"` // names before a rename (育婴员 for 婴幼儿发展引导员)
	Sources  []string `toml:"sources"`
	Pos      Pos      `toml:"-"`
}

// Qualification is one catalogue row: a Taiwan certificate and grade
// mapped to a mainland occupation and skill level.
type Qualification struct {
	ID          string `toml:"id"`           // stable slug used in URLs and certificates
	TaiwanName  string `toml:"taiwan_name"`  // 照顾服务员 (台湾地区技术士名称)
	TaiwanGrade Grade  `toml:"taiwan_grade"` // 甲级, 乙级, 丙级, 单一级; empty when not published
	Occupation  string `toml:"occupation"`   // 大典 code of the mainland occupation
	// OccupationAsPublished is the occupation name the source used when it
	// differs from today's 大典 name (育婴员, renamed 婴幼儿发展引导员).
	OccupationAsPublished string `toml:"occupation_as_published"`
	Level                 Level  `toml:"level"` // 五级 … 一级; empty when not published
	Route                 Route  `toml:"route"` // 采信 or 采认
	// RouteInferred, when set, is why the site infers the route: the
	// source does not say it. The site marks such a route as inferred
	// wherever it shows it. LevelInferred is the same for the level.
	RouteInferred string   `toml:"route_inferred"`
	LevelInferred string   `toml:"level_inferred"`
	Category      Category `toml:"category"`   // 技能类 or 专业技术类
	Batch         int      `toml:"batch"`      // catalogue batch number; 0 = not part of a numbered batch
	Document      string   `toml:"document"`   // id of the document that lists the row (its legal basis)
	Effective     Date     `toml:"effective"`  // date the row took effect
	Scope         Scope    `toml:"scope"`      // 福建 or 全国推广
	Guide         string   `toml:"guide"`      // id of the guide to follow
	Certifiers    []string `toml:"certifiers"` // ids of organisations named as certifying this row (采认)
	Notes         string   `toml:"notes"`      // Markdown
	Sources       []string `toml:"sources"`
	Pos           Pos      `toml:"-"`
}

// Organisation is a skill-level evaluation organisation (评价机构).
type Organisation struct {
	ID           string          `toml:"id"`
	Name         string          `toml:"name"`
	Type         OrgType         `toml:"type"`
	Code         string          `toml:"code"`   // 备案编号 / 机构编码; empty when not published
	Region       string          `toml:"region"` // city or area: 福州市, 平潭综合实验区, 广西自贸试验区
	Address      string          `toml:"address"`
	Certifies    []Certification `toml:"certifies"`
	ValidFrom    Date            `toml:"valid_from"`
	ValidUntil   Date            `toml:"valid_until"`
	Status       OrgStatus       `toml:"status"` // 有效, 暂停, 移出
	StatusDate   Date            `toml:"status_date"`
	StatusReason string          `toml:"status_reason"`
	Supervisor   string          `toml:"supervisor"` // supervising centre (福建省职业技能鉴定指导中心 …)
	Partner      string          `toml:"partner"`    // Chinese partner of a foreign body
	Phones       []string        `toml:"phones"`     // public office lines only
	Notes        string          `toml:"notes"`      // Markdown
	Sources      []string        `toml:"sources"`
	Pos          Pos             `toml:"-"`
}

// Certification is what an organisation may certify: one occupation at
// the listed levels.
type Certification struct {
	Occupation string  `toml:"occupation"` // 大典 code
	Levels     []Level `toml:"levels"`
	Pos        Pos     `toml:"-"`
}

// Office is a service window or an online channel.
type Office struct {
	ID       string     `toml:"id"`
	Name     string     `toml:"name"`
	Kind     OfficeKind `toml:"kind"` // 窗口, 线上, 电话
	City     string     `toml:"city"`
	Address  string     `toml:"address"`
	Window   string     `toml:"window"` // 三楼36号窗口
	Hours    string     `toml:"hours"`
	Phones   []Phone    `toml:"phone"` // [[office.phone]]
	Email    string     `toml:"email"`
	URL      string     `toml:"url"`
	Path     []string   `toml:"path"`     // menu path in an app: ["闽政通", "平潭通", "岚聚英才"]
	Services []string   `toml:"services"` // ids of the guides handled here
	Notes    string     `toml:"notes"`    // Markdown
	Sources  []string   `toml:"sources"`
	Pos      Pos        `toml:"-"`
}

// Phone is one published office line and what its source says it is for.
type Phone struct {
	// Number is written with its area code, 0595-22135540, even where the
	// source leaves it out (Note then says so): a reader dialling from
	// Taiwan or another city needs it.
	Number  string `toml:"number"`
	Purpose string `toml:"purpose"` // as the source says: 服务电话, 第五批目录咨询 …
	Note    string `toml:"note"`    // e.g. 原文作22135540，未写区号
	Pos     Pos    `toml:"-"`
}

// Guide is the office guide (办事指南) of one service, written for one
// reader: a Taiwan resident, an evaluation organisation, a school, an
// employer, a foreign certificate body. The page leads with the task (who
// it is for, what to do first), then lists conditions, materials, forms,
// steps and the duties that follow approval, each with the section of the
// notice it comes from; how the site read the sources comes last.
type Guide struct {
	ID    string `toml:"id"`    // caixin, cairen, kaozheng, peixun, jiuye, zixun, guangxi-foreign
	Title string `toml:"title"` // 职业资格采信
	// Audience is the reader the guide is for, one of [Audiences]; the
	// guide list groups by it.
	Audience    string `toml:"audience"`
	Summary     string `toml:"summary"`     // Markdown: what the service is
	Eligibility string `toml:"eligibility"` // Markdown: who may apply, in a sentence or two
	// First is what to do first (Markdown), shown at the top of the page.
	First      string      `toml:"first"`
	Conditions []Condition `toml:"conditions"` // the conditions one by one, each with its source
	Materials  []Material  `toml:"materials"`
	Forms      []Annex     `toml:"forms"` // forms the notice names
	Steps      []Step      `toml:"steps"`
	TimeLimit  string      `toml:"time_limit"` // overall, e.g. 45个工作日内作出审批决定
	Fees       string      `toml:"fees"`
	Duties     []Duty      `toml:"duties"`   // what the applicant must do once approved
	Related    []string    `toml:"related"`  // ids of the guides of the same journey
	Channels   []string    `toml:"channels"` // ids of offices where to apply
	Basis      []string    `toml:"basis"`    // ids of documents (legal basis)
	FAQ        []QA        `toml:"faq"`
	// Reading says (Markdown) how the site read the sources where they
	// leave room: boxes put back in order, an actor the text implies.
	Reading string   `toml:"reading"`
	Sources []string `toml:"sources"`
	// Updated is when the editors last checked the guide against its
	// sources: the "updated" date on the page and on its printed checklist.
	Updated Date `toml:"updated"`
	Pos     Pos  `toml:"-"`
}

// Audiences are the readers a guide may be written for.
func Audiences() []string {
	return []string{"台胞", "评价机构", "技工院校", "用人单位", "境外发证机构"}
}

// Condition is one condition of a guide, as the notice states it.
type Condition struct {
	// Group heads a run of conditions (基本条件, 优先考虑); empty for
	// a guide with one list.
	Group  string `toml:"group"`
	Text   string `toml:"text"`
	Source string `toml:"source"` // the notice and section: 福州市人社局通知（2021-04-22）一（一）1
	Pos    Pos    `toml:"-"`
}

// Material is one item of a guide's checklist.
type Material struct {
	Group       string `toml:"group"` // heads a run of materials (机构资信证明类文件); may be empty
	Name        string `toml:"name"`
	Form        Form   `toml:"form"`        // 原件, 复印件, 原件及复印件, 电子版; empty when not published
	Translation bool   `toml:"translation"` // a Chinese translation is required
	Note        string `toml:"note"`
	Source      string `toml:"source"` // the notice and section
	Pos         Pos    `toml:"-"`
}

// Annex is a form (表) that a notice names: what it asks when its text is
// published, and where to get it when it is not.
type Annex struct {
	Name string `toml:"name"` // 《国外职业资格证书及其发证机构资格审核注册表》
	// Asks lists what the form asks for, when the notice prints the
	// form; empty when the form itself is not published.
	Asks   []string `toml:"asks"`
	Note   string   `toml:"note"`
	Source string   `toml:"source"`
	Pos    Pos      `toml:"-"`
}

// Step is one box of a guide's flow.
type Step struct {
	Actor     string `toml:"actor"`      // 台胞, 各地人社部门, 一体化中心 …
	Action    string `toml:"action"`     // what happens
	TimeLimit string `toml:"time_limit"` // empty when not published
	Fee       string `toml:"fee"`        // empty when not published
	// Branch names the condition under which the step applies when a flow
	// splits (本地有等级认定机构的项目); empty for the main line.
	Branch string `toml:"branch"`
	Source string `toml:"source"` // the notice and section
	Pos    Pos    `toml:"-"`
}

// Duty is one thing the applicant must do, or must not do, once approved
// or filed: report plans, file results, keep within its scope.
type Duty struct {
	Group     string `toml:"group"` // heads a run of duties (开展认定, 对外宣传); may be empty
	Text      string `toml:"text"`
	TimeLimit string `toml:"time_limit"` // 每次认定前10个工作日; empty when none
	Source    string `toml:"source"`
	Pos       Pos    `toml:"-"`
}

// QA is a question and its answer (Markdown).
type QA struct {
	Q   string `toml:"q"`
	A   string `toml:"a"`
	Pos Pos    `toml:"-"`
}

// Document is a policy notice.
type Document struct {
	ID           string    `toml:"id"`
	Number       string    `toml:"number"` // 文号: 闽人社文〔2022〕126号; empty when it has none
	Title        string    `toml:"title"`
	Issuer       string    `toml:"issuer"`
	Date         Date      `toml:"date"`
	Status       DocStatus `toml:"status"`        // 现行有效, 已被替代, 已废止
	SupersededBy string    `toml:"superseded_by"` // id of the document that replaced it
	Summary      string    `toml:"summary"`       // path of a Markdown file under content/
	URL          string    `toml:"url"`           // where the original is published, if known
	Sources      []string  `toml:"sources"`
	Pos          Pos       `toml:"-"`
}

// Change is one entry of the changes page and the Atom feed.
type Change struct {
	ID             string     `toml:"id"`
	Date           Date       `toml:"date"`
	Kind           ChangeKind `toml:"kind"` // 目录批次, 新增, 机构变更, 政策, 服务
	Title          string     `toml:"title"`
	Body           string     `toml:"body"` // Markdown
	Qualifications []string   `toml:"qualifications"`
	Organisations  []string   `toml:"organisations"`
	Documents      []string   `toml:"documents"`
	Sources        []string   `toml:"sources"`
	Pos            Pos        `toml:"-"`
}

// Page is a Markdown file under content/. Front matter is TOML between
// "+++" lines (title = "…").
type Page struct {
	Path  string // relative to content/
	Title string
	Body  string // Markdown without the front matter
	Pos   Pos
}
