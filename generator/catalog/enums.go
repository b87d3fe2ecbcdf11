package catalog

// Enumerations. Each is a string type whose UnmarshalText accepts only
// the listed values, so that the TOML decoder positions a bad value.

// Script is a writing system of the site.
type Script string

const (
	Hans Script = "hans" // 简体
	Hant Script = "hant" // 繁體 (Taiwan phrasing)
)

// Level is a mainland skill level (职业技能等级).
type Level string

// Levels, lowest first.
const (
	Level5 Level = "五级" // 初级工
	Level4 Level = "四级" // 中级工
	Level3 Level = "三级" // 高级工
	Level2 Level = "二级" // 技师
	Level1 Level = "一级" // 高级技师
)

// Grade is a Taiwan 技术士 grade.
type Grade string

const (
	GradeA      Grade = "甲级"
	GradeB      Grade = "乙级"
	GradeC      Grade = "丙级"
	GradeSingle Grade = "单一级"
)

// Route says how a Taiwan qualification becomes a mainland one.
type Route string

const (
	Adoption    Route = "采信" // compared and confirmed by the centre
	Recognition Route = "采认" // exchanged directly
)

// Category is the kind of qualification.
type Category string

const (
	Skill        Category = "技能类"
	Professional Category = "专业技术类"
)

// Scope is where a catalogue row applies.
type Scope string

const (
	Fujian     Scope = "福建"
	Nationwide Scope = "全国推广"
)

// OrgType is the type of an evaluation organisation.
type OrgType string

const (
	SocialOrg     OrgType = "社会培训评价组织"
	TechSchool    OrgType = "技工院校"
	Enterprise    OrgType = "企业"
	SchoolStation OrgType = "院校鉴定站"  // vocational or higher school with a former assessment station
	ForeignBody   OrgType = "国外发证机构" // Guangxi FTZ, with its Chinese partner
	PublicCentre  OrgType = "公共服务机构" // e.g. the integrated service centre
)

// OrgStatus is the registration status of an organisation.
type OrgStatus string

const (
	Active    OrgStatus = "有效"
	Suspended OrgStatus = "暂停"
	Removed   OrgStatus = "移出"
)

// OfficeKind says whether an office is a window, an online channel or a
// phone line.
type OfficeKind string

const (
	WindowOffice OfficeKind = "窗口"
	OnlineOffice OfficeKind = "线上"
	PhoneOffice  OfficeKind = "电话"
)

// Form is how a material is handed in.
type Form string

const (
	Original     Form = "原件"
	Copy         Form = "复印件"
	OriginalCopy Form = "原件及复印件"
	Electronic   Form = "电子版"
)

// DocStatus is whether a policy document is in force.
type DocStatus string

const (
	InForce    DocStatus = "现行有效"
	Superseded DocStatus = "已被替代"
	Repealed   DocStatus = "已废止"
)

// ChangeKind classifies a change.
type ChangeKind string

const (
	BatchChange   ChangeKind = "目录批次"
	RowChange     ChangeKind = "新增"
	OrgChange     ChangeKind = "机构变更"
	PolicyChange  ChangeKind = "政策"
	ServiceChange ChangeKind = "服务"
)
