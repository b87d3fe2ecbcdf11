package catalog

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// Content pages. Editors write them in whatever their office has, so a
// page is checked before it is read: Windows Notepad's byte order mark is
// accepted (and dropped); a file that is not UTF-8 text, YAML front
// matter ("---", the habit of other site generators), front matter
// without its opening "+++" or without any, and a page with nothing to
// show are each reported at their line, with what to type instead,
// rather than published with the file name as title and the settings as
// text.

// bom is the UTF-8 byte order mark.
const bom = "\ufeff"

// loadPages reads every content/**/*.md with its TOML front matter.
func (l *loader) loadPages(c *Catalog) {
	_ = fs.WalkDir(l.fsys, "content", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".md" {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Size() > maxFileSize {
			l.tooBig(p, fi.Size())
			return nil
		}
		data, err := fs.ReadFile(l.fsys, p)
		if err != nil {
			l.readError(p, err)
			return nil
		}
		if pg := l.page(p, data); pg != nil {
			c.Pages[pg.Path] = pg
		} else {
			l.broken = append(l.broken, p)
		}
		return nil
	})
}

// pageFailed reports whether the page p exists but was not read.
func (l *loader) pageFailed(p string) bool {
	return slices.Contains(l.broken, p)
}

// page checks and reads the page at p; nil when it cannot be published.
func (l *loader) page(p string, data []byte) *Page {
	if len(data) > maxFileSize {
		l.tooBig(p, int64(len(data)))
		return nil
	}
	start := Pos{File: p, Line: 1, Col: 1}
	if bytes.IndexByte(data, 0) >= 0 {
		l.errorf(start, "content/ 下只放 Markdown 文本文件（.md）；图片、Word 文档等不要改名为 .md",
			"这不是文本文件：含有二进制内容")
		return nil
	}
	text := strings.TrimPrefix(string(data), bom)
	if !utf8.ValidString(text) {
		i := 0
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		l.errorf(textPos(p, []byte(text), i), "用 UTF-8 编码重新保存：记事本选“另存为”，编码选“UTF-8”；WPS、Word 选“纯文本”和“UTF-8”",
			"文件不是 UTF-8 编码：从这里起的文字无法识别（可能是 GBK 编码）")
		return nil
	}
	pg := &Page{Path: strings.TrimPrefix(p, "content/"), Pos: start, Body: text}
	first, rest, _ := cutLine(text)
	switch strings.TrimSpace(first) {
	case "+++":
		fm, body, closed := "", "", false
		for off := 0; ; {
			line, after, more := cutLine(rest[off:])
			if strings.TrimSpace(line) == "+++" {
				fm, body, closed = rest[:off], after, true
				break
			}
			if !more {
				break
			}
			off = len(rest) - len(after)
		}
		if !closed {
			l.errorf(start, `页首设置写在两行 "+++" 之间：在设置的最后一行下面加一行 +++`, "页首设置（front matter）缺少结尾的 \"+++\"")
			return nil
		}
		var front struct {
			Title string `toml:"title"`
		}
		if l.decodeFile(p, fm, 1, &front) == nil {
			return nil
		}
		pg.Title, pg.Body = front.Title, body
	case "---":
		l.errorf(start, yamlHint(rest), "页首设置用了 YAML 的 \"---\" 写法，本站只认 TOML 的 \"+++\"")
		return nil
	default:
		if n := missingOpening(text); n > 0 {
			l.errorf(start, "在文件的第一行之前加一行 +++（页首设置写在两行 +++ 之间）",
				"页首设置缺少开头的 \"+++\"（第 %d 行的 +++ 没有与之成对的开头）", n)
			return nil
		}
		l.errorf(start, `在文件开头加上三行：+++、title = "页面标题"、+++`,
			"页面没有页首设置（front matter）：没有标题，网站会用文件名 %q 作标题", strings.TrimSuffix(path.Base(p), ".md"))
		return nil
	}
	if strings.TrimSpace(pg.Body) == "" {
		l.warnf(start, "在第二个 +++ 下面写上正文，或删除这个文件", "页面没有正文：发布出来是一张空白页")
	}
	return pg
}

// yamlHint says how to rewrite YAML front matter (the text after its
// opening "---") as TOML, with the page's own title where it has one.
func yamlHint(rest string) string {
	title := "页面标题"
	for line := range strings.Lines(rest) {
		line = strings.TrimSpace(line)
		if line == "---" {
			break
		}
		if v, ok := strings.CutPrefix(line, "title:"); ok {
			if v = strings.Trim(strings.TrimSpace(v), `"'`); v != "" {
				title = v
			}
		}
	}
	return fmt.Sprintf(`把开头和结尾的两行 --- 都改成 +++，把 title: %s 改成 title = "%s"`, title, title)
}

// missingOpening returns the line of a "+++" that closes front matter
// with no opening "+++" (key = value lines above it, from the first), or
// 0 when the page has none.
func missingOpening(text string) int {
	n := 0
	for line := range strings.Lines(text) {
		n++
		line = strings.TrimSpace(line)
		switch {
		case line == "+++":
			return n
		case line == "" || strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "# "):
		case strings.Contains(line, "=") && !strings.HasPrefix(line, "#"):
		default:
			return 0
		}
		if n > 20 {
			return 0
		}
	}
	return 0
}

// textPos returns the position of byte offset i in data, counting
// columns in characters.
func textPos(p string, data []byte, i int) Pos {
	before := data[:i]
	line := bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return Pos{File: p, Line: line, Col: utf8.RuneCount(before[lineStart:]) + 1}
}
