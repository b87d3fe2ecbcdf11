package generator

import (
	"context"
	"fmt"
	"html"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/qualbridge/qualbridge/generator/opendata"
	"github.com/qualbridge/qualbridge/generator/search"
)

// background starts what needs the pages' text but not their HTML,
// the search indexes and the open data, on a goroutine of its own beside
// the page workers, so that no CPU idles while the last pages render or
// while the indexes are built. wait returns its error; it must be called
// before the build returns, whatever happens, since the goroutine writes
// files.
func (r *renderer) background(ctx context.Context, ps []*page) (wait func() error) {
	errc := make(chan error, 1)
	go func() {
		errc <- func() error {
			if err := r.writeData(); err != nil {
				return err
			}
			// Each script's index holds both scripts' text (see package
			// search).
			var hans, hant []search.Doc
			for _, p := range ps {
				if p.Kind == "" {
					continue
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				title := r.conv.Convert(p.Title)
				text := p.Text + " " + r.conv.Convert(p.Text)
				hans = append(hans, search.Doc{URL: hansPrefix + p.Path, Title: p.Title, Kind: p.Kind, Text: text, AltTitle: title})
				hant = append(hant, search.Doc{URL: hantPrefix + p.Path, Title: title, Kind: p.Kind, Text: text, AltTitle: p.Title})
			}
			for i, script := range []string{"zh-hans", "zh-hant"} {
				b, err := r.finderIndex(i == 1)
				if err != nil {
					return err
				}
				if err := r.writeBytes(script+"/finder.json", b); err != nil {
					return err
				}
			}
			idx, err := search.Indexes(hans, hant)
			if err != nil {
				return err
			}
			if err := r.writeBytes("zh-hans/search-index.json", idx[0]); err != nil {
				return err
			}
			return r.writeBytes("zh-hant/search-index.json", idx[1])
		}()
	}()
	return func() error { return <-errc }
}

// writeExtras writes what is not a page, once the pages are done:
// assets, the root redirect, 404, sitemap, robots.txt, feeds and the
// trust list (the search indexes and open data come from background).
func (r *renderer) writeExtras(ps []*page) error {
	// Assets, embedded or overridden, under their fingerprinted names.
	for _, a := range r.x.assets.files {
		if err := r.writeBytes(a.name, a.data); err != nil {
			return err
		}
	}

	// The root and the site-wide 404 let the reader choose a script, in
	// both: no redirect, so a reader without JavaScript (or a crawler)
	// gets both links; site.js goes on to the script chosen before.
	if err := r.write("index.html", r.chooser(false)); err != nil {
		return err
	}
	if err := r.write("404.html", r.chooser(true)); err != nil {
		return err
	}

	robots := "User-agent: *\nAllow: /\n"
	if r.base != "" {
		robots += "Sitemap: " + r.base + "sitemap.xml\n"
	}
	if err := r.write("robots.txt", robots); err != nil {
		return err
	}
	if r.base != "" {
		// A sitemap lists absolute URLs: a preview build has none.
		if err := r.write("sitemap.xml", r.sitemap(ps)); err != nil {
			return err
		}
	}
	same := func(s string) string { return s }
	if err := r.writeBytes("zh-hans/atom.xml", swap(nil, r.atom(same), false, r.def)); err != nil {
		return err
	}
	// Every text of the zh-Hant feed is converted, attributes such as
	// the categories' terms included.
	if err := r.writeBytes("zh-hant/atom.xml", swap(nil, r.atom(r.conv.Convert), true, r.def)); err != nil {
		return err
	}
	if t := r.x.trust; t != nil {
		if err := r.writeBytes(trustPinPath, t.Pin); err != nil {
			return err
		}
		if err := r.writeBytes(trustListPath, t.List); err != nil {
			return err
		}
	}
	return nil
}

// chooser is the root page, or the site-wide 404 page, in both scripts:
// the site's name and two links, the zh-Hant half converted.
func (r *renderer) chooser(notFound bool) string {
	esc := html.EscapeString
	a := r.x.assets.urls // the embedded style.css, icon.svg and site.js are always there
	name := r.x.cat.Site.Name
	hans := "<p>请选择文字版本：</p>"
	if notFound {
		hans = "<p>找不到你要的页面，可能已经移动或删除。请从首页重新查找：</p>"
	}
	title := name
	if notFound {
		title = "找不到页面 - " + name
	}
	links := func(script string) string {
		hansHome, hantHome := "进入简体中文版", "进入繁体中文版"
		if notFound {
			hansHome, hantHome = "简体中文首页", "繁体中文首页"
		}
		if script == "hant" {
			hansHome, hantHome = r.conv.Convert(hansHome), r.conv.Convert(hantHome)
		}
		return `<ul class="choose">
<li><a class="button" href="/zh-hans/" hreflang="zh-Hans" lang="zh-Hans" data-script="hans">` + esc(hansHome) + `</a></li>
<li><a class="button" href="/zh-hant/" hreflang="zh-Hant" lang="zh-Hant" data-script="hant">` + esc(hantHome) + `</a></li>
</ul>
`
	}
	canonical := ""
	if r.base != "" && !notFound {
		canonical = `<link rel="alternate" hreflang="zh-Hans" href="` + esc(r.base+"zh-hans/") + `">
<link rel="alternate" hreflang="zh-Hant" href="` + esc(r.base+"zh-hant/") + `">
`
	}
	auto := ""
	if !notFound {
		auto = ` data-root`
	}
	return `<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + esc(title) + " / " + esc(r.conv.Convert(title)) + `</title>
` + canonical + `<link rel="stylesheet" href="` + esc(a["style.css"]) + `">
<link rel="icon" href="` + esc(a["icon.svg"]) + `" type="image/svg+xml">
</head>
<body class="chooser"` + auto + `>
<main id="main">
<section lang="zh-Hans">
<h1>` + esc(name) + `</h1>
` + hans + links("hans") + `</section>
<section lang="zh-Hant">
<h2>` + esc(r.conv.Convert(name)) + `</h2>
` + r.conv.ConvertHTML(hans) + links("hant") + `</section>
</main>
<script src="` + esc(a["site.js"]) + `" defer></script>
</body>
</html>
`
}

func (r *renderer) sitemap(ps []*page) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">` + "\n")
	for _, p := range ps {
		if !strings.HasSuffix(p.Path, "/") && p.Path != "" {
			continue // 404.html
		}
		hans := html.EscapeString(r.base + "zh-hans/" + p.Path)
		hant := html.EscapeString(r.base + "zh-hant/" + p.Path)
		for _, loc := range []string{hans, hant} {
			fmt.Fprintf(&b, "<url><loc>%s</loc>", loc)
			fmt.Fprintf(&b, `<xhtml:link rel="alternate" hreflang="zh-Hans" href="%s"/>`, hans)
			fmt.Fprintf(&b, `<xhtml:link rel="alternate" hreflang="zh-Hant" href="%s"/>`, hant)
			if !p.Updated.IsZero() {
				fmt.Fprintf(&b, "<lastmod>%s</lastmod>", p.Updated)
			}
			b.WriteString("</url>\n")
		}
	}
	b.WriteString("</urlset>\n")
	return b.String()
}

