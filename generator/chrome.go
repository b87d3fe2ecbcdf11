package generator

import (
	"bytes"
	"html/template"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template/parse"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// The chrome of a page, everything layout.html puts around its "main"
// template (head, header, breadcrumb, footer), is most of what a page's
// template run costs, and it differs from page to page only in a few
// values: the path, the title, the breadcrumb and the update date. So a
// page is rendered as its "main" template alone, inside a skeleton of the
// chrome made once per shape. The skeleton is layout.html run on a clone
// of the page's templates whose "main" is a marker, with the page's
// values replaced by markers; the output, cut at the markers, is the
// skeleton, and a page fills it with its own values and its main.
//
// The shape is what changes the layout's branches: the page template,
// whether the path is empty, the number of breadcrumb entries and the
// update date (which the layout prints as it is).
//
// A value goes into a hole as it is, so only values that html/template
// would leave unchanged in any context where the default layout puts
// them do: paths of letters, digits and "/._-", titles without any
// character that it escapes. A page with another value, and every page
// of a deployment that overrides layout.html or partials.html or whose
// page template redefines one of their templates (checklist.html redefines
// "nav"), runs the whole template. The first page of each shape is also
// rendered whole and compared byte for byte; a shape that differs is not
// used again. The tests render every page both ways.

// chromeKey is a skeleton's shape.
type chromeKey struct {
	tmpl    string
	path    bool // the path is not empty
	crumbs  int
	updated catalog.Date
}

func shapeOf(tmpl string, v *view) chromeKey {
	return chromeKey{tmpl: tmpl, path: v.Path != "", crumbs: len(v.Crumbs), updated: v.Updated}
}

// chromeSkel is a skeleton: parts[0], hole holes[0], parts[1], …
type chromeSkel struct {
	parts []string
	holes []int // a value of chromeValues, or holeMain
	ok    bool  // checked against a whole rendering
}

const (
	holeMain     = -1
	markerPrefix = "qbholez"
	markerSuffix = "z"
)

// chromes holds the skeletons of one build.
type chromes struct {
	tmpls map[string]*template.Template // page template → clone whose main is a marker; nil: no skeletons
	mu    sync.Mutex
	skels map[chromeKey]*chromeSkel // a nil entry: this shape runs whole
	used  atomic.Int64              // pages rendered through a skeleton, for the tests
}

// newChromes prepares the marker clones of the page templates that can
// use skeletons. It must run before any of them is executed (html/template
// cannot clone a template after that).
func newChromes(ts *templateSet) (*chromes, error) {
	c := &chromes{tmpls: map[string]*template.Template{}, skels: map[chromeKey]*chromeSkel{}}
	if ts.overridden("layout.html") || ts.overridden("partials.html") {
		return c, nil
	}
	for name, t := range ts.pages {
		if re, err := redefinesChrome(ts.fsys, name); err != nil || re {
			continue
		}
		m, err := t.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := m.New("main").Parse(markerPrefix + "m" + markerSuffix); err != nil {
			return nil, err
		}
		c.tmpls[name] = m
	}
	return c, nil
}

// redefinesChrome reports whether the page template file name defines a
// template other than "main" (as checklist.html redefines "nav"), which
// the layout might use.
func redefinesChrome(fsys fs.FS, name string) (bool, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return false, err
	}
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(string(b), "{{", "}}", trees); err != nil {
		return false, err
	}
	for n := range trees {
		if n != "main" && n != name {
			return true, nil
		}
	}
	return false, nil
}

// chromeValues lists the values of v that the chrome shows, in hole
// order: path, title, then each crumb's path and title.
func chromeValues(v *view) []string {
	vals := make([]string, 0, 2+2*len(v.Crumbs))
	vals = append(vals, v.Path, v.Title)
	for _, c := range v.Crumbs {
		vals = append(vals, c.Path, c.Title)
	}
	return vals
}

