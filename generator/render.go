package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/hant"
	"github.com/qualbridge/qualbridge/templates"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// The two scripts. Every page is rendered once, in zh-Hans, from the
// editors' text; the zh-Hant page is that HTML through the converter, with
// the URL prefixes and lang attributes swapped in one pass (see swap). The
// templates therefore always link with the zh-Hans prefix, and write two
// markers the swap fills in differently per script.
const (
	hansPrefix = "/zh-hans/"
	hantPrefix = "/zh-hant/"
	// defaultMarker stands for the prefix of the default script (the
	// x-default alternate), which must not swap.
	defaultMarker = "/zh-default/"
	// switchMarker is the label of the link to the other script.
	switchMarker = "zh-switch-label"
)

// swap appends s to dst with the script-dependent parts filled in: in the
// zh-Hant page "/zh-hans/" and "/zh-hant/" trade places, and so do
// lang="zh-Hans" and lang="zh-Hant" (hreflang too); in both, the markers
// become the default script's prefix and the switch label. Every one of
// them contains "zh-", so one search for it does the whole page; this
// runs twice per page, so it avoids strings.Replacer's generic path.
func swap(dst []byte, s string, hant bool, def string) []byte {
	for {
		i := strings.Index(s, "zh-")
		if i < 0 {
			return append(dst, s...)
		}
		rest := s[i+3:]
		slash := i > 0 && s[i-1] == '/'
		lang := i >= 6 && s[i-6:i] == `lang="`
		n, with := 0, ""
		switch {
		case slash && strings.HasPrefix(rest, "hans/"):
			n, with = 5, "hans/"
			if hant {
				with = "hant/"
			}
		case slash && strings.HasPrefix(rest, "hant/"):
			n, with = 5, "hant/"
			if hant {
				with = "hans/"
			}
		case slash && strings.HasPrefix(rest, "default/"):
			n, with = 8, def+"/"
		case lang && strings.HasPrefix(rest, `Hans"`):
			n, with = 5, `Hans"`
			if hant {
				with = `Hant"`
			}
		case lang && strings.HasPrefix(rest, `Hant"`):
			n, with = 5, `Hant"`
			if hant {
				with = `Hans"`
			}
		case strings.HasPrefix(rest, "switch-label"):
			dst = append(dst, s[:i]...)
			if hant {
				dst = append(dst, "简体"...)
			} else {
				dst = append(dst, "繁體"...)
			}
			s = rest[len("switch-label"):]
			continue
		}
		dst = append(dst, s[:i+3]...)
		dst = append(dst, with...)
		s = rest[n:]
	}
}

// templateSet is the parsed templates: one clone of the layout per page
// template, parsed once per build.
type templateSet struct {
	root  *template.Template // layout.html and partials.html, which every page clones
	pages map[string]*template.Template
	fsys  fs.FS // the templates, embedded with the deployment's overrides on top
	// overridden reports whether the deployment overrides a template
	// file with one that differs from the embedded one.
	overridden func(name string) bool
}

// overlay reads a file from top when it exists there, else from base: a
// deployment overrides an embedded template or asset by placing a file with
// the same name under <src>/templates/.
type overlay struct{ top, base fs.FS }

