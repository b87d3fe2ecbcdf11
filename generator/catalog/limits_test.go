package catalog

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// deep returns a catalog/qualifications.toml whose row nests n inline
// tables in one value, or, with dotted, has one key of n parts.
func deep(n int, dotted bool) fstest.MapFS {
	row := "# Synthetic test data.\n[[qualification]]\nid = \"ceshi\"\n"
	if dotted {
		row += strings.Repeat("a.", n) + "b = 1\n"
	} else {
		row += "notes = " + strings.Repeat("{a = ", n) + "1" + strings.Repeat("}", n) + "\n"
	}
	return fstest.MapFS{
		"catalog/site.toml":           {Data: []byte("name = \"测试站点\"\n")},
		"catalog/qualifications.toml": {Data: []byte(row)},
	}
}

// TestDeepNesting: 10,000 nested inline tables (60 KB; the parser took
// 30 s and 3.9 GB on them) and a 10,000-part dotted key (accepted
// silently, and the stall of FuzzLoad) are refused at once, where the
// nesting passes the limit.
func TestDeepNesting(t *testing.T) {
	for _, tt := range []struct {
		dotted bool
		want   string
	}{
		{false, "catalog/qualifications.toml:4:89: error: 方括号或花括号套得太深（超过 16 层），没有读取这个文件\n\thint: 目录里的数组和 {…} 最多套 16 层；检查括号是否成对"},
		{true, "catalog/qualifications.toml:4:32: error: 字段名的层次太多（超过 16 段），没有读取这个文件\n\thint: 目录里的字段名最多写成 a.b.c 这样几段；检查这一行是否写错"},
	} {
		start := time.Now()
		_, ds := Load(deep(10000, tt.dotted), Options{})
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("dotted %v: took %v", tt.dotted, took)
		}
		if len(ds) != 1 || ds[0].String() != tt.want {
			t.Errorf("dotted %v: %q\nwant %q", tt.dotted, ds, tt.want)
		}
	}
	// Up to the limit is fine.
	if _, ds := Load(deep(maxDepth-1, true), Options{}); strings.Contains(fmt.Sprint(ds), "层次太多") {
		t.Errorf("a key of %d parts refused: %v", maxDepth, ds)
	}
}

// TestTooBig: a file over the size limit is not read, and says so.
func TestTooBig(t *testing.T) {
	fsys := fstest.MapFS{
		"catalog/site.toml":           {Data: []byte("name = \"测试站点\"\n")},
		"catalog/qualifications.toml": {Data: make([]byte, maxFileSize+1)},
	}
	_, ds := Load(fsys, Options{})
	want := "catalog/qualifications.toml: error: 文件太大（32.0 MB），超过 32 MB 的上限，没有读取\n\thint: 目录文件不会这么大：检查是不是放错了文件；确需这么多条目，就分成几个文件放进同名文件夹"
	if len(ds) != 1 || ds[0].String() != want {
		t.Errorf("%q\nwant %q", ds, want)
	}
}

// BenchmarkNesting loads a catalog nesting n inline tables deep: the time
// per byte must stay the same as n grows (it grew with n before the
// limit: 30 s for n = 10,000).
func BenchmarkNesting(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		fsys := deep(n, false)
		size := len(fsys["catalog/qualifications.toml"].Data)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				Load(fsys, Options{})
			}
		})
	}
}
