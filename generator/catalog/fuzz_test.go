package catalog

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

// FuzzLoad feeds arbitrary bytes to the loader as
// catalog/qualifications.toml beside the valid test catalog. Whatever
// the bytes, Load must not panic, and every diagnostic must point inside
// a file that exists: an editor has to be able to go there.
func FuzzLoad(f *testing.F) {
	base := validTree(f)
	addSeeds(f, "testdata/*/catalog/*.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{}
		for p, file := range base {
			fsys[p] = file
		}
		fsys["catalog/qualifications.toml"] = &fstest.MapFile{Data: data}
		_, ds := Load(fsys, Options{BuildDate: testDate()})
		for _, d := range ds {
			file := fsys[d.Pos.File]
			if file == nil {
				t.Fatalf("diagnostic names a file not in the catalog: %s", d)
			}
			lines := strings.Split(string(file.Data), "\n")
			if d.Pos.Line < 1 || d.Pos.Line > len(lines) {
				t.Fatalf("line outside %s (%d lines): %s", d.Pos.File, len(lines), d)
			}
			if n := utf8.RuneCountInString(lines[d.Pos.Line-1]); d.Pos.Col < 1 || d.Pos.Col > n+1 {
				t.Fatalf("column outside line %d (%d characters): %s", d.Pos.Line, n, d)
			}
		}
	})
}

// FuzzPage feeds arbitrary bytes to the loader as a content page beside
// the valid test catalog. Whatever the bytes, Load must not panic, every
// diagnostic must point inside the page (or another file that exists),
// and a page that loads is text: valid UTF-8, without a front matter
// delimiter left at the top of its body, never published as garbage.
func FuzzPage(f *testing.F) {
	base := validTree(f)
	addSeeds(f, "testdata/*/content/*.md")
	f.Add([]byte("\ufeff+++\ntitle = \"x\"\n+++\nbody\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "content/fuzz.md"
		fsys := fstest.MapFS{}
		for p, file := range base {
			fsys[p] = file
		}
		fsys[name] = &fstest.MapFile{Data: data}
		c, ds := Load(fsys, Options{BuildDate: testDate()})
		text := strings.TrimPrefix(string(data), "\ufeff")
		for _, d := range ds {
			file := fsys[d.Pos.File]
			if file == nil {
				t.Fatalf("diagnostic names a file not in the catalog: %s", d)
			}
			if d.Pos.File != name {
				continue
			}
			lines := strings.Split(text, "\n")
			if d.Pos.Line < 1 || d.Pos.Line > len(lines) {
				t.Fatalf("line outside the page (%d lines): %s", len(lines), d)
			}
			if n := utf8.RuneCountInString(lines[d.Pos.Line-1]); d.Pos.Col < 1 || d.Pos.Col > n+1 {
				t.Fatalf("column outside line %d (%d characters): %s", d.Pos.Line, n, d)
			}
		}
		pg := c.Pages["fuzz.md"]
		if pg == nil {
			return
		}
		if !utf8.ValidString(pg.Body) || !utf8.ValidString(pg.Title) {
			t.Fatalf("page loaded with invalid UTF-8")
		}
		if strings.HasPrefix(pg.Body, "\ufeff") {
			t.Fatalf("page body keeps its BOM")
		}
		for _, d := range ds {
			if d.Pos.File == name && d.Severity == Error {
				t.Fatalf("page loaded despite an error: %s", d)
			}
		}
		if first, _, _ := strings.Cut(text, "\n"); strings.TrimSpace(first) != "+++" {
			t.Fatalf("page without front matter loaded: %q", first)
		}
	})
}

// validTree is the valid test catalog, read once for a fuzz target to put
// its input beside.
func validTree(f *testing.F) fstest.MapFS {
	base := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS("testdata/valid"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join("testdata/valid", p))
		base[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	return base
}

// addSeeds adds every file matching glob to the fuzz corpus.
func addSeeds(f *testing.F, glob string) {
	seeds, _ := filepath.Glob(glob)
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}