func (o overlay) Open(name string) (fs.File, error) {
	if o.top != nil {
		f, err := o.top.Open(name)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return o.base.Open(name)
}

// ReadDir lists the union of both directories, so that a deployment can
// also add assets.
func (o overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, err := fs.ReadDir(o.base, name)
	if o.top == nil {
		return ents, err
	}
	top, terr := fs.ReadDir(o.top, name)
	if terr != nil {
		return ents, err
	}
	seen := map[string]bool{}
	var all []fs.DirEntry
	for _, e := range top {
		seen[e.Name()] = true
		all = append(all, e)
	}
	for _, e := range ents {
		if !seen[e.Name()] {
			all = append(all, e)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name() < all[j].Name() })
	return all, nil
}

func loadTemplates(site fs.FS, funcs template.FuncMap) (*templateSet, error) {
	var top fs.FS
	if st, err := fs.Stat(site, "templates"); err == nil && st.IsDir() {
		if top, err = fs.Sub(site, "templates"); err != nil {
			return nil, err
		}
	}
	fsys := overlay{top: top, base: templates.FS()}
	root, err := template.New("").Funcs(funcs).ParseFS(fsys, "layout.html", "partials.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, err
	}
	ts := &templateSet{root: root, pages: map[string]*template.Template{}, fsys: fsys,
		overridden: func(name string) bool {
			if top == nil {
				return false
			}
			mine, err := fs.ReadFile(top, name)
			if err != nil {
				return false
			}
			base, err := fs.ReadFile(templates.FS(), name)
			return err != nil || !bytes.Equal(mine, base)
		}}
	for _, n := range names {
		if n == "layout.html" || n == "partials.html" {
			continue
		}
		t, err := root.Clone()
		if err == nil {
			t, err = t.ParseFS(fsys, n)
		}
		if err != nil {
			return nil, err
		}
		ts.pages[n] = t
	}
	return ts, nil
}

// view is what a page template sees as ".". It copies the page's fields
// rather than embedding *page: text/template looks a field up by name on
// every access, and a promoted field costs a breadth-first search.
type view struct {
	Path    string
	Title   string
	Crumbs  []crumb
	Updated catalog.Date
	Data    any
	Site    *catalog.Site
	L       string // this script's prefix: always "/zh-hans/", swapped for zh-Hant
	Alt     string // the other script's prefix
	XDef    string // the default script's prefix (a marker filled in after conversion)
	Switch  string // the label of the switch link (a marker)
	Base    string // absolute base URL with the trailing slash
	// DataDate is the data's latest change date (see index.dataDate),
	// printed where a page says how current the site is. The build date
	// itself is not given to templates: printed, it would change every
	// page every day.
	DataDate catalog.Date
	Dev      bool
}

// renderer renders pages in parallel; its fields are read-only while the
// workers run.
type renderer struct {
	x      *index
	ts     *templateSet
	conv   *hant.Converter
	chrome *chromes
	sink   func(name string, data []byte) error // where files go
	base   string
	dev    bool
	def    string // the default script, "hans" or "hant"

	checkHant bool // compare each zh-Hant page with its whole conversion

	pages atomic.Int64
	files atomic.Int64
	bytes atomic.Int64
}

func newRenderer(x *index, ts *templateSet, conv *hant.Converter, sink func(string, []byte) error, base string, dev bool) *renderer {
	def := string(x.cat.Site.Script)
	if def == "" {
		def = string(catalog.Hans)
	}
	return &renderer{x: x, ts: ts, conv: conv, sink: sink, base: base, dev: dev, def: def}
}

// worker is the reusable state of one goroutine of parallel.
type worker struct {
	buf   bytes.Buffer // the page in zh-Hans, as rendered
	out   []byte       // a page in one script, as written
	lines *lineCache   // made by the first page the worker renders
}

// parallel calls f for 0 ≤ i < n on a bounded pool of workers, one per
// CPU, each with its own reusable state; the first error stops the
// others.
func parallel(ctx context.Context, n int, f func(i int, w *worker) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			var w worker
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i, &w); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// prepare renders the list rows that many pages share, once each.
func (r *renderer) prepare(ctx context.Context) error {
	c := r.x.cat
	t := r.ts.pages["page.html"]
	if t == nil {
		return errors.New("templates: page.html: no such template")
	}
	qrows := make([]template.HTML, len(c.Qualifications))
	orows := make([]template.HTML, len(c.Organisations))
	nq := len(qrows)
	err := parallel(ctx, nq+len(orows), func(i int, w *worker) error {
		buf := &w.buf
		buf.Reset()
		if i < nq {
			if err := t.ExecuteTemplate(buf, "qualrow", c.Qualifications[i]); err != nil {
				return err
			}
			qrows[i] = template.HTML(buf.String())
			return nil
		}
		if err := t.ExecuteTemplate(buf, "orgrow", c.Organisations[i-nq]); err != nil {
			return err
		}
		orows[i-nq] = template.HTML(buf.String())
		return nil
	})
	if err != nil {
		return err
	}
	r.x.qrows = make(map[*catalog.Qualification]template.HTML, nq)
	for i, q := range c.Qualifications {
		r.x.qrows[q] = qrows[i]
	}
	r.x.orows = make(map[*catalog.Organisation]template.HTML, len(orows))
	for i, o := range c.Organisations {
		r.x.orows[o] = orows[i]
	}
	return nil
}

// renderAll renders every page in both scripts.
func (r *renderer) renderAll(ctx context.Context, ps []*page) error {
	return parallel(ctx, len(ps), func(i int, w *worker) error {
		return r.render(w, ps[i])
	})
}

// render writes one page in both scripts.
func (r *renderer) render(w *worker, p *page) error {
	t := r.ts.pages[p.Tmpl]
	if t == nil {
		return fmt.Errorf("templates: %s: no such template", p.Tmpl)
	}
	if w.lines == nil {
		w.lines = newLineCache(r.conv, r.def)
	}
	buf := &w.buf
	buf.Reset()
	v := &view{Path: p.Path, Title: p.Title, Crumbs: p.Crumbs, Updated: p.Updated, Data: p.Data, Site: &r.x.cat.Site, L: hansPrefix, Alt: hantPrefix, XDef: defaultMarker, Switch: switchMarker,
		Base: r.base, DataDate: r.x.dataDate, Dev: r.dev}
	if err := r.chrome.render(buf, p.Tmpl, t, v); err != nil {
		return err
	}
	src := buf.String()
	name := p.Path
	if name == "" || strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	for _, script := range []string{"hans", "hant"} {
		if script == "hans" {
			w.out = swap(w.out[:0], src, false, r.def)
		} else {
			w.out = w.lines.appendHant(w.out[:0], src)
			if r.checkHant {
				if whole := swap(nil, r.conv.ConvertHTML(src), true, r.def); !bytes.Equal(whole, w.out) {
					return fmt.Errorf("%s: zh-Hant page converted line by line differs from its whole conversion", name)
				}
			}
		}
		if err := r.writeBytes("zh-"+script+"/"+name, w.out); err != nil {
			return err
		}
	}
	r.pages.Add(2)
	return nil
}

// write writes a file of the site.
func (r *renderer) write(name, data string) error {
	return r.writeBytes(name, []byte(data))
}

func (r *renderer) writeBytes(name string, data []byte) error {
	if err := r.sink(name, data); err != nil {
		return err
	}
	r.files.Add(1)
	r.bytes.Add(int64(len(data)))
	return nil
}

// markdown renders editors' Markdown with goldmark's safe default: raw
// HTML is escaped, never passed through.
func markdown() func(string) template.HTML {
	md := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Linkify, extension.Strikethrough))
	return func(s string) template.HTML {
		if strings.TrimSpace(s) == "" {
			return ""
		}
		if plainParagraph(s) {
			// What goldmark gives for it, at a fraction of the cost: a
			// note on each of 10,000 rows is mostly such text.
			return template.HTML("<p>" + s + "</p>\n")
		}
		var b strings.Builder
		if err := md.Convert([]byte(s), &b); err != nil {
			return template.HTML(template.HTMLEscapeString(s))
		}
		return template.HTML(b.String())
	}
}

// plainParagraph reports whether the Markdown s is one paragraph of text
// with nothing for Markdown to do: no line break, no ASCII punctuation
// (which all Markdown syntax, escaping and autolinks need), no control
// characters, no space at either end.
func plainParagraph(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c == ' ' || '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z' {
			continue
		}
		return false
	}
	return utf8.ValidString(s)
}
