package catalog

import (
	"errors"
	"fmt"
	"github.com/qualbridge/qualbridge/diag"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"runtime"
	"strings"
	"sync"
)

// Options control [Load].
type Options struct {
	// BuildDate is the date that date checks compare against (an
	// organisation whose window has ended) when catalog/site.toml sets no
	// build_date. The command passes today; Load itself never reads the
	// clock, so the same files always give the same diagnostics.
	BuildDate Date
}

// Severity, Diagnostic and Diagnostics are the project's one diagnostic
// type ([diag]), named here so catalog code reads as it always has.
type (
	Severity    = diag.Severity
	Diagnostic  = diag.Diagnostic
	Diagnostics = diag.List
)

// The severities of a [Diagnostic].
const (
	Error   = diag.Error
	Warning = diag.Warning
)

// kind is a catalog file after site.toml: the file name (also the name
// of the folder of further files) and the table each row is.
type kind struct{ file, table string }

// kinds lists the catalog files in the order Load reads them.
func kinds() []kind {
	return []kind{
		{"occupations", "occupation"},
		{"qualifications", "qualification"},
		{"organisations", "organisation"},
		{"offices", "office"},
		{"guides", "guide"},
		{"documents", "document"},
		{"changes", "change"},
		{"statistics", "count"},
	}
}

// loader holds the state of one Load.
type loader struct {
	fsys   fs.FS
	diags  Diagnostics
	shells map[reflect.Type]reflect.Type
	fold   map[reflect.Type]map[string]string
	// at maps each decoded row (a pointer into a slice) to its table in
	// the file's index, for positioning what the checks find.
	at map[any]*table
	// syntax is set when a file did not parse; broken lists such files
	// (and content pages not read), in order.
	syntax bool
	broken []string
}

// failed records that the file p did not parse: its rows are missing,
// and what only follows from that is a consequence ([Diagnostic.Cause]).
func (l *loader) failed(p string) {
	l.syntax = true
	l.broken = append(l.broken, p)
}

// causeOf returns the first file of the catalog file's kind ("offices":
// catalog/offices.toml or catalog/offices/*.toml) that did not parse, or "".
func (l *loader) causeOf(file string) string {
	for _, p := range l.broken {
		if p == "catalog/"+file+".toml" || strings.HasPrefix(p, "catalog/"+file+"/") {
			return p
		}
	}
	return ""
}

func newLoader(fsys fs.FS) *loader {
	return &loader{fsys: fsys, shells: map[reflect.Type]reflect.Type{}, fold: map[reflect.Type]map[string]string{}, at: map[any]*table{}}
}

// merge takes in what another loader found.
func (l *loader) merge(sub *loader) {
	l.diags = append(l.diags, sub.diags...)
	maps.Copy(l.at, sub.at)
	l.syntax = l.syntax || sub.syntax
	l.broken = append(l.broken, sub.broken...)
}

func (l *loader) report(sev Severity, p Pos, hint, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{Pos: p, Severity: sev, Message: fmt.Sprintf(format, args...), Hint: hint})
}

func (l *loader) errorf(p Pos, hint, format string, args ...any) {
	l.report(Error, p, hint, format, args...)
}

func (l *loader) warnf(p Pos, hint, format string, args ...any) {
	l.report(Warning, p, hint, format, args...)
}

// keyPos returns where key is written in row (a pointer to a decoded
// struct), or where the row begins.
func (l *loader) keyPos(row any, key string) Pos {
	if t := l.at[row]; t != nil {
		return t.keyPos(key)
	}
	return Pos{}
}

// Load reads catalog/ and content/ from fsys (the repository root),
// decodes and checks everything, and returns the catalog with every
// problem found, sorted by position. The catalog is usable only when
// ds.Err() is nil.
func Load(fsys fs.FS, opts Options) (*Catalog, Diagnostics) {
	l := newLoader(fsys)
	c := &Catalog{Pages: map[string]*Page{}}

	const sitePath = "catalog/site.toml"
	if data, err := fs.ReadFile(fsys, sitePath); err == nil {
		l.decodeFile(sitePath, string(data), 0, &c.Site)
	} else if errors.Is(err, fs.ErrNotExist) {
		l.errorf(Pos{File: sitePath}, `新建 catalog/site.toml，至少写上网站名称：name = "…"`, "缺少站点设置文件")
	} else {
		l.readError(sitePath, err)
	}
	l.strayFiles()
	// The kinds side by side, each with a loader of its own.
	subs := make([]*loader, len(kinds()))
	for i := range subs {
		subs[i] = newLoader(fsys)
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.Occupations = loadKind[Occupation](subs[0], 0) })
	wg.Go(func() { c.Qualifications = loadKind[Qualification](subs[1], 1) })
	wg.Go(func() { c.Organisations = loadKind[Organisation](subs[2], 2) })
	wg.Go(func() { c.Offices = loadKind[Office](subs[3], 3) })
	wg.Go(func() { c.Guides = loadKind[Guide](subs[4], 4) })
	wg.Go(func() { c.Documents = loadKind[Document](subs[5], 5) })
	wg.Go(func() { c.Changes = loadKind[Change](subs[6], 6) })
	wg.Go(func() { c.Statistics = loadKind[StatCount](subs[7], 7) })
	wg.Wait()
	for _, sub := range subs {
		l.merge(sub)
	}
	l.loadPages(c)

	c.buildDate = c.Site.BuildDate
	if c.buildDate.IsZero() {
		c.buildDate = opts.BuildDate
	}
	l.check(c)
	c.link()
	l.diags.Sort()
	return c, l.diags
}

