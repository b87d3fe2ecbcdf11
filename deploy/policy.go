package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"path"
	"regexp"
	"strings"
)

// A class says when a file goes up in a deploy. Files of a lower class are
// all in the store before the first file of the next class is written, so
// a page never names an asset the store does not have yet, and a sitemap,
// feed or search index never names a page the store does not have yet.
type class int

const (
	classAsset class = iota // style sheets, scripts, images, data exports: what pages load or link
	classPage               // HTML pages
	classIndex              // sitemap, robots.txt, feeds, search indexes: what names pages
)

func (c class) String() string {
	switch c {
	case classAsset:
		return "assets"
	case classPage:
		return "pages"
	}
	return "indexes"
}

// classify puts a file (a slash-separated key) in its class.
func classify(key string) class {
	base := path.Base(key)
	ext := strings.ToLower(path.Ext(base))
	switch {
	case base == "robots.txt",
		ext == ".xml" && (strings.HasPrefix(base, "sitemap") || base == "atom.xml" || base == "rss.xml" || base == "feed.xml" || base == "index.xml"),
		ext == ".atom", ext == ".rss",
		ext == ".json" && strings.HasPrefix(base, "search-index"):
		return classIndex
	case ext == ".html", ext == ".htm":
		return classPage
	}
	return classAsset
}

// Cache-Control values. A fingerprinted file (its name carries a hash of
// its content, so a new content gets a new name) never changes and may be
// kept for a year; everything else is kept for five minutes, so a deploy
// is seen everywhere within five minutes of its end.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheShort     = "public, max-age=300"
)

// fingerprintedName matches the names the generator gives its assets
// (package generator, assets.go): "style.3f2a1b9c0d.css", the first 10
// hex digits of the SHA-256 of the file before its extension.
var fingerprintedName = regexp.MustCompile(`^[^/]+\.([0-9a-f]{10})\.[A-Za-z0-9]+$`)

// fingerprinted reports whether key names a file by its content: a name
// of the generator's form whose hash is the hash of data. The hash is
// checked, not only the form, so that no page, data file or anything else
// whose name merely looks like one (data/batch-2025141012.csv, a page
// named by a number) is ever kept for a year, and a file copied in by
// hand under a fingerprinted name with other bytes is not either. Pages
// never are: a page's address does not change with its content.
func fingerprinted(key string, data []byte) bool {
	base := path.Base(key)
	if classify(key) != classAsset {
		return false
	}
	m := fingerprintedName.FindStringSubmatch(base)
	if m == nil {
		return false
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:5]) == m[1]
}

// cacheControl is the Cache-Control header the file key, holding data,
// is served with.
func cacheControl(key string, data []byte) string {
	if fingerprinted(key, data) {
		return cacheImmutable
	}
	return cacheShort
}

// contentTypes fixes the types of what a site holds, so that a deploy sets
// the same headers on every machine (mime.TypeByExtension reads the
// system's tables, which differ).
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".xml":         "application/xml; charset=utf-8",
	".atom":        "application/atom+xml; charset=utf-8",
	".rss":         "application/rss+xml; charset=utf-8",
	".txt":         "text/plain; charset=utf-8",
	".csv":         "text/csv; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/x-icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".pdf":         "application/pdf",
	".wasm":        "application/wasm",
}

// contentType is the Content-Type a file is served with: from the table
// above, else the system's tables, else application/octet-stream (never
// sniffed, so that the header does not depend on the bytes).
func contentType(key string) string {
	base := path.Base(key)
	ext := strings.ToLower(path.Ext(base))
	if base == "atom.xml" {
		return contentTypes[".atom"]
	}
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// compressible reports whether a file is text worth a gzip copy.
func compressible(contentType string) bool {
	t, _, _ := strings.Cut(contentType, ";")
	switch {
	case strings.HasPrefix(t, "text/"),
		t == "application/json", t == "application/manifest+json",
		t == "application/xml", t == "application/atom+xml", t == "application/rss+xml",
		t == "image/svg+xml", t == "application/wasm":
		return true
	}
	return false
}
