package issuance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/verifier/record"
)

// applicant is a checked row, ready to sign.
type applicant struct {
	Line           int
	Personal       record.Personal
	Qual           *catalog.Qualification
	OccupationName string
	TaiwanName     string
	TaiwanGrade    string
	Level          catalog.Level
	IssueDate      time.Time
	ValidUntil     time.Time
	Number         string // empty: generate

	holder Holder // its fingerprint, once the key is open
}

// checker checks rows against the rules and the catalog.
type checker struct {
	p     *problems
	cat   *catalog.Catalog
	today time.Time // the run's date: no issue or birth date may lie after it
}

func (b *checker) errorf(r *Row, key, hint, format string, args ...any) {
	line, col := r.Line, 1
	if key != "" {
		if l, ok := r.pos[key]; ok {
			line, col = l, r.col[key]
		}
	}
	b.p.add(line, col, hint, format, args...)
}

// check returns the checked row, or nil after recording its problems.
func (b *checker) check(r *Row) *applicant {
	before := len(b.p.list)
	get := func(k string) string { return r.Fields[k] }
	for _, k := range applicantKeys {
		if !optionalKey(k) && !r.bad[k] && strings.TrimSpace(get(k)) == "" {
			b.errorf(r, k, "", "缺少 %s", k)
		}
	}
	a := &applicant{Line: r.Line}

	if name := get("name"); name != "" {
		if msg, hint := checkName(name); msg != "" {
			b.errorf(r, "name", hint, "%s", msg)
		}
		a.Personal.Name = name
	}
	switch s := get("sex"); s {
	case "男", "女":
		a.Personal.Sex = s
	case "":
	default:
		b.errorf(r, "sex", "", "sex 须为 男 或 女，而不是 %q", s)
	}
	a.Personal.BirthDate = b.date(r, "birth_date")
	if !a.Personal.BirthDate.IsZero() && a.Personal.BirthDate.Year() < 1900 {
		b.errorf(r, "birth_date", "", "birth_date %s 早于 1900 年", get("birth_date"))
	}
	switch t := get("id_type"); t {
	case "通行证", "台湾居民来往大陆通行证", "台胞证", "permit":
		a.Personal.IDType = record.Permit
	case "居住证", "台湾居民居住证", "residence":
		a.Personal.IDType = record.Residence
	case "":
	default:
		b.errorf(r, "id_type", "", "id_type 须为 通行证（permit）或 居住证（residence），而不是 %q", t)
	}
	if id := get("id_number"); id != "" && a.Personal.IDType != "" {
		if msg := checkIDNumber(a.Personal.IDType, id, a.Personal.BirthDate); msg != "" {
			b.errorf(r, "id_number", "对照证件重新输入号码", "%s", msg)
		}
		a.Personal.IDNumber = id
	}

	if id := get("qualification"); id != "" {
		a.Qual = b.cat.Qualification(id)
		if a.Qual == nil {
			b.errorf(r, "qualification", "写 catalog/qualifications.toml 中某一行的 id", "采信项目 %q 不在目录中", id)
		}
	}
	if q := a.Qual; q != nil {
		occ := b.cat.Occupation(q.Occupation)
		if occ != nil {
			a.OccupationName = occ.Name
		}
		if c := get("occupation_code"); c != "" && c != q.Occupation {
			b.errorf(r, "occupation_code", "", "采信项目 %s 对应职业编码 %s，而不是 %s", q.ID, q.Occupation, c)
		}
		switch l := get("level"); {
		case q.Level == "":
			b.errorf(r, "qualification", "", "采信项目 %s 没有公布等级，不能为其签发证书", q.ID)
		case l != "" && catalog.Level(l) != q.Level:
			b.errorf(r, "level", "", "采信项目 %s 对应等级 %s，而不是 %s", q.ID, q.Level, l)
		}
		a.Level = q.Level
		if n := get("taiwan_name"); n != "" && n != q.TaiwanName {
			b.errorf(r, "taiwan_name", "", "采信项目 %s 的台湾地区职业资格是 %s，而不是 %s", q.ID, q.TaiwanName, n)
		}
		if g := get("taiwan_grade"); g != string(q.TaiwanGrade) {
			b.errorf(r, "taiwan_grade", "", "采信项目 %s 的台湾地区等级是 %q，而不是 %q", q.ID, q.TaiwanGrade, g)
		}
		a.TaiwanName, a.TaiwanGrade = q.TaiwanName, string(q.TaiwanGrade)
		if occ == nil {
			b.errorf(r, "qualification", "", "采信项目 %s 的职业编码 %s 不在目录中", q.ID, q.Occupation)
		}
	}

	a.IssueDate = b.date(r, "issue_date")
	if get("valid_until") != "" {
		a.ValidUntil = b.date(r, "valid_until")
		if !a.ValidUntil.IsZero() && !a.IssueDate.IsZero() && !a.ValidUntil.After(a.IssueDate) {
			b.errorf(r, "valid_until", "", "valid_until %s 不晚于 issue_date %s", get("valid_until"), get("issue_date"))
		}
	}
	if n := get("number"); n != "" {
		if msg := checkNumber(n, a.Level); msg != "" {
			b.errorf(r, "number", "留空则自动编号", "%s", msg)
		}
		a.Number = n
	}
	if len(b.p.list) > before {
		return nil
	}
	return a
}