// atom is the changes feed, with every text through tr: the identity for
// zh-Hans, the converter for zh-Hant.
func (r *renderer) atom(tr func(string) string) string {
	c := r.x.cat
	md := markdown()
	esc := func(s string) string { return html.EscapeString(tr(s)) }
	// The feed's own date is its newest entry's, else the data's (never
	// the build's: the feed would change every day).
	updated := r.x.dataDate
	if updated.IsZero() {
		updated = r.x.date
	}
	if len(c.Changes) > 0 {
		updated = c.Changes[0].Date
	}
	home := r.base + "zh-hans/"
	// Atom wants an IRI for every id; a preview build has no address, so
	// its ids are URNs and its links relative to the site root.
	id := func(u string) string { return u }
	if r.base == "" {
		home = "/zh-hans/"
		id = func(u string) string { return "urn:qualbridge:" + strings.TrimPrefix(u, "/zh-hans/") }
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hans">` + "\n") // swap turns it into zh-Hant
	fmt.Fprintf(&b, "<title>%s：更新记录</title>\n", esc(c.Site.Name))
	if c.Site.Description != "" {
		fmt.Fprintf(&b, "<subtitle>%s</subtitle>\n", esc(c.Site.Description))
	}
	fmt.Fprintf(&b, "<id>%s</id>\n", esc(id(home+"changes/")))
	fmt.Fprintf(&b, "<updated>%sT00:00:00Z</updated>\n", updated)
	fmt.Fprintf(&b, `<link rel="self" type="application/atom+xml" href="%s"/>`+"\n", esc(home+"atom.xml"))
	fmt.Fprintf(&b, `<link rel="alternate" type="text/html" href="%s"/>`+"\n", esc(home+"changes/"))
	fmt.Fprintf(&b, "<author><name>%s</name></author>\n", esc(c.Site.Name))
	for _, ch := range c.Changes {
		link := home + "changes/#" + ch.ID
		b.WriteString("<entry>\n")
		fmt.Fprintf(&b, "<id>%s</id>\n", esc(id(link)))
		fmt.Fprintf(&b, "<title>%s</title>\n", esc(ch.Title))
		fmt.Fprintf(&b, "<updated>%sT00:00:00Z</updated>\n", ch.Date)
		fmt.Fprintf(&b, `<link rel="alternate" type="text/html" href="%s"/>`+"\n", esc(link))
		fmt.Fprintf(&b, `<category term="%s"/>`+"\n", esc(string(ch.Kind)))
		if body := string(md(ch.Body)); body != "" {
			fmt.Fprintf(&b, "<content type=\"html\">%s</content>\n", esc(body))
		}
		b.WriteString("</entry>\n")
	}
	b.WriteString("</feed>\n")
	return b.String()
}

// writeData writes the open-data files.
func (r *renderer) writeData() error {
	files, err := opendata.Files(r.x.cat, r.x.date, r.x.dataDate)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := r.writeBytes(path.Clean(name), files[name]); err != nil {
			return err
		}
	}
	return nil
}
