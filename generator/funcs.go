package generator

import (
	"fmt"
	"html/template"
	"reflect"
	"strings"
	"sync"

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
		"routeName":    routeName,
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
		"qrows":        x.qualRows,
		"orows":        x.orgRows,
		"partial":      x.partials.get,
		"block1":       x.partials.getLine,
		"dataDate":     func() catalog.Date { return x.dataDate },
		"asset":        func(name string) (string, error) { return x.assets.url(name) },
		"statusSince":  x.statusSince,
		"qualsForOcc":  func(code string) []*catalog.Qualification { return x.qualsByOcc[code] },
		"qualsForDoc":  func(id string) []*catalog.Qualification { return x.qualsByDoc[id] },
		"guidesForDoc": func(id string) []*catalog.Guide { return x.guidesByDoc[id] },
		"guidesForOff": func(id string) []*catalog.Guide { return x.guidesByOff[id] },
		"validity":     func(o *catalog.Organisation) catalog.Validity { return o.Validity(x.date) },
		"latest": func(n int) []*catalog.Change {
			return x.cat.Changes[:min(n, len(x.cat.Changes))]
		},
		"flow":         flowSVG,
		"groups":       groups,
		"lead":         lead,
		"audienceSlug": audienceSlug,
		"join":         strings.Join,
		"tel":          telURL,
		"levels":       catalog.Levels,
		"expiring":     func() int { return catalog.ExpiringDays },
		"statusClass":  statusClass,
		"wk":           func(guide, city string) whereKey { return whereKey{guide, city} },
		"whereOf":      x.where,
		"cities":       fujianCities,
		"intl":         catalog.International,
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

// group is a run of a guide's conditions, materials or duties under one
// heading (基本条件, 优先考虑); Group is "" for items without one.
type group struct {
	Group string
	Items []any
}

// groups cuts items, a slice of structs with a string field Group, into
// runs of the same Group, in order: a heading starts a run, and items
// after it without a heading of their own stay in it until the next.
func groups(items any) ([]group, error) {
	v := reflect.ValueOf(items)
	if v.Kind() != reflect.Slice || v.Type().Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("groups: %T is not a slice of structs", items)
	}
	f, ok := v.Type().Elem().FieldByName("Group")
	if !ok || f.Type.Kind() != reflect.String {
		return nil, fmt.Errorf("groups: %s has no Group field", v.Type().Elem())
	}
	var gs []group
	for i := range v.Len() {
		e := v.Index(i)
		name := e.FieldByIndex(f.Index).String()
		if len(gs) == 0 || (name != "" && name != gs[len(gs)-1].Group) {
			gs = append(gs, group{Group: name})
		}
		gs[len(gs)-1].Items = append(gs[len(gs)-1].Items, e.Interface())
	}
	return gs, nil
}

// lead returns the first paragraph of the Markdown s: a guide's summary
// in the list of guides.
func lead(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// audienceSlug is the ASCII id of a reader group, for anchors.
func audienceSlug(a string) string {
	switch a {
	case "台胞":
		return "residents"
	case "评价机构":
		return "organisations"
	case "技工院校":
		return "schools"
	case "用人单位":
		return "employers"
	case "境外发证机构":
		return "foreign-bodies"
	}
	return "other"
}

// telURL turns a published phone line into a tel: URL that dials from
// anywhere: 0595-22135540 becomes tel:+86-595-22135540 (RFC 3966 allows
// the dashes as visual separators).
func telURL(phone string) template.URL {
	var b strings.Builder
	b.WriteString("tel:")
	for _, r := range catalog.International(phone) {
		if r >= '0' && r <= '9' || r == '+' || r == '-' {
			b.WriteRune(r)
		}
	}
	return template.URL(b.String())
}

// qualRows and orgRows join the rows of a list, rendered once each by
// renderer.prepare: one template call per list instead of one per row.
func (x *index) qualRows(qs []*catalog.Qualification) template.HTML {
	var b strings.Builder
	for _, q := range qs {
		b.WriteString(string(x.qrows[q]))
	}
	return template.HTML(b.String())
}

func (x *index) orgRows(os []*catalog.Organisation) template.HTML {
	var b strings.Builder
	for _, o := range os {
		b.WriteString(string(x.orows[o]))
	}
	return template.HTML(b.String())
}

// partials renders a named template once per argument and reuses the
// HTML: {{partial "qualorgs" .Occupation}} on 10,000 qualification pages
// runs the template once per occupation. The template must depend on its
// argument alone (and the build, through the functions), which is why the
// argument must be comparable: a code or id, or a pointer into the
// catalog. The HTML is the same as {{template}} in a text context gives.
type partials struct {
	root *template.Template // the layout and partials, set once parsed
	mu   sync.Mutex
	m    map[partialKey]*partial
}

type partialKey struct {
	name    string
	arg     any
	oneLine bool
}

type partial struct {
	once sync.Once
	html template.HTML
	err  error
}

// getLine is get with the HTML on one line: a block that thousands of
// pages share (an answer's city sections) then costs the zh-Hant line
// cache one lookup a page instead of one per line.
func (ps *partials) getLine(name string, arg any) (template.HTML, error) {
	return ps.render(name, arg, true)
}

func (ps *partials) get(name string, arg any) (template.HTML, error) {
	return ps.render(name, arg, false)
}

func (ps *partials) render(name string, arg any, oneLine bool) (template.HTML, error) {
	if arg != nil && !reflect.TypeOf(arg).Comparable() {
		return "", fmt.Errorf("partial %q: argument of type %T cannot be a cache key", name, arg)
	}
	k := partialKey{name, arg, oneLine}
	ps.mu.Lock()
	p := ps.m[k]
	if p == nil {
		if ps.m == nil {
			ps.m = map[partialKey]*partial{}
		}
		p = &partial{}
		ps.m[k] = p
	}
	ps.mu.Unlock()
	p.once.Do(func() {
		var b strings.Builder
		if p.err = ps.root.ExecuteTemplate(&b, name, arg); p.err == nil {
			h := b.String()
			if oneLine {
				h = strings.ReplaceAll(h, "\n", "")
			}
			p.html = template.HTML(h)
		}
	})
	return p.html, p.err
}
