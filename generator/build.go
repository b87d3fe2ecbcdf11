package generator

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/hant"
	"github.com/qualbridge/qualbridge/generator/search"
)

// Options control [Build].
type Options struct {
	// Write receives every file of the site (required). name is
	// slash-separated and relative to the site root
	// ("zh-hans/index.html"). Write is called from several goroutines at
	// once, and data is only valid during the call: copy it to keep it.
	// A build that fails may have written some files already: keep them
	// only if Build returns no error. The command passes a
	// publish.Stage's WriteFile and commits the stage after Build; the
	// dev server keeps the files in memory.
	Write func(name string, data []byte) error

	BuildDate catalog.Date // zero: the catalog's (site.toml's build_date, else the date Load was given)
	BaseURL   string       // overrides site.toml base_url when set
	Dev       bool         // dev server: inject the live-reload script before </body>

	// Clock, when set, times the stages for Logf and Result.Duration;
	// nil leaves them zero. Build reads no clock of its own: the build
	// date is the catalog's or BuildDate.
	Clock func() time.Time
	Logf  func(format string, args ...any) // optional progress log

	// Converter, when set, is the zh-Hant converter to use instead of a new
	// one: making a Converter costs about 30 ms, so the dev server keeps
	// the one of the last build (Result.Converter) for the next. Build
	// uses it only if it was made with every one of the catalog's
	// ProtectedTerms, and otherwise makes a new one (after an edit that adds
	// an organisation, say).
	Converter *hant.Converter

	// checkHant makes every zh-Hant page be converted whole as well and
	// compared with the line-by-line conversion (tests).
	checkHant bool
	// wholePages renders every page by running its whole template, never
	// through a skeleton of the chrome (tests; see chrome.go).
	wholePages bool
}

// Result reports a build.
type Result struct {
	Pages    int   // HTML pages written (both scripts counted)
	Files    int   // all files written
	Bytes    int64 // their total size
	Duration time.Duration
	// Preview reports a build without a base URL: links are relative to
	// the site root, and no page, feed or sitemap carries an absolute URL.
	Preview bool

	// Converter is the zh-Hant converter the build used, for the next
	// build's Options.Converter.
	Converter *hant.Converter

	skeletonPages int // pages rendered through a skeleton of the chrome (tests)
}

// BuildError is returned when a build fails for a reason an editor or a
// developer fixes in their files (a template that does not parse or
// run): its diagnostics say where.
type BuildError struct {
	Diagnostics diag.List
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("build has %d error(s)", e.Diagnostics.Count(diag.Error))
}

// Build renders the site of cat, a catalog that [catalog.Load] returned
// without errors, handing every file to opts.Write. site is the
// repository root: templates/ there overrides the embedded templates, and
// catalog/trust.json, when there is one, is published. The same catalog,
// site and build date give byte-identical files.
//
// Build is the render stage alone: loading and checking come before it
// (catalog.Load), publishing after it (package publish), so that it
// touches no file system but site and no clock but opts.Clock.
func Build(ctx context.Context, cat *catalog.Catalog, site fs.FS, opts Options) (*Result, error) {
	now := opts.Clock
	if now == nil {
		now = func() time.Time { return time.Time{} }
	}
	start := now()
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.Write == nil {
		return nil, errors.New("generator: no Options.Write")
	}
	date := opts.BuildDate
	if date.IsZero() {
		date = cat.BuildDate()
	}
	res := &Result{}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	base := opts.BaseURL
	if base == "" {
		base = cat.Site.BaseURL
	}
	if base != "" && !strings.HasSuffix(base, "/") {
		base += "/"
	}

	x := newIndex(cat, date)
	trust, err := readTrust(site)
	if err != nil {
		return res, err
	}
	x.trust = trust
	terms := ProtectedTerms(cat)
	conv := opts.Converter
	if conv == nil || !protects(conv, terms) {
		conv, err = hant.New(terms...)
		if err != nil {
			return res, err
		}
	}
	res.Converter = conv
	ps, err := x.pages()
	if err != nil {
		return res, err
	}
	ps = append(ps, &page{Path: "404.html", Tmpl: "404.html", Title: "找不到页面", Crumbs: []crumb{{"首页", ""}}})
	ts, err := loadTemplates(site, x.funcs())
	if err != nil {
		return res, templateFailure(err)
	}
	x.partials.root = ts.root
	if x.assets, err = loadAssets(ts.fsys, map[string][]byte{"search.js": search.Script()}); err != nil {
		return res, err
	}
	chrome, err := newChromes(ts)
	if err != nil {
		return res, templateFailure(err)
	}
	if opts.wholePages {
		chrome.tmpls = nil
	}
	logf("loaded %d pages to render in %v", len(ps), now().Sub(start).Round(time.Millisecond))

	r := newRenderer(x, ts, conv, opts.Write, base, opts.Dev)
	r.checkHant, r.chrome = opts.checkHant, chrome
	if err := r.prepare(ctx); err != nil {
		return res, templateFailure(err)
	}
	wait := r.background(ctx, ps)
	err = r.renderAll(ctx, ps)
	if berr := wait(); err == nil {
		err = berr
	}
	if err != nil {
		return res, templateFailure(err)
	}
	logf("rendered %d pages in %v", r.pages.Load(), now().Sub(start).Round(time.Millisecond))
	if err := r.writeExtras(ps); err != nil {
		return res, templateFailure(err)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.Preview = base == ""
	res.Pages = int(r.pages.Load())
	res.skeletonPages = int(chrome.used.Load())
	res.Files = int(r.files.Load())
	res.Bytes = r.bytes.Load()
	res.Duration = now().Sub(start)
	return res, nil
}

// ProtectedTerms are the terms of a catalog converted to Traditional
// script character by character only, never by Taiwan phrases: the site's
// list, every document number, the names of organisations and offices,
// and the official names of occupations and Taiwan certificates. A
// [Options.Converter] must be made with them: hant.New(ProtectedTerms(c)...).
func ProtectedTerms(c *catalog.Catalog) []string {
	seen := map[string]bool{}
	var ts []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			ts = append(ts, s)
		}
	}
	for _, p := range c.Site.Protected {
		add(p)
	}
	for _, d := range c.Documents {
		add(d.Number)
		add(d.Issuer)
	}
	for _, o := range c.Organisations {
		add(o.Name)
		add(o.Supervisor)
		add(o.Partner)
	}
	for _, o := range c.Offices {
		add(o.Name)
	}
	for _, o := range c.Occupations {
		add(o.Name)
	}
	for _, q := range c.Qualifications {
		add(q.TaiwanName)
	}
	sort.Strings(ts)
	return ts
}

// protects reports whether c was made with every term protected.
func protects(c *hant.Converter, terms []string) bool {
	for _, t := range terms {
		if _, ok := c.Protected(t); !ok {
			return false
		}
	}
	return true
}