// loadKind decodes catalog/<file>.toml and catalog/<file>/*.toml, in that
// order, into rows of type T.
func loadKind[T any](l *loader, k int) []*T {
	file, name := kinds()[k].file, kinds()[k].table
	paths, _ := fs.Glob(l.fsys, "catalog/"+file+"/*.toml")
	paths = append([]string{"catalog/" + file + ".toml"}, paths...)
	root := reflect.StructOf([]reflect.StructField{{
		Name: "Rows",
		Type: reflect.TypeFor[[]T](),
		Tag:  reflect.StructTag(fmt.Sprintf(`toml:%q`, name)),
	}})
	var rows []*T
	for i, p := range paths {
		data, err := fs.ReadFile(l.fsys, p)
		if err != nil {
			if i > 0 || !errors.Is(err, fs.ErrNotExist) {
				l.readError(p, err)
				l.failed(p)
			}
			continue
		}
		if len(data) > maxFileSize {
			l.tooBig(p, int64(len(data)))
			l.failed(p)
			continue
		}
		for _, v := range l.decodeRows(p, string(data), name, root) {
			s := v.Elem().Field(0)
			for j := range s.Len() {
				rows = append(rows, s.Index(j).Addr().Interface().(*T))
			}
		}
	}
	return rows
}

// splitSize is the size of file above which decodeRows decodes pieces
// side by side, and splitPieces how many; variables for the tests.
var (
	splitSize   = 256 << 10
	splitPieces = runtime.GOMAXPROCS(0)
)

// decodeRows decodes the file path into values of type *root. A big file
// is cut before its [[table]] headers into a piece per CPU, decoded side
// by side (TOML parsing is most of loading a big catalog, and one
// parser uses one CPU), each with a loader of its own whose findings are
// then merged in file order. Should any piece fail to parse (a header
// line inside a multi-line string, which the cut cannot tell), the file
// is decoded again whole, so that errors read exactly as they would.
func (l *loader) decodeRows(path, text, table string, root reflect.Type) []reflect.Value {
	pieces := splitRows(text, table, splitPieces)
	if len(pieces) > 1 {
		vs := make([]reflect.Value, len(pieces))
		subs := make([]*loader, len(pieces))
		var wg sync.WaitGroup
		for i, pc := range pieces {
			subs[i] = newLoader(l.fsys)
			vs[i] = reflect.New(root)
			wg.Go(func() { subs[i].decodeFile(path, pc.text, pc.line, vs[i].Interface()) })
		}
		wg.Wait()
		ok := true
		for _, sub := range subs {
			ok = ok && !sub.syntax
		}
		if ok {
			for _, sub := range subs {
				l.merge(sub)
			}
			return vs
		}
	}
	v := reflect.New(root)
	l.decodeFile(path, text, 0, v.Interface())
	return []reflect.Value{v}
}

// piece is part of a file: its text and the line it starts after.
type piece struct {
	text string
	line int
}

// splitRows cuts text into at most n pieces of about equal size, each
// cut just before a line that is exactly "[[table]]", outside the
// multi-line strings it can see. Text under splitSize is one piece.
func splitRows(text, table string, n int) []piece {
	if len(text) < splitSize || n < 2 {
		return []piece{{text, 0}}
	}
	header := "[[" + table + "]]"
	want := len(text) / n
	var out []piece
	start, startLine, line := 0, 0, 0
	var inString string // the delimiter of the multi-line string open, if any
	for off := 0; off < len(text); line++ {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += off + 1
		}
		l := text[off:end]
		if inString == "" && off-start >= want && len(out) < n-1 && strings.TrimSpace(l) == header {
			out = append(out, piece{text[start:off], startLine})
			start, startLine = off, line
		}
		for _, d := range []string{`"""`, "'''"} {
			if inString == "" || inString == d {
				if strings.Count(l, d)%2 == 1 {
					if inString == "" {
						inString = d
					} else {
						inString = ""
					}
				}
			}
		}
		off = end
	}
	return append(out, piece{text[start:], startLine})
}

// strayFiles reports .toml files under catalog/ that Load would not read:
// a misspelt file name would otherwise drop its rows without a word.
func (l *loader) strayFiles() {
	known := map[string]bool{"site": true}
	for _, k := range kinds() {
		known[k.file] = true
	}
	_ = fs.WalkDir(l.fsys, "catalog", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".toml" {
			return nil
		}
		parts := strings.Split(strings.TrimSuffix(p, ".toml"), "/")
		switch {
		case len(parts) == 2 && known[parts[1]]:
			return nil
		case len(parts) == 3 && known[parts[1]] && parts[1] != "site":
			return nil
		}
		var names []string
		for _, k := range kinds() {
			names = append(names, k.file)
		}
		l.errorf(Pos{File: p, Line: 1, Col: 1},
			fmt.Sprintf("目录文件名只能是 site、%s（加 .toml），或放在同名文件夹里，如 catalog/qualifications/第五批.toml", strings.Join(names, "、")),
			"这个文件不会被读取：文件名或所在文件夹不对")
		return nil
	})
}

// cutLine splits off the first line of s (without its line ending).
func cutLine(s string) (line, rest string, ok bool) {
	line, rest, ok = strings.Cut(s, "\n")
	return strings.TrimSuffix(line, "\r"), rest, ok
}
