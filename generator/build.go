package generator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/hant"
)

// Options control [Build].
type Options struct {
	Src       string                           // repository root holding catalog/, content/ (and optionally templates/ to override embedded templates)
	Out       string                           // output directory, e.g. "public"
	BuildDate catalog.Date                     // zero: site.toml build_date, else today's date
	BaseURL   string                           // overrides site.toml base_url when set
	Dev       bool                             // dev server: inject the live-reload script before </body>
	Logf      func(format string, args ...any) // optional progress log

	// Converter, when set, is the zh-Hant converter to use instead of a new
	// one: making a Converter costs about 30 ms, so the dev server keeps
	// the one of the last build (Result.Converter) for the next. Build
	// uses it only if it leaves every one of the catalog's ProtectedTerms
	// as written, and otherwise makes a new one (after an edit that adds
	// an organisation, say).
	Converter *hant.Converter

	// Write, when set, receives every file of the site instead of the
	// file system: Out is neither read nor written, and there is no swap.
	// name is slash-separated and relative to the site root
	// ("zh-hans/index.html"). Write is called from several goroutines at
	// once, and data is only valid during the call: copy it to keep it.
	// A build that fails may have written some files already: keep them
	// only if Build returns no error.
	// The dev server can hold the site in memory this way; on a slow disk
	// (this machine's ext4 takes ~0.4 ms to create a file or directory)
	// writing the shipped site's ~400 files and directories costs more
	// than rendering it.
	Write func(name string, data []byte) error

	// checkHant makes every zh-Hant page be converted whole as well and
	// compared with the line-by-line conversion (tests).
	checkHant bool
	// wholePages renders every page by running its whole template, never
	// through a skeleton of the chrome (tests; see chrome.go).
	wholePages bool
}

// Result reports a build.
type Result struct {
	Pages       int                 // HTML pages written (both scripts counted)
	Files       int                 // all files written
	Bytes       int64               // their total size
	Diagnostics catalog.Diagnostics // warnings (and errors when the build failed)
	Duration    time.Duration

	// Converter is the zh-Hant converter the build used, for the next
	// build's Options.Converter.
	Converter *hant.Converter

	skeletonPages int // pages rendered through a skeleton of the chrome (tests)
}

// BuildError is returned when the catalog check finds errors: nothing was
// built and Out is untouched.
type BuildError struct {
	Diagnostics catalog.Diagnostics
}

func (e *BuildError) Error() string {
	n := 0
	for _, d := range e.Diagnostics {
		if d.Severity == catalog.Error {
			n++
		}
	}
	return fmt.Sprintf("catalog has %d error(s)", n)
}

// Build checks the catalog (errors stop the build and leave Out
// untouched), renders the whole site into a [Stage] beside Out, then
// swaps it into place atomically, so a failed build leaves the previous
// Out exactly as it was. The same inputs and build date give
// byte-identical files.
func Build(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.Src == "" {
		opts.Src = "."
	}
	if opts.Out == "" && opts.Write == nil {
		return nil, errors.New("generator: no output directory")
	}
	fsys := os.DirFS(opts.Src)
	date := opts.BuildDate
	if date.IsZero() {
		// The only reading of the clock: a build without a fixed date is
		// a build of today, unless site.toml fixes one (which Load
		// prefers).
		date = catalog.DateOf(time.Now())
	}
	cat, ds := catalog.Load(fsys, catalog.Options{BuildDate: date})
	res := &Result{Diagnostics: ds}
	if ds.Err() != nil {
		return res, &BuildError{Diagnostics: ds}
	}
	if opts.BuildDate.IsZero() {
		date = cat.BuildDate()
	}
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
	trust, err := readTrust(opts.Src)
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
	ts, err := loadTemplates(opts.Src, x.funcs())
	if err != nil {
		return res, fmt.Errorf("templates: %w", err)
	}
	x.partials.root = ts.root
	chrome, err := newChromes(ts)
	if err != nil {
		return res, fmt.Errorf("templates: %w", err)
	}
	if opts.wholePages {
		chrome.tmpls = nil
	}
	logf("loaded %d pages to render in %v", len(ps), time.Since(start).Round(time.Millisecond))

	// Pages go to opts.Write, or to a stage published once all is
	// written; a failed build abandons the stage and leaves Out as it was.
	write := opts.Write
	var stage *Stage
	if write == nil {
		if stage, err = NewStage(opts.Out); err != nil {
			return res, err
		}
		defer func() {
			if stage != nil {
				stage.Abort()
			}
		}()
		write = stage.WriteFile
	}

	r := newRenderer(x, ts, conv, write, base, opts.Dev)
	r.checkHant, r.chrome = opts.checkHant, chrome
	if err := r.prepare(ctx); err != nil {
		return res, err
	}
	wait := r.background(ctx, ps)
	err = r.renderAll(ctx, ps)
	if berr := wait(); err == nil {
		err = berr
	}
	if err != nil {
		return res, err
	}
	logf("rendered %d pages in %v", r.pages.Load(), time.Since(start).Round(time.Millisecond))
	if err := r.writeExtras(ps); err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if stage != nil {
		if err := stage.Commit(); err != nil {
			return res, err
		}
		stage = nil
	}
	res.Pages = int(r.pages.Load())
	res.skeletonPages = int(chrome.used.Load())
	res.Files = int(r.files.Load())
	res.Bytes = r.bytes.Load()
	res.Duration = time.Since(start)
	logf("published %s: %d pages, %d files in %v", opts.Out, res.Pages, res.Files, res.Duration.Round(time.Millisecond))
	return res, nil
}

// ProtectedTerms are the terms of a catalog never converted to
// Traditional script: the site's list, every document number and the
// names of organisations and offices. A [Options.Converter] must be made
// with them: hant.New(ProtectedTerms(c)...).
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
	sort.Strings(ts)
	return ts
}

// protects reports whether c leaves every term as written, as a converter
// made with them as protected terms does.
func protects(c *hant.Converter, terms []string) bool {
	for _, t := range terms {
		if c.Convert(t) != t {
			return false
		}
	}
	return true
}
