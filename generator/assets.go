package generator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Assets are published under fingerprinted names: the file's name with
// the first [fingerprintLen] hex digits of the SHA-256 of its bytes
// before the extension, "assets/style.css" as
// "assets/style.3f2a1b9c0d.css". A new content is a new name, so a CDN
// and a browser may keep an asset for a year without asking again
// (package deploy gives exactly such names, checked against the bytes,
// Cache-Control: immutable), and a page is never paired with a style
// sheet or script of another build. Pages, feeds and the templates name
// assets through the asset template function ({{asset "style.css"}}),
// never by their plain names, which are not published.
//
// Style sheets are fingerprinted after everything else, with every
// "/assets/name" they hold (a url() of a font or an image) replaced by
// the fingerprinted name, so that a changed font gives a changed style
// sheet too. Scripts name no asset: the search index and the finder's
// data are named by the pages (data-search-index, data-finder), under
// names of their own that do not change, because they change with
// almost every edit and a fingerprint there would change every page.
const fingerprintLen = 10

// fingerprinted returns name with the fingerprint of data before its
// extension; a name without an extension is returned as it is.
func fingerprinted(name string, data []byte) string {
	dir, base := path.Split(name)
	ext := path.Ext(base)
	if ext == "" || ext == base {
		return name
	}
	sum := sha256.Sum256(data)
	return dir + strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:])[:fingerprintLen] + ext
}

// assets are a build's assets under their published names.
type assets struct {
	urls  map[string]string // "style.css" (relative to assets/) → "/assets/style.3f2a1b9c0d.css"
	files []assetFile       // in the order of their plain names
}

type assetFile struct {
	name string // published name, "assets/style.3f2a1b9c0d.css"
	data []byte
}

// assetRef is a reference to an asset inside a style sheet.
var assetRef = regexp.MustCompile(`/assets/([A-Za-z0-9._/-]+)`)

// loadAssets reads every file under assets/ of fsys, and the extra files
// (relative to assets/, such as the search script), and names them.
func loadAssets(fsys fs.FS, extra map[string][]byte) (*assets, error) {
	plain := map[string][]byte{}
	err := fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		plain[strings.TrimPrefix(p, "assets/")] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name, b := range extra {
		plain[name] = b
	}
	names := make([]string, 0, len(plain))
	for n := range plain {
		names = append(names, n)
	}
	sort.Strings(names)
	a := &assets{urls: map[string]string{}}
	published := map[string][]byte{}
	add := func(name string, b []byte) {
		p := fingerprinted("assets/"+name, b)
		a.urls[name] = "/" + p
		published[name] = b
	}
	for _, n := range names {
		if path.Ext(n) != ".css" {
			add(n, plain[n])
		}
	}
	for _, n := range names {
		if path.Ext(n) == ".css" {
			b := assetRef.ReplaceAllFunc(plain[n], func(ref []byte) []byte {
				if u, ok := a.urls[string(ref[len("/assets/"):])]; ok {
					return []byte(u)
				}
				return ref
			})
			add(n, b)
		}
	}
	for _, n := range names {
		a.files = append(a.files, assetFile{name: a.urls[n][1:], data: published[n]})
	}
	return a, nil
}

// url is the published address of an asset named as under assets/:
// url("style.css") is "/assets/style.3f2a1b9c0d.css".
func (a *assets) url(name string) (string, error) {
	u, ok := a.urls[strings.TrimPrefix(name, "/assets/")]
	if !ok {
		return "", fmt.Errorf("templates/assets/ 中没有 %s", name)
	}
	return u, nil
}
