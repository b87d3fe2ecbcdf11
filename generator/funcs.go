package generator

import (
	"html/template"
	"strings"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// funcs are the template functions, bound to one build's index.
func (x *index) funcs() template.FuncMap {
	md := markdown()
	return template.FuncMap{
		"md": md,
		"content": func(name string) template.HTML {
			if p := x.cat.Pages[name]; p != nil {
				return md(p.Body)
			}
			return ""
		},
		"level":        catalog.Level.Title,
		"levelSlug":    levelSlug,
		"routeSlug":    routeSlug,
		"categorySlug": categorySlug,
		"occ":          x.cat.Occupation,
		"qual":         x.cat.Qualification,
		"org":          x.cat.Organisation,
		"office":       x.cat.Office,
		"guide":        x.cat.Guide,
		"doc":          x.cat.Document,
		"orgsFor":      x.orgsFor,
		"qrow":         func(q *catalog.Qualification) template.HTML { return x.qrows[q] },
		"orow":         func(o *catalog.Organisation) template.HTML { return x.orows[o] },
		"qualsForOcc":  func(code string) []*catalog.Qualification { return x.qualsByOcc[code] },
		"qualsForDoc":  func(id string) []*catalog.Qualification { return x.qualsByDoc[id] },
		"guidesForDoc": func(id string) []*catalog.Guide { return x.guidesByDoc[id] },
		"guidesForOff": func(id string) []*catalog.Guide { return x.guidesByOff[id] },
		"validity":     func(o *catalog.Organisation) catalog.Validity { return o.Validity(x.date) },
		"latest": func(n int) []*catalog.Change {
			return x.cat.Changes[:min(n, len(x.cat.Changes))]
		},
		"flow":        flowSVG,
		"join":        strings.Join,
		"tel":         telURL,
		"levels":      catalog.Levels,
		"expiring":    func() int { return catalog.ExpiringDays },
		"statusClass": statusClass,
		"summary": func(d *catalog.Document) template.HTML {
			if p := x.cat.Pages[d.Summary]; p != nil {
				return md(p.Body)
			}
			return ""
		},
		"hasContent": func(name string) bool { return x.cat.Pages[name] != nil },
		"lookupURL": func(verifier string) string {
			return strings.TrimSuffix(verifier, "/") + "/lookup"
		},
	}
}

// telURL turns a published phone line into a tel: URL; area codes are
// kept, punctuation dropped.
func telURL(phone string) template.URL {
	var b strings.Builder
	b.WriteString("tel:")
	for _, r := range phone {
		if r >= '0' && r <= '9' || r == '+' {
			b.WriteRune(r)
		}
	}
	return template.URL(b.String())
}
