// Package generator builds the public site from a checked catalog: every
// page in zh-Hans and zh-Hant, the search indexes, the open data, the
// feeds and sitemap, published atomically.
//
// # Pipeline
//
// A build is four stages, each its own step at the call site
// (cmd/qualbridge/build.go):
//
//	cat, ds := catalog.Load(site, …)            // load and check; any error stops here
//	stage, err := publish.NewStage("public", …) // beside the output
//	res, err := generator.Build(ctx, cat, site, generator.Options{Write: stage.WriteFile, …})
//	err = stage.Commit()                        // or stage.Abort()
//
// [Build] is the render stage: it lists the site's pages (site.go),
// renders the list rows that many pages share once, then renders every
// page on a pool of one worker per CPU, while one more goroutine builds the
// search indexes and the open data, and hands every file to
// Options.Write. It reads only the site fs.FS (templates/ overrides,
// catalog/trust.json) and no clock but Options.Clock. Package publish puts
// the written site in the output's place in one step, so a failed or
// cancelled build leaves the previous output byte for byte as it was; the
// dev server keeps the files in memory instead.
//
// # One source, two scripts
//
// A page is rendered once, in zh-Hans, from the editors' text. The zh-Hant
// page is that HTML through [hant.Converter.ConvertHTML] (Taiwan phrasing,
// like OpenCC s2twp), then one pass swaps the "/zh-hans/" and "/zh-hant/"
// prefixes and the lang="zh-Hans"/"zh-Hant" attributes. Templates
// therefore always link with the "/zh-hans/" prefix. Names of bodies,
// document numbers and the site's protected terms are never converted.
//
// # Templates
//
// The html/template files and assets live in the templates package,
// embedded in the binary. A deployment overrides any of them by placing a
// file with the same name under <src>/templates/ (for example
// <src>/templates/assets/style.css or <src>/templates/home.html); extra
// files under <src>/templates/assets/ are published too. layout.html
// defines the page around a "main" template that each page template
// defines; partials.html holds the shared pieces. Markdown goes through
// goldmark with its safe default: raw HTML never reaches a page.
//
// # Output
//
// Pages end in "/" and are written as …/index.html under /zh-hans/ and
// /zh-hant/; "/" is a redirect page. Assets are under /assets/, each
// under a name with a hash of its content (assets.go), open data
// under /data/, feeds at /zh-hans/atom.xml and /zh-hant/atom.xml, and the
// root of trust, when catalog/trust-root.pub and catalog/trust.list exist
// (checked: the list must be signed by that root), at
// /.well-known/qualbridge/trust-root.pub and trust.list. The same inputs
// give byte-identical files, and on another build date too: statuses are
// computed as of the build date, but no file prints it. The footer, the
// data page and the open data give the data's latest change date, the
// statuses the day each began ([catalog.Organisation.ValiditySince]), the
// feed its newest entry; so a build changes a file only when what it says
// changed, and a deploy uploads no more than that.
//
// # Speed
//
// Pages render in parallel, one worker per CPU. What thousands of pages
// share is rendered once: list rows (the qrows and orows template
// functions), the parts of a page that depend on one field (partial), the
// chrome that layout.html puts around each page's main template (a
// skeleton per page shape, see chrome.go; a test holds it to running the
// whole template), and the zh-Hant conversion of every line that repeats
// across pages (see lineCache; a test holds it to the whole page's
// conversion). Builds write over the site before last rather than making
// every file anew (see package publish). The dev
// server keeps the converter between builds (Options.Converter,
// Result.Converter) and may take the files in memory (Options.Write)
// rather than through a slow disk.
package generator
