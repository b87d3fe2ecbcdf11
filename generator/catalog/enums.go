package catalog

import (
	"fmt"
	"slices"
)

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

// Text unmarshalling. The decoder calls these for every enumerated field,
// so a value outside the list is caught while decoding; the message is
// the one an editor reads, and enumHint (decode.go) adds the choices.

// badValue is the error of an enumeration's UnmarshalText: the value and
// the name of the list it is not on.
type badValue struct {
	value string
	what  string // 职业技能等级, 台湾地区技术士等级 …
	// wrong and want, when set, say how the value is miswritten
	// (繁体字, 全角字符) and the valid value meant ([miswritten]).
	wrong, want string
}

func (e *badValue) Error() string {
	switch {
	case e.wrong == "多余的空格":
		return fmt.Sprintf("%q 前后有多余的空格，不是有效的%s", e.value, e.what)
	case e.want != "":
		return fmt.Sprintf("%q 用了%s，不是有效的%s", e.value, e.wrong, e.what)
	case e.wrong == "繁体字":
		return fmt.Sprintf("%q 不是有效的%s：其中「%s」是繁体字", e.value, e.what, firstHant(e.value))
	}
	return fmt.Sprintf("%q 不是有效的%s", e.value, e.what)
}

// Hint says exactly what to write, when the value is a miswritten valid
// one; "" otherwise (the decoder lists the values then).
func (e *badValue) Hint() string {
	switch e.wrong {
	case "":
		return ""
	case "繁体字":
		if e.want == "" {
			return ""
		}
		return "目录一律用简体字：写 " + e.want
	case "全角字符":
		return "用半角（英文）字符：写 " + e.want
	}
	return "去掉引号里多余的空格：写 " + e.want
}

// unmarshalEnum sets *dst to text if it is one of values.
func unmarshalEnum[T ~string](dst *T, text []byte, what string, values []T) error {
	s := T(text)
	if slices.Contains(values, s) {
		*dst = s
		return nil
	}
	wrong, want := miswritten(string(text), func(v string) bool { return slices.Contains(values, T(v)) })
	return &badValue{value: string(text), what: what, wrong: wrong, want: want}
}

// Scripts lists the writing systems.
func Scripts() []Script { return []Script{Hans, Hant} }

// Levels lists the skill levels, lowest first.
func Levels() []Level { return []Level{Level5, Level4, Level3, Level2, Level1} }

// Grades lists the Taiwan grades.
func Grades() []Grade { return []Grade{GradeA, GradeB, GradeC, GradeSingle} }

// Routes lists the routes.
func Routes() []Route { return []Route{Adoption, Recognition} }

// Categories lists the categories.
func Categories() []Category { return []Category{Skill, Professional} }

// Scopes lists the scopes.
func Scopes() []Scope { return []Scope{Fujian, Nationwide} }

// OrgTypes lists the organisation types.
func OrgTypes() []OrgType {
	return []OrgType{SocialOrg, TechSchool, Enterprise, SchoolStation, ForeignBody, PublicCentre}
}

// OrgStatuses lists the registration statuses.
func OrgStatuses() []OrgStatus { return []OrgStatus{Active, Suspended, Removed} }

// OfficeKinds lists the office kinds.
func OfficeKinds() []OfficeKind { return []OfficeKind{WindowOffice, OnlineOffice, PhoneOffice} }

// Forms lists the forms of a material.
func Forms() []Form { return []Form{Original, Copy, OriginalCopy, Electronic} }

// DocStatuses lists the document statuses.
func DocStatuses() []DocStatus { return []DocStatus{InForce, Superseded, Repealed} }

// ChangeKinds lists the kinds of change.
func ChangeKinds() []ChangeKind {
	return []ChangeKind{BatchChange, RowChange, OrgChange, PolicyChange, ServiceChange}
}

// UnmarshalText accepts "hans" or "hant".
func (s *Script) UnmarshalText(b []byte) error {
	return unmarshalEnum(s, b, "文字版本", Scripts())
}

// UnmarshalText accepts 五级 … 一级.
func (l *Level) UnmarshalText(b []byte) error {
	return unmarshalEnum(l, b, "职业技能等级", Levels())
}

// UnmarshalText accepts 甲级, 乙级, 丙级, 单一级.
func (g *Grade) UnmarshalText(b []byte) error {
	return unmarshalEnum(g, b, "台湾地区技术士等级", Grades())
}

// UnmarshalText accepts 采信 or 采认.
func (r *Route) UnmarshalText(b []byte) error {
	return unmarshalEnum(r, b, "办理方式（采信或采认）", Routes())
}

// UnmarshalText accepts 技能类 or 专业技术类.
func (c *Category) UnmarshalText(b []byte) error {
	return unmarshalEnum(c, b, "资格类别", Categories())
}

// UnmarshalText accepts 福建 or 全国推广.
func (s *Scope) UnmarshalText(b []byte) error {
	return unmarshalEnum(s, b, "适用范围", Scopes())
}

// UnmarshalText accepts the organisation types.
func (t *OrgType) UnmarshalText(b []byte) error {
	return unmarshalEnum(t, b, "评价机构类型", OrgTypes())
}

// UnmarshalText accepts 有效, 暂停, 移出.
func (s *OrgStatus) UnmarshalText(b []byte) error {
	return unmarshalEnum(s, b, "机构状态", OrgStatuses())
}

// UnmarshalText accepts 窗口, 线上, 电话.
func (k *OfficeKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(k, b, "办理渠道类型", OfficeKinds())
}

// UnmarshalText accepts 原件, 复印件, 原件及复印件, 电子版.
func (f *Form) UnmarshalText(b []byte) error {
	return unmarshalEnum(f, b, "材料形式", Forms())
}

// UnmarshalText accepts 现行有效, 已被替代, 已废止.
func (s *DocStatus) UnmarshalText(b []byte) error {
	return unmarshalEnum(s, b, "文件状态", DocStatuses())
}

// UnmarshalText accepts the kinds of change.
func (k *ChangeKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(k, b, "变更类型", ChangeKinds())
}

// Title returns the level with its worker title, "四级/中级工", or "" for
// an unpublished level.
func (l Level) Title() string {
	var t string
	switch l {
	case Level5:
		t = "初级工"
	case Level4:
		t = "中级工"
	case Level3:
		t = "高级工"
	case Level2:
		t = "技师"
	case Level1:
		t = "高级技师"
	default:
		return ""
	}
	return string(l) + "/" + t
}

// Rank returns 5 for 五级 down to 1 for 一级 (the highest), 0 when unset.
func (l Level) Rank() int {
	if i := slices.Index(Levels(), l); i >= 0 {
		return 5 - i
	}
	return 0
}