// date parses a YYYY-MM-DD value; issue and birth dates may not lie
// after the run's date (valid_until may).
func (b *checker) date(r *Row, key string) time.Time {
	s := r.Fields[key]
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		b.errorf(r, key, "日期写成 2006-01-02 的形式", "%s %q 不是有效日期", key, s)
		return time.Time{}
	}
	if key != "valid_until" && t.After(b.today) {
		b.errorf(r, key, "", "%s %s 晚于本次签发日期 %s", key, s, b.today.Format(time.DateOnly))
	}
	return t
}

// checkName refuses rather than normalises: a name that is not NFC or
// holds invisible characters would print one way and verify another.
func checkName(s string) (msg, hint string) {
	if !norm.NFC.IsNormalString(s) {
		return "姓名不是 Unicode NFC 形式（含分解字符）", "重新输入姓名，不要从其他文档粘贴"
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Bidi_Control, r) {
			return fmt.Sprintf("姓名含不可见的控制字符 %U", r), "重新输入姓名，不要从其他文档粘贴"
		}
		if unicode.IsSpace(r) {
			return "姓名含空格", "删去空格；少数民族姓名的间隔写作 ·"
		}
	}
	if n := utf8.RuneCountInString(s); n < 2 || n > 20 {
		return fmt.Sprintf("姓名有 %d 个字符，应为 2 到 20 个", n), ""
	}
	return "", ""
}

// CheckIDNumber checks a document number by type and returns what is
// wrong, or "": the 台湾居民来往大陆通行证 number has 8 digits; the
// 台湾居民居住证 number has 18 characters, the address code 830000, the
// holder's birth date and the GB 11643 check character (ISO 7064 MOD 11-2).
func CheckIDNumber(t record.IDType, id string, birth time.Time) string {
	return checkIDNumber(t, id, birth)
}

func checkIDNumber(t record.IDType, id string, birth time.Time) string {
	switch t {
	case record.Permit:
		if len(id) != 8 || !allDigits(id) {
			return fmt.Sprintf("通行证号码须为 8 位数字，而不是 %q", id)
		}
	case record.Residence:
		if len(id) != 18 || !allDigits(id[:17]) || !(id[17] >= '0' && id[17] <= '9' || id[17] == 'X') {
			return fmt.Sprintf("居住证号码须为 17 位数字加一位数字或 X，而不是 %q", id)
		}
		if id[:6] != "830000" {
			return fmt.Sprintf("居住证号码须以 830000 开头，而不是 %s", id[:6])
		}
		d, err := time.Parse("20060102", id[6:14])
		if err != nil {
			return fmt.Sprintf("居住证号码中的出生日期 %s 无效", id[6:14])
		}
		if !birth.IsZero() && !d.Equal(birth) {
			return fmt.Sprintf("居住证号码中的出生日期是 %s，而 birth_date 是 %s", d.Format(time.DateOnly), birth.Format(time.DateOnly))
		}
		if c := residenceCheck(id[:17]); c != id[17] {
			return fmt.Sprintf("居住证号码的校验码是 %c，应为 %c：号码有误", id[17], c)
		}
	}
	return ""
}

// residenceCheck computes the GB 11643-1999 check character.
func residenceCheck(first17 string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// levelDigit is the level's digit in a certificate number (五级 5 … 一级
// 1), or 0 for an unknown level.
func levelDigit(l catalog.Level) byte {
	if r := l.Rank(); r > 0 {
		return '0' + byte(r)
	}
	return 0
}

// checkNumber checks a given certificate number against the MOHRSS rule:
// Y or S, 4 digits evaluation body, 2 province, 6 site, 2 year, 1 level,
// 6 serial.
func checkNumber(n string, l catalog.Level) string {
	if len(n) != 22 || (n[0] != 'S' && n[0] != 'Y') || !allDigits(n[1:]) {
		return fmt.Sprintf("证书编号 %q 须为 Y 或 S 加 21 位数字（共 22 位）", n)
	}
	if d := levelDigit(l); d != 0 && n[15] != d {
		return fmt.Sprintf("证书编号 %s 的等级位是 %c，而等级为 %s（%c）", n, n[15], l, d)
	}
	return ""
}

// numberer hands out certificate numbers: S, evaluation body 0000 (filed
// with the province), province 35 (Fujian), the site serial, the year,
// the level digit and the next free 6-digit serial for that prefix. The
// result depends only on the registry and the batch, so the same batch
// against the same registry gets the same numbers.
type numberer struct {
	site string
	used map[string]bool
	next map[string]int
}

func newNumberer(site string, used map[string]bool) *numberer {
	n := &numberer{site: site, used: used, next: map[string]int{}}
	for num := range used {
		if len(num) == 22 {
			s, err := strconv.Atoi(num[16:])
			if err == nil && s >= n.next[num[:16]] {
				n.next[num[:16]] = s + 1
			}
		}
	}
	return n
}

func (n *numberer) number(year int, l catalog.Level) (string, error) {
	prefix := fmt.Sprintf("S000035%s%02d%c", n.site, year%100, levelDigit(l))
	s := max(n.next[prefix], 1)
	for ; s <= 999999; s++ {
		num := fmt.Sprintf("%s%06d", prefix, s)
		if !n.used[num] {
			n.used[num] = true
			n.next[prefix] = s + 1
			return num, nil
		}
	}
	return "", fmt.Errorf("证书编号前缀 %s 已无可用序号", prefix)
}
