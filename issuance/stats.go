package issuance

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// StatRow is the count of certificates of one qualification row, level
// and year of issue. It holds no personal data of any kind: only the
// catalog's own fields and counts.
type StatRow struct {
	Qualification  string // catalog id
	TaiwanName     string
	TaiwanGrade    string
	OccupationCode string
	OccupationName string
	Level          string
	Year           int
	Count          int // certificates issued
	Revoked        int // of which revoked since
}

// Stats counts the certificates of a registry (of one year of issue if
// year is not 0) from the signed certificates of the issuance logs —
// which hold no personal data — verifying every signature against the
// root-signed trust list: a record that does not verify is not counted
// but refused, since counts are published. A certificate is revoked if
// cancellations.log names its locator.
func Stats(dir string, year int) ([]StatRow, error) {
	t, err := OpenTrust(dir)
	if err != nil {
		return nil, err
	}
	st, err := loadState(dir)
	if err != nil {
		return nil, err
	}
	all, err := readSealed(dir, st)
	if err != nil {
		return nil, err
	}
	if err := checkAll(t.List, all); err != nil {
		return nil, &RegistryError{Dir: dir, Err: err}
	}
	cs, err := readCancellations(dir)
	if err != nil {
		return nil, err
	}
	revoked := map[record.Locator]bool{}
	for _, c := range cs {
		revoked[c.Locator] = true
	}
	type key struct {
		q, code, level string
		year           int
	}
	rows := map[key]*StatRow{}
	for i := range all {
		p, err := record.DecodeCheckedCertificate(all[i].Envelope)
		if err != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("证书 %s：%v", all[i].Number, err)}
		}
		y := p.IssueDate.Year()
		if year != 0 && y != year {
			continue
		}
		k := key{p.QualificationID, p.OccupationCode, p.Level, y}
		r := rows[k]
		if r == nil {
			r = &StatRow{Qualification: p.QualificationID, TaiwanName: p.TaiwanName, TaiwanGrade: p.TaiwanGrade,
				OccupationCode: p.OccupationCode, OccupationName: p.OccupationName, Level: p.Level, Year: y}
			rows[k] = r
		}
		r.Count++
		if revoked[all[i].Locator] {
			r.Revoked++
		}
	}
	out := make([]StatRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b StatRow) int {
		return cmp.Or(cmp.Compare(a.Year, b.Year), cmp.Compare(a.Qualification, b.Qualification),
			cmp.Compare(a.OccupationCode, b.OccupationCode), cmp.Compare(a.Level, b.Level))
	})
	return out, nil
}

// StatsCSV is the open-data form: a header row, one row per count.
func StatsCSV(rows []StatRow) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"qualification", "taiwan_name", "taiwan_grade", "occupation_code", "occupation_name", "level", "year", "count", "revoked"})
	for _, r := range rows {
		w.Write([]string{r.Qualification, r.TaiwanName, r.TaiwanGrade, r.OccupationCode, r.OccupationName, r.Level, strconv.Itoa(r.Year), strconv.Itoa(r.Count), strconv.Itoa(r.Revoked)})
	}
	w.Flush()
	return b.Bytes()
}

// StatsAnnual is the annual summary in the shape of seed 003 附件2
// (年度核发证书信息汇总表): 序号, 证书名称, 对应职业（工种）名称及等级,
// 职业编码, 发证数量, one row per qualification and level.
func StatsAnnual(rows []StatRow) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"序号", "证书名称", "对应职业（工种）名称及等级", "职业编码", "发证数量"})
	for i, r := range rows {
		name := r.TaiwanName
		if r.TaiwanGrade != "" {
			name += "（" + r.TaiwanGrade + "）"
		}
		w.Write([]string{strconv.Itoa(i + 1), name, r.OccupationName + " " + r.Level, r.OccupationCode, strconv.Itoa(r.Count)})
	}
	w.Flush()
	return b.Bytes()
}

// StatsTOML is the form editors commit as catalog/statistics.toml, from
// which the site renders its statistics page.
func StatsTOML(rows []StatRow, asOf time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# 采信证书发证统计：由 qualbridge stats -format toml 于 %s 生成，不含任何个人信息。\n", asOf.Format(time.DateOnly))
	fmt.Fprintf(&b, "# 提交为 catalog/statistics.toml，网站据此生成“发证统计”页和开放数据。\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "\n[[count]]\nqualification = %q\noccupation_code = %q\nlevel = %q\nyear = %d\ncount = %d\n",
			r.Qualification, r.OccupationCode, r.Level, r.Year, r.Count)
		if r.Revoked > 0 {
			fmt.Fprintf(&b, "revoked = %d\n", r.Revoked)
		}
	}
	return b.Bytes()
}
