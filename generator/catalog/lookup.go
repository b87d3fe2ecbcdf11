package catalog

import (
	"cmp"
	"slices"
)

// link sorts the rows and builds the lookup indexes. Where ids repeat
// (already reported), the first row wins.
func (c *Catalog) link() {
	c.occupations = byKey(c.Occupations, func(o *Occupation) string { return o.Code })
	c.qualifications = byKey(c.Qualifications, func(q *Qualification) string { return q.ID })
	c.organisations = byKey(c.Organisations, func(o *Organisation) string { return o.ID })
	c.offices = byKey(c.Offices, func(o *Office) string { return o.ID })
	c.guides = byKey(c.Guides, func(g *Guide) string { return g.ID })
	c.documents = byKey(c.Documents, func(d *Document) string { return d.ID })
	slices.SortStableFunc(c.Changes, func(a, b *Change) int {
		return cmp.Or(b.Date.t.Compare(a.Date.t), cmp.Compare(a.ID, b.ID))
	})
}

// byKey sorts rows by key and returns them indexed by key.
func byKey[T any](rows []*T, key func(*T) string) map[string]*T {
	slices.SortStableFunc(rows, func(a, b *T) int { return cmp.Compare(key(a), key(b)) })
	m := make(map[string]*T, len(rows))
	for _, r := range rows {
		if _, dup := m[key(r)]; !dup {
			m[key(r)] = r
		}
	}
	return m
}

// BuildDate returns the date the site describes: site.toml's build_date,
// else the date passed to Load.
func (c *Catalog) BuildDate() Date { return c.buildDate }

// Occupation returns the occupation with the 大典 code, or nil.
func (c *Catalog) Occupation(code string) *Occupation { return c.occupations[code] }

// Qualification returns the qualification with the id, or nil.
func (c *Catalog) Qualification(id string) *Qualification { return c.qualifications[id] }

// Organisation returns the organisation with the id, or nil.
func (c *Catalog) Organisation(id string) *Organisation { return c.organisations[id] }

// Office returns the office with the id, or nil.
func (c *Catalog) Office(id string) *Office { return c.offices[id] }

// Guide returns the guide with the id, or nil.
func (c *Catalog) Guide(id string) *Guide { return c.guides[id] }

// Document returns the document with the id, or nil.
func (c *Catalog) Document(id string) *Document { return c.documents[id] }

// Validity is the state of an organisation's registration on a date.
type Validity int

const (
	Unknown         Validity = iota // no validity window published
	Valid                           // inside its window
	Expiring                        // its window ends within 90 days
	Expired                         // its window has ended
	SuspendedStatus                 // status 暂停
	RemovedStatus                   // status 移出
)

// ExpiringDays is how close to the end of its window an organisation is
// shown as expiring.
const ExpiringDays = 90

// String returns the state as the site shows it.
func (v Validity) String() string {
	switch v {
	case Valid:
		return "有效"
	case Expiring:
		return "即将到期"
	case Expired:
		return "已过期"
	case SuspendedStatus:
		return "暂停"
	case RemovedStatus:
		return "已移出"
	}
	return "未公布"
}

// Validity returns the state of o's registration on the date: a
// suspension or removal first, then its window.
func (o *Organisation) Validity(on Date) Validity {
	switch {
	case o.Status == Suspended:
		return SuspendedStatus
	case o.Status == Removed:
		return RemovedStatus
	case o.ValidUntil.IsZero():
		return Unknown
	case on.After(o.ValidUntil):
		return Expired
	case !on.AddDays(ExpiringDays).Before(o.ValidUntil):
		return Expiring
	}
	return Valid
}

// ValiditySince returns the day from which o has been in the state
// Validity(on) gives, as far as the catalog tells: the day its window
// came within [ExpiringDays] of its end for Expiring, the day after
// its end for Expired, valid_from for Valid, and status_date when that
// is later (a suspension, a reinstatement); zero when nothing dates it.
// Dates after on are ignored. It is what a page says its statuses are
// "as of", rather than the build date: the state held on every day from
// ValiditySince(on) to on, so a build on any of those days says the same.
func (o *Organisation) ValiditySince(on Date) Date {
	var since Date
	switch o.Validity(on) {
	case Valid:
		since = o.ValidFrom
	case Expiring:
		since = o.ValidUntil.AddDays(-ExpiringDays)
	case Expired:
		since = o.ValidUntil.AddDays(1)
	}
	if since.After(on) {
		since = Date{}
	}
	if !o.StatusDate.After(on) && o.StatusDate.After(since) {
		since = o.StatusDate
	}
	return since
}

// Stats counts what the catalog holds, for summaries.
type Stats struct {
	Occupations, Qualifications, Organisations, Offices, Guides, Documents, Changes, Pages int
}

// Stats counts the rows of c.
func (c *Catalog) Stats() Stats {
	return Stats{
		Occupations:    len(c.Occupations),
		Qualifications: len(c.Qualifications),
		Organisations:  len(c.Organisations),
		Offices:        len(c.Offices),
		Guides:         len(c.Guides),
		Documents:      len(c.Documents),
		Changes:        len(c.Changes),
		Pages:          len(c.Pages),
	}
}