// plainPath and plainText report whether html/template leaves s as it is.
func plainPath(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '/' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func plainText(s string) bool {
	return !strings.ContainsAny(s, "\x00\"&'+<>=`\r\n\t\f") && !strings.Contains(s, markerPrefix)
}

// lookup returns the skeleton for page v of template tmpl, made if
// need be, with v's chrome values; nil when the page must run whole.
func (c *chromes) lookup(tmpl string, v *view) (*chromeSkel, []string) {
	m := c.tmpls[tmpl]
	if m == nil {
		return nil, nil
	}
	vals := chromeValues(v)
	for i, s := range vals {
		if i%2 == 0 && !plainPath(s) || i%2 == 1 && !plainText(s) {
			return nil, nil
		}
	}
	key := shapeOf(tmpl, v)
	c.mu.Lock()
	sk, seen := c.skels[key]
	c.mu.Unlock()
	if !seen {
		// An error running the marker clone shows again, and is
		// reported, when the page runs whole.
		sk, _ = c.skeleton(m, v, len(vals))
		if sk == nil {
			c.mu.Lock()
			c.skels[key] = nil
			c.mu.Unlock()
		}
	}
	return sk, vals
}

// render writes the page v of template t (named tmpl) into buf, through
// a skeleton when it can.
func (c *chromes) render(buf *bytes.Buffer, tmpl string, t *template.Template, v *view) error {
	sk, vals := c.lookup(tmpl, v)
	if sk == nil {
		return t.ExecuteTemplate(buf, "layout", v)
	}
	start := buf.Len()
	for i, part := range sk.parts {
		buf.WriteString(part)
		if i == len(sk.holes) {
			break
		}
		if h := sk.holes[i]; h == holeMain {
			if err := t.ExecuteTemplate(buf, "main", v); err != nil {
				return err
			}
		} else {
			buf.WriteString(vals[h])
		}
	}
	if sk.ok {
		c.used.Add(1)
		return nil
	}
	// The first page of this shape: check the skeleton against the whole
	// template, and keep whichever is right.
	var whole bytes.Buffer
	if err := t.ExecuteTemplate(&whole, "layout", v); err != nil {
		return err
	}
	good := bytes.Equal(whole.Bytes(), buf.Bytes()[start:])
	if !good {
		buf.Truncate(start)
		buf.Write(whole.Bytes())
	}
	key := shapeOf(tmpl, v)
	c.mu.Lock()
	if good {
		sk.ok = true
		c.skels[key] = sk
		c.used.Add(1)
	} else {
		c.skels[key] = nil
	}
	c.mu.Unlock()
	return nil
}

// skeleton runs the marker clone m on a copy of v whose chrome values
// are markers and cuts the output at them. n is the number of values; a
// nil skeleton means the markers did not come out whole.
func (c *chromes) skeleton(m *template.Template, v *view, n int) (*chromeSkel, error) {
	mv := *v
	marker := func(i int) string { return markerPrefix + strconv.Itoa(i) + markerSuffix }
	if mv.Path != "" {
		mv.Path = marker(0)
	}
	mv.Title = marker(1)
	mv.Crumbs = make([]crumb, len(v.Crumbs))
	for i := range mv.Crumbs {
		mv.Crumbs[i] = crumb{Path: marker(2 + 2*i), Title: marker(3 + 2*i)}
	}
	var out bytes.Buffer
	if err := m.ExecuteTemplate(&out, "layout", &mv); err != nil {
		return nil, err
	}
	sk := &chromeSkel{}
	s := out.String()
	for {
		i := strings.Index(s, markerPrefix)
		if i < 0 {
			break
		}
		rest := s[i+len(markerPrefix):]
		j := strings.Index(rest, markerSuffix)
		if j < 0 {
			return nil, nil
		}
		// A hole's marker is letters and digits: it comes out as written
		// in any context, or not whole.
		h := holeMain
		if id := rest[:j]; id != "m" {
			var err error
			if h, err = strconv.Atoi(id); err != nil || h < 0 || h >= n {
				return nil, nil
			}
		}
		sk.parts = append(sk.parts, s[:i])
		sk.holes = append(sk.holes, h)
		s = rest[j+len(markerSuffix):]
	}
	sk.parts = append(sk.parts, s)
	return sk, nil
}
