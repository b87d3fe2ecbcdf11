package catalog

import (
	"fmt"

	"github.com/qualbridge/qualbridge/diag"
)

// Limits. The files come from editors, but a catalog is outside input all
// the same (a pasted blob, a file from a broken converter), and the TOML
// parser's time grows with the square of how deeply values nest: a 60 KB
// file of 10,000 nested inline tables took it 30 s and 3.9 GB. So before
// parsing, one linear pass ([nesting]) refuses nesting deeper than any
// catalog needs, and files larger than any catalog will be are not read
// at all; everything after that is linear in the size of the input.
const (
	// maxFileSize bounds a catalog or content file: the shipped catalog's
	// largest file is under 100 KB, and the benchmark's 10,000
	// qualifications under 5 MB.
	maxFileSize = 32 << 20
	// maxDepth bounds how deeply arrays and inline tables nest, and how
	// many parts a dotted key has: the catalogs need 3.
	maxDepth = 16
)

// tooBig reports a file over maxFileSize.
func (l *loader) tooBig(p string, size int64) {
	l.errorf(Pos{File: p}, "目录文件不会这么大：检查是不是放错了文件；确需这么多条目，就分成几个文件放进同名文件夹",
		"文件太大（%.1f MB），超过 %d MB 的上限，没有读取", float64(size)/(1<<20), maxFileSize>>20)
}

// readError reports a file that could not be read, in Chinese.
func (l *loader) readError(p string, err error) {
	d := diag.System(p, err)
	d.Pos = Pos{File: p}
	l.diags = append(l.diags, d)
}

// nesting scans TOML text for nesting deeper than maxDepth (brackets of
// arrays and inline tables, parts of a dotted key) and returns the
// offset where it first goes deeper, or -1, and what nests. It knows
// strings and comments, so brackets and dots inside them do not count;
// it does not otherwise check the syntax, which the parser does after.
func nesting(text string) (int, string) {
	var open [maxDepth + 1]byte // the brackets open, innermost last
	depth := 0
	header := false // inside a [table] or [[table]] header
	inKey := true   // where a key is read: a line's start, after "{" or "," in an inline table
	parts := 1      // parts of the key being read
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\n':
			inKey, parts = depth == 0 || open[depth-1] == '{', 1
		case '#':
			for i+1 < len(text) && text[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			i = stringEnd(text, i)
		case '[', '{':
			if depth == maxDepth {
				return i, "嵌套"
			}
			header = c == '[' && (header || depth == 0 && inKey)
			open[depth] = c
			depth++
			inKey, parts = c == '{' || header, 1
		case ']', '}':
			if depth > 0 {
				depth--
			}
			if depth == 0 {
				header = false
			}
		case '=':
			inKey = false
		case ',':
			inKey, parts = depth > 0 && open[depth-1] == '{', 1
		case '.':
			if inKey {
				parts++
				if parts > maxDepth {
					return i, "键"
				}
			}
		}
	}
	return -1, ""
}

// stringEnd returns the offset of the last byte of the string that
// starts at i (a quote), or the end of the text when it does not close.
func stringEnd(text string, i int) int {
	q := text[i]
	if i+2 < len(text) && text[i+1] == q && text[i+2] == q {
		// Multi-line: up to the next three quotes (more may follow).
		for j := i + 3; j+2 < len(text); j++ {
			if q == '"' && text[j] == '\\' {
				j++
				continue
			}
			if text[j] == q && text[j+1] == q && text[j+2] == q {
				for j+3 < len(text) && text[j+3] == q {
					j++
				}
				return j + 2
			}
		}
		return len(text) - 1
	}
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '\\':
			if q == '"' {
				j++
			}
		case q:
			return j
		case '\n':
			return j - 1 // unterminated: the parser will say so
		}
	}
	return len(text) - 1
}

// tooDeep reports nesting found by [nesting].
func (l *loader) tooDeep(p Pos, what string) {
	if what == "键" {
		l.errorf(p, "目录里的字段名最多写成 a.b.c 这样几段；检查这一行是否写错",
			"字段名的层次太多（超过 %d 段），没有读取这个文件", maxDepth)
		return
	}
	l.errorf(p, fmt.Sprintf("目录里的数组和 {…} 最多套 %d 层；检查括号是否成对", maxDepth),
		"方括号或花括号套得太深（超过 %d 层），没有读取这个文件", maxDepth)
}
