package annex

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/hant"
)

// occupations finds an occupation by the name an annex writes: its 大典
// name, one of its aliases, or a name it had before a rename (formerly),
// all from catalog/occupations.toml.
type occupations struct {
	cat    *catalog.Catalog
	byName map[string]*catalog.Occupation
	names  []string // every name, for hints
	// hant maps the Traditional (Taiwan) form of every name, made the
	// first time a name is not found (making the converter takes a
	// tenth of a second).
	hant map[string]*catalog.Occupation
}

func newOccupations(c *catalog.Catalog) *occupations {
	o := &occupations{cat: c, byName: map[string]*catalog.Occupation{}}
	for _, oc := range c.Occupations {
		for _, n := range append(append([]string{oc.Name}, oc.Aliases...), oc.Formerly...) {
			n = clean(n)
			if _, dup := o.byName[n]; !dup && n != "" {
				o.byName[n] = oc
				o.names = append(o.names, n)
			}
		}
	}
	return o
}

var suffix = regexp.MustCompile(`[（(][^）)]*[）)]$`)

var codePattern = regexp.MustCompile(`^\d-\d\d-\d\d-\d\d$`)

// find returns the occupation named by name (the annex's own wording
// of it comes back as published) and, when code is not empty, checks
// that the code column agrees. problem is the hint of what went wrong.
func (o *occupations) find(name, code string) (oc *catalog.Occupation, published, problem string) {
	published = clean(name)
	oc = o.byName[published]
	if oc == nil {
		// 车工（数控车工）: an occupation with its 工种 in brackets.
		if base := suffix.ReplaceAllString(published, ""); base != published {
			oc = o.byName[base]
		}
	}
	if oc == nil {
		// 養老護理員: the same name in Traditional characters.
		oc = o.traditional()[published]
	}
	code = simplify(clean(code))
	var byCode *catalog.Occupation
	if code != "" {
		byCode = o.cat.Occupation(code)
	}
	if oc == nil {
		return nil, published, o.hint(published, byCode)
	}
	if o.hant[published] == oc {
		published = oc.Name // the same name, in the other script
	}
	switch {
	case code == "":
	case !codePattern.MatchString(code):
		problem = fmt.Sprintf("职业编码写作 4-10-01-05 这样的四段数字；%q 按名称对应 %s", oc.Name, oc.Code)
	case byCode == nil:
		problem = fmt.Sprintf("%q 未在 catalog/occupations.toml 中定义；%q 按名称对应 %s", code, oc.Name, oc.Code)
	case byCode != oc:
		problem = fmt.Sprintf("%s 在 catalog/occupations.toml 中是“%s”，而“%s”是 %s", code, byCode.Name, published, oc.Code)
	}
	return oc, published, problem
}

// traditional returns the Traditional forms of the names.
func (o *occupations) traditional() map[string]*catalog.Occupation {
	if o.hant != nil {
		return o.hant
	}
	o.hant = map[string]*catalog.Occupation{}
	conv, err := hant.New()
	if err != nil {
		return o.hant
	}
	for _, n := range o.names {
		if t := conv.Convert(n); t != n {
			if _, dup := o.hant[t]; !dup {
				o.hant[t] = o.byName[n]
			}
		}
	}
	return o.hant
}

// hint names the nearest names: those containing the text or contained
// in it, then those a few edits away.
func (o *occupations) hint(name string, byCode *catalog.Occupation) string {
	near := nearest(name, o.names, 3)
	var parts []string
	for _, n := range near {
		parts = append(parts, fmt.Sprintf("“%s”（%s）", n, o.byName[n].Code))
	}
	var hint string
	if len(parts) > 0 {
		hint = "最接近的名称：" + strings.Join(parts, "、") + "。"
	}
	if byCode != nil {
		hint += fmt.Sprintf("本行的职业编码 %s 是“%s”。", byCode.Code, byCode.Name)
	}
	return hint + "若是同一职业的另一个名称，在 catalog/occupations.toml 中该职业的 aliases 里加上它（并注明来源）；若是大典中的另一职业，先添加该职业"
}

// nearest returns up to n of names closest to s: names that contain s
// or that s contains first, then by edit distance, at most half of the
// longer name away.
func nearest(s string, names []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, nm := range names {
		d := distance(s, nm)
		if strings.Contains(nm, s) || strings.Contains(s, nm) {
			d = 0
		}
		if limit := max(len([]rune(s)), len([]rune(nm))) / 2; d <= max(limit, 1) {
			cs = append(cs, cand{nm, d})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.name, b.name)) })
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// distance is the edit distance of a and b in characters.
func distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(t)]
}
