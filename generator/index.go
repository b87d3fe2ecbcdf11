package generator

import (
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strconv"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// index is the catalog cross-linked the way the pages read it: by id and
// in both directions. It is built once per build and only read while the
// pages render in parallel.
type index struct {
	cat  *catalog.Catalog
	date catalog.Date // the build date: statuses are computed as of it, but never printed (see dataDate)
	// dataDate is the data's latest change date: the latest date, not
	// after the build date, of the change log, the guides' updated dates,
	// the documents and the organisations' status changes. Pages print it
	// where they would print the build date, so that a build on another
	// day of the same sources gives the same bytes (and a deploy uploads
	// nothing); zero when the catalog dates nothing.
	dataDate catalog.Date
	assets   *assets // the build's assets under their fingerprinted names, set before pages render

	orgsByOcc   map[string][]*catalog.Organisation  // organisations certifying an occupation, by id
	qualsByOcc  map[string][]*catalog.Qualification // rows mapping to an occupation
	qualsByDoc  map[string][]*catalog.Qualification // rows based on a document
	guidesByDoc map[string][]*catalog.Guide         // guides whose legal basis is a document
	guidesByOff map[string][]*catalog.Guide         // guides an office handles
	updated     map[string]catalog.Date             // latest change date per "kind/id"
	trust       *publishedTrust                     // catalog/trust-root.pub and trust.list, nil when not published

	// The rows of lists, rendered once by renderer.prepare: a row appears
	// on many pages (lists, filters, search, documents, answers).
	qrows map[*catalog.Qualification]template.HTML
	orows map[*catalog.Organisation]template.HTML

	partials partials
}

func newIndex(c *catalog.Catalog, date catalog.Date) *index {
	x := &index{
		cat: c, date: date,
		orgsByOcc:   map[string][]*catalog.Organisation{},
		qualsByOcc:  map[string][]*catalog.Qualification{},
		qualsByDoc:  map[string][]*catalog.Qualification{},
		guidesByDoc: map[string][]*catalog.Guide{},
		guidesByOff: map[string][]*catalog.Guide{},
		updated:     map[string]catalog.Date{},
	}
	for _, q := range c.Qualifications {
		x.qualsByOcc[q.Occupation] = append(x.qualsByOcc[q.Occupation], q)
		if q.Document != "" {
			x.qualsByDoc[q.Document] = append(x.qualsByDoc[q.Document], q)
		}
	}
	for _, o := range c.Organisations {
		seen := map[string]bool{}
		for _, cert := range o.Certifies {
			if !seen[cert.Occupation] {
				seen[cert.Occupation] = true
				x.orgsByOcc[cert.Occupation] = append(x.orgsByOcc[cert.Occupation], o)
			}
		}
	}
	for _, g := range c.Guides {
		for _, d := range g.Basis {
			x.guidesByDoc[d] = append(x.guidesByDoc[d], g)
		}
	}
	// An office handles the guides its services list and the guides that
	// name it among their channels: an editor who adds a guide need not
	// also edit every office it sends readers to.
	for _, o := range c.Offices {
		seen := map[*catalog.Guide]bool{}
		for _, s := range o.Services {
			if g := c.Guide(s); g != nil && !seen[g] {
				seen[g] = true
				x.guidesByOff[o.ID] = append(x.guidesByOff[o.ID], g)
			}
		}
		for _, g := range c.Guides {
			if !seen[g] && slices.Contains(g.Channels, o.ID) {
				seen[g] = true
				x.guidesByOff[o.ID] = append(x.guidesByOff[o.ID], g)
			}
		}
	}
	bump := func(key string, d catalog.Date) {
		if d.After(x.updated[key]) {
			x.updated[key] = d
		}
	}
	for _, ch := range c.Changes {
		for _, id := range ch.Qualifications {
			bump("q/"+id, ch.Date)
		}
		for _, id := range ch.Organisations {
			bump("o/"+id, ch.Date)
		}
		for _, id := range ch.Documents {
			bump("d/"+id, ch.Date)
		}
	}
	latest := func(d catalog.Date) {
		if !d.After(date) && d.After(x.dataDate) {
			x.dataDate = d
		}
	}
	for _, ch := range c.Changes {
		latest(ch.Date)
	}
	for _, g := range c.Guides {
		latest(g.Updated)
	}
	for _, d := range c.Documents {
		latest(d.Date)
	}
	for _, o := range c.Organisations {
		latest(o.StatusDate)
	}
	x.sortOrgs()
	return x
}

// statusSince is the date the statuses of orgs (an organisation, or a
// list of them) are given "as of": the latest day on which one of them
// came into the state it is in on the build date, or changed in the
// change log. Every status shown held on every day from it to the build
// date, so it, unlike the build date, stays the same from build to build
// until a status really changes.
func (x *index) statusSince(orgs any) (catalog.Date, error) {
	var since catalog.Date
	var os []*catalog.Organisation
	switch v := orgs.(type) {
	case *catalog.Organisation:
		os = []*catalog.Organisation{v}
	case []*catalog.Organisation:
		os = v
	default:
		return since, fmt.Errorf("statusSince: %T is not an organisation or a list of them", orgs)
	}
	for _, o := range os {
		if d := o.ValiditySince(x.date); d.After(since) {
			since = d
		}
		if d := x.updated["o/"+o.ID]; !d.After(x.date) && d.After(since) {
			since = d
		}
	}
	return since, nil
}

// orgsFor returns the organisations certifying an occupation, those in
// force first, then by id, so that a reader sees where to go first.
func (x *index) orgsFor(code string) []*catalog.Organisation {
	return x.orgsByOcc[code]
}

// sortOrgs puts each occupation's organisations in the order of orgsFor.
func (x *index) sortOrgs() {
	for _, orgs := range x.orgsByOcc {
		sort.SliceStable(orgs, func(i, j int) bool {
			vi, vj := statusRank(orgs[i].Validity(x.date)), statusRank(orgs[j].Validity(x.date))
			if vi != vj {
				return vi < vj
			}
			return orgs[i].ID < orgs[j].ID
		})
	}
}

// statusRank orders organisations for a reader: those in force first.
func statusRank(v catalog.Validity) int {
	switch v {
	case catalog.Valid:
		return 0
	case catalog.Expiring:
		return 1
	case catalog.Unknown:
		return 2
	case catalog.SuspendedStatus:
		return 3
	case catalog.Expired:
		return 4
	}
	return 5
}

// statusClass is the CSS class of a status badge.
func statusClass(v catalog.Validity) string {
	switch v {
	case catalog.Valid:
		return "ok"
	case catalog.Expiring:
		return "warn"
	case catalog.Unknown:
		return "muted"
	}
	return "bad"
}

// levelSlug is the URL segment of a level: "4" for 四级.
func levelSlug(l catalog.Level) string {
	if n := l.Rank(); n > 0 {
		return strconv.Itoa(n)
	}
	return ""
}

func routeSlug(r catalog.Route) string {
	switch r {
	case catalog.Adoption:
		return "caixin"
	case catalog.Recognition:
		return "cairen"
	}
	return ""
}

// routeName is how the site names a route: 采认 as 直接采认, the word the
// catalogues' own titles use.
func routeName(r catalog.Route) string {
	if r == catalog.Recognition {
		return "直接采认"
	}
	return string(r)
}

func categorySlug(c catalog.Category) string {
	switch c {
	case catalog.Skill:
		return "skill"
	case catalog.Professional:
		return "professional"
	}
	return ""
}
