package generator

import (
	"context"
	"fmt"
	"html"
	"io/fs"
	"path"
	"strings"

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
	// Assets, embedded or overridden.
	err := fs.WalkDir(r.ts.fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(r.ts.fsys, p)
		if err != nil {
			return err
		}
		return r.writeBytes(p, b)
	})
	if err != nil {
		return err
	}
	if err := r.writeBytes("assets/search.js", search.Script()); err != nil {
		return err
	}

	// The root: a redirect to the default script that needs no script,
	// with plain links to both.
	def := "zh-" + string(r.x.cat.Site.Script)
	if r.x.cat.Site.Script == "" {
		def = "zh-hans"
	}
	name := html.EscapeString(r.x.cat.Site.Name)
	root := `<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + name + `</title>
<meta http-equiv="refresh" content="0; url=/` + def + `/">
<link rel="canonical" href="` + html.EscapeString(r.base+def+"/") + `">
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main id="main">
<h1>` + name + `</h1>
<ul>
<li><a href="/zh-hans/" hreflang="zh-Hans">简体中文</a></li>
<li><a href="/zh-hant/" hreflang="zh-Hant" lang="zh-Hant">` + html.EscapeString(r.conv.Convert("繁体中文")) + `</a></li>
</ul>
</main>
</body>
</html>
`
	if err := r.write("index.html", root); err != nil {
		return err
	}
	if err := r.writeBytes("404.html", r.page404); err != nil {
		return err
	}

	if err := r.write("robots.txt", "User-agent: *\nAllow: /\nSitemap: "+r.base+"sitemap.xml\n"); err != nil {
		return err
	}
	if err := r.write("sitemap.xml", r.sitemap(ps)); err != nil {
		return err
	}
	feed := r.atom()
	if err := r.writeBytes("zh-hans/atom.xml", swap(nil, feed, false, r.def)); err != nil {
		return err
	}
	if err := r.writeBytes("zh-hant/atom.xml", swap(nil, r.conv.ConvertHTML(feed), true, r.def)); err != nil {
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

// atom is the changes feed in zh-Hans; the zh-Hant feed is its conversion.
func (r *renderer) atom() string {
	c := r.x.cat
	md := markdown()
	esc := html.EscapeString
	updated := r.x.date
	if len(c.Changes) > 0 {
		updated = c.Changes[0].Date
	}
	home := r.base + "zh-hans/"
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hans">` + "\n")
	fmt.Fprintf(&b, "<title>%s：更新记录</title>\n", esc(c.Site.Name))
	if c.Site.Description != "" {
		fmt.Fprintf(&b, "<subtitle>%s</subtitle>\n", esc(c.Site.Description))
	}
	fmt.Fprintf(&b, "<id>%s</id>\n", esc(home+"changes/"))
	fmt.Fprintf(&b, "<updated>%sT00:00:00Z</updated>\n", updated)
	fmt.Fprintf(&b, `<link rel="self" type="application/atom+xml" href="%s"/>`+"\n", esc(home+"atom.xml"))
	fmt.Fprintf(&b, `<link rel="alternate" type="text/html" href="%s"/>`+"\n", esc(home+"changes/"))
	fmt.Fprintf(&b, "<author><name>%s</name></author>\n", esc(c.Site.Name))
	for _, ch := range c.Changes {
		link := home + "changes/#" + ch.ID
		b.WriteString("<entry>\n")
		fmt.Fprintf(&b, "<id>%s</id>\n", esc(link))
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
	files, err := dataFiles(r.x)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(files) {
		if err := r.writeBytes(path.Clean(name), files[name]); err != nil {
			return err
		}
	}
	return nil
}
