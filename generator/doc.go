// Package generator builds the public site from a checked catalog: every
// page in zh-Hans and zh-Hant, the search indexes, the open data, the
// feeds and sitemap, published atomically.
//
// # Pipeline
//
// [Build] loads and checks the catalog (package catalog; any error stops
// the build), lists the site's pages (site.go), renders the list rows that
// many pages share once, then renders every page on a pool of one worker
// per CPU, while one more goroutine builds the search indexes and the open
// data, and writes it all into a [Stage] beside the output: on Linux the
// site before last (kept as <out>.prev), written over file by file,
// elsewhere a fresh directory. Only when everything is written does the
// stage swap into place (publish.go: one renameat2 exchange on Linux), so
// a failed or cancelled build leaves the previous output byte for byte as
// it was.
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
// /zh-hant/; "/" is a redirect page. Assets are under /assets/, open data
// under /data/, feeds at /zh-hans/atom.xml and /zh-hant/atom.xml, and the
// root of trust, when catalog/trust-root.pub and catalog/trust.list exist
// (checked: the list must be signed by that root), at
// /.well-known/qualbridge/trust-root.pub and trust.list. The same inputs and build date give
// byte-identical files.
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
// every file anew (see Stage). The dev
// server keeps the converter between builds (Options.Converter,
// Result.Converter) and may take the files in memory (Options.Write)
// rather than through a slow disk.
package generator
