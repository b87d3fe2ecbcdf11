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
	seeds, _ := filepath.Glob("testdata/*/catalog/*.toml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
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
