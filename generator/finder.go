package generator

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// The finder answers "can I use my certificate here?": the reader names
// a Taiwan certificate and a city, and gets one page saying what the
// certificate gives and where to go in that city.
//
// The answer is the certificate's own page (qualification.html), so the
// site gains no page per certificate and city: the page holds one short
// section per city and CSS shows the one named by the URL's fragment
// (#c-quanzhou, through :target), with a list of cities when there is
// none. That works without JavaScript; with it, the home page's form
// (site.js, over finder.json) types ahead in either script and opens
// the answer at the chosen city. Without JavaScript the finder page lists
// every certificate A–Z. A certificate the catalogue does not hold gets
// finder/unlisted/, with the same city sections for the next step.

// city is a place a reader may apply in: Fujian's nine cities and
// Pingtan, and "elsewhere" for readers in Taiwan or another province.
type city struct {
	Slug string // URL fragment: c-<slug>
	Name string // as the offices' city field writes it
	Area string // long-distance area code, shown beside local numbers
}

// fujianCities are Fujian's nine prefecture-level cities and the Pingtan
// experimental zone, in the province's usual order.
func fujianCities() []city {
	return []city{
		{"fuzhou", "福州市", "0591"}, {"xiamen", "厦门市", "0592"}, {"zhangzhou", "漳州市", "0596"},
		{"quanzhou", "泉州市", "0595"}, {"sanming", "三明市", "0598"}, {"putian", "莆田市", "0594"},
		{"nanping", "南平市", "0599"}, {"longyan", "龙岩市", "0597"}, {"ningde", "宁德市", "0593"},
		{"pingtan", "平潭综合实验区", "0591"},
		{"elsewhere", "台湾或福建省外", ""},
	}
}

// where is what a city section of an answer shows: the windows of the
// city that handle the guide, else the centre, and the online channels
// for residents.
type where struct {
	City    city
	Guide   *catalog.Guide
	Windows []*catalog.Office // windows in the city (the centre for Pingtan)
	Centres []*catalog.Office // the centre, when the city has no window of its own
	Online  []*catalog.Office // channels residents may use for the guide
	Zixun   *catalog.Guide    // the policy-enquiry guide, the next step when in doubt
}

// whereKey is the argument of the "where" partial: one rendering per
// guide and city.
type whereKey struct{ Guide, City string }

func (x *index) where(k whereKey) where {
	c := x.cat
	w := where{Guide: c.Guide(k.Guide), Zixun: c.Guide("zixun")}
	for _, ct := range fujianCities() {
		if ct.Slug == k.City {
			w.City = ct
		}
	}
	serves := func(o *catalog.Office) bool {
		if k.Guide == "" {
			return len(o.Services) > 0
		}
		for _, s := range o.Services {
			if s == k.Guide {
				return true
			}
		}
		return false
	}
	for _, o := range c.Offices {
		switch {
		case o.Kind == catalog.OnlineOffice && serves(o):
			w.Online = append(w.Online, o)
		case o.Kind == catalog.WindowOffice && o.City != "" && o.City == w.City.Name && serves(o):
			w.Windows = append(w.Windows, o)
		}
	}
	if len(w.Windows) == 0 {
		// No window of the city's own: the centre, which serves the
		// whole province, else the guide's windows.
		if o := c.Office("pingtan-centre"); o != nil {
			w.Centres = []*catalog.Office{o}
		} else if w.Guide != nil {
			for _, id := range w.Guide.Channels {
				if o := c.Office(id); o != nil && o.Kind == catalog.WindowOffice {
					w.Centres = append(w.Centres, o)
				}
			}
		}
	}
	return w
}

// finderList is the data of the finder page: every certificate, grouped
// by the first letter of its id (the pinyin of its name, by the
// catalogue's convention).
type finderList struct {
	Groups []azGroup
	Cities []city
	Total  int
}

type azGroup struct {
	Letter string
	Rows   []*catalog.Qualification
}

func (x *index) finderList() finderList {
	qs := append([]*catalog.Qualification(nil), x.cat.Qualifications...)
	sort.SliceStable(qs, func(i, j int) bool { return qs[i].ID < qs[j].ID })
	l := finderList{Cities: fujianCities(), Total: len(qs)}
	for _, q := range qs {
		letter := "#"
		if b := q.ID[0]; 'a' <= b && b <= 'z' {
			letter = strings.ToUpper(string(b))
		}
		if n := len(l.Groups); n == 0 || l.Groups[n-1].Letter != letter {
			l.Groups = append(l.Groups, azGroup{Letter: letter})
		}
		g := &l.Groups[len(l.Groups)-1]
		g.Rows = append(g.Rows, q)
	}
	return l
}

// cityCSS shows the city section named by the URL's fragment and hides
// the list of cities then. It is written out in templates/assets/style.css
// (pages carry no inline style, for a strict Content-Security-Policy);
// TestCityCSS holds the stylesheet to it.
func cityCSS() string {
	var b strings.Builder
	b.WriteString(".city{display:none}")
	for i, ct := range fujianCities() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("#c-" + ct.Slug + ":target~.where .c-" + ct.Slug)
	}
	b.WriteString("{display:block}")
	for i, ct := range fujianCities() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("#c-" + ct.Slug + ":target~.where .pick")
	}
	b.WriteString("{display:none}")
	return b.String()
}

// finderIndex is the JSON the home page's finder types ahead over, one
// per script: each certificate's label (in the page's script), its path,
// and the text matched against, in both scripts.
func (r *renderer) finderIndex(hant bool) ([]byte, error) {
	type entry struct {
		Label string `json:"l"`
		Path  string `json:"p"`
		Keys  string `json:"k"`
	}
	var out struct {
		V       int     `json:"v"`
		Entries []entry `json:"c"`
	}
	out.V = 1
	for _, q := range r.x.cat.Qualifications {
		occ := q.Occupation
		keys := []string{q.TaiwanName, string(q.TaiwanGrade), q.Occupation, strings.ReplaceAll(q.Occupation, "-", ""), q.OccupationAsPublished}
		if o := r.x.cat.Occupation(q.Occupation); o != nil {
			occ = o.Name
			keys = append(append(append(keys, o.Name), o.Aliases...), o.Formerly...)
		}
		label := q.TaiwanName + paren(string(q.TaiwanGrade)) + " → " + occ + paren(q.Level.Title())
		k := join(keys...)
		k += " " + r.conv.Convert(k)
		if hant {
			label = r.conv.Convert(label)
		}
		out.Entries = append(out.Entries, entry{label, "qualifications/" + q.ID + "/", k})
	}
	return json.Marshal(out)
}
