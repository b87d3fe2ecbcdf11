package catalog

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The TOML decoder knows where each key is only by its dotted name, so
// for the third [[qualification]] it reports the line of the same key in
// the last one. An index, built by scanning text the decoder has already
// accepted, remembers every table header and every key in file order, so
// that a diagnostic can point at the key the editor actually wrote.

// index is where the tables and keys of one TOML text are.
type index struct {
	file    string
	text    string
	lineOff int   // lines before text in the file (a front matter's "+++")
	lines   []int // byte offset of the start of each line
	tables  []*table
	// top holds, per name, the top-level array tables ([[qualification]])
	// in order, so that finding the i-th row does not scan the file.
	top map[string][]*table
}

// table is a table of the file: the root (path nil), a [header] or an
// [[array]] element. For an element written inline, a table stands in
// with the position of the key that holds it and no keys.
type table struct {
	ix    *index
	n     int // position in ix.tables; -1 for stand-ins
	path  []string
	array bool
	off   int // byte offset of the header (0 for the root)
	keys  []keyAt
	pos   Pos // set for stand-ins only
}

// keyAt is one key = value line of a table.
type keyAt struct {
	parts []string // a dotted key is several parts
	off   int
}

// pos returns the file position of byte offset off.
func (ix *index) pos(off int) Pos {
	off = min(max(off, 0), len(ix.text))
	for off > 0 && off < len(ix.text) && !utf8.RuneStart(ix.text[off]) {
		off-- // the parser may point inside a character
	}
	line := sort.Search(len(ix.lines), func(i int) bool { return ix.lines[i] > off }) - 1
	line = max(line, 0)
	col := utf8.RuneCountInString(ix.text[ix.lines[line]:off]) + 1
	return Pos{File: ix.file, Line: line + 1 + ix.lineOff, Col: col}
}

// Pos returns where the table begins: its header, or 1:1 for the root.
func (t *table) Pos() Pos {
	if t.n < 0 {
		return t.pos
	}
	if t.n == 0 {
		return Pos{File: t.ix.file, Line: 1 + t.ix.lineOff, Col: 1}
	}
	return t.ix.pos(t.off)
}

// keyPos returns where key is written in t, or t's own position when it
// is not (a missing key is reported at the table header).
func (t *table) keyPos(key string) Pos {
	for _, k := range t.keys {
		if k.parts[0] == key {
			return t.ix.pos(k.off)
		}
	}
	return t.Pos()
}

// has reports whether key is written in t.
func (t *table) has(key string) bool {
	for _, k := range t.keys {
		if k.parts[0] == key {
			return true
		}
	}
	return false
}

// child returns the j-th [[name]] element under t, or a stand-in at the
// key name (or at t) when the elements are written inline.
func (t *table) child(name string, j int) *table {
	want := append(slices.Clip(t.path), name)
	if t.n == 0 && len(want) == 1 {
		if ts := t.ix.top[name]; j < len(ts) {
			return ts[j]
		}
	} else if t.n > 0 {
		seen := 0
		for _, c := range t.ix.tables[t.n+1:] {
			if !hasPrefix(c.path, t.path) || len(c.path) == len(t.path) {
				break // out of t's element
			}
			if c.array && slices.Equal(c.path, want) {
				if seen == j {
					return c
				}
				seen++
			}
		}
	}
	return &table{ix: t.ix, n: -1, path: want, array: true, pos: t.keyPos(name)}
}

// occurrences returns where the key path p (as MetaData.Undecoded gives
// it, without array indices) is written: headers at or below p, and keys
// whose dotted name reaches p from a table above it.
func (ix *index) occurrences(p []string) []occurrence {
	var out []occurrence
	exact := false
	for _, t := range ix.tables[1:] {
		if slices.Equal(t.path, p) {
			exact = true
		}
	}
	for _, t := range ix.tables {
		if t.n > 0 && hasPrefix(t.path, p) && (slices.Equal(t.path, p) || !exact) {
			out = append(out, occurrence{t.Pos(), true})
		}
		if hasPrefix(t.path, p) {
			continue
		}
		for _, k := range t.keys {
			if hasPrefix(append(slices.Clip(t.path), k.parts...), p) {
				out = append(out, occurrence{ix.pos(k.off), false})
			}
		}
	}
	return out
}

// occurrence is where a key is written, as a table header or a key.
type occurrence struct {
	pos    Pos
	header bool
}

// hasPrefix reports whether p begins with the parts of q.
func hasPrefix(p, q []string) bool {
	return len(p) >= len(q) && slices.Equal(p[:len(q)], q)
}

// newIndex returns an index of text with its lines and no tables yet.
func newIndex(file, text string, lineOff int) *index {
	ix := &index{file: file, text: text, lineOff: lineOff, lines: []int{0}, top: map[string][]*table{}}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			ix.lines = append(ix.lines, i+1)
		}
	}
	return ix
}

// scan indexes text, which the TOML parser has accepted. It never fails:
// on text it does not understand it moves on, and positions fall back to
// the enclosing table.
func scan(file, text string, lineOff int) *index {
	ix := newIndex(file, text, lineOff)
	cur := &table{ix: ix}
	ix.tables = append(ix.tables, cur)
	n := len(text)
	i := 0
	for i < n {
		i = skipBlank(text, i)
		if i >= n {
			break
		}
		switch c := text[i]; {
		case c == '\n' || c == '\r':
			i++
		case c == '#':
			i = lineEnd(text, i)
		case c == '[':
			start := i
			arr := i+1 < n && text[i+1] == '['
			i++
			if arr {
				i++
			}
			var parts []string
			parts, i = scanKey(text, i)
			cur = &table{ix: ix, n: len(ix.tables), path: parts, array: arr, off: start}
			ix.tables = append(ix.tables, cur)
			if arr && len(parts) == 1 {
				ix.top[parts[0]] = append(ix.top[parts[0]], cur)
			}
			i = lineEnd(text, i)
		default:
			start := i
			var parts []string
			parts, i = scanKey(text, i)
			i = skipBlank(text, i)
			if i < n && text[i] == '=' && len(parts) > 0 {
				cur.keys = append(cur.keys, keyAt{parts: parts, off: start})
				i = skipValue(text, i+1)
			}
			i = lineEnd(text, i)
		}
	}
	return ix
}

func skipBlank(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// lineEnd returns the offset just past the end of the line holding i.
func lineEnd(s string, i int) int {
	if j := strings.IndexByte(s[min(i, len(s)):], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

// scanKey reads a possibly dotted, possibly quoted key.
func scanKey(s string, i int) ([]string, int) {
	var parts []string
	for i < len(s) {
		i = skipBlank(s, i)
		if i >= len(s) {
			break
		}
		var part string
		switch s[i] {
		case '"', '\'':
			j := skipString(s, i)
			part = s[i:j]
			if s[i] == '"' {
				if u, err := strconv.Unquote(part); err == nil {
					part = u
				} else {
					part = strings.Trim(part, `"`)
				}
			} else {
				part = strings.Trim(part, "'")
			}
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t.=]\r\n#", rune(s[j])) {
				j++
			}
			if j == i {
				return parts, i
			}
			part = s[i:j]
			i = j
		}
		parts = append(parts, part)
		i = skipBlank(s, i)
		if i < len(s) && s[i] == '.' {
			i++
			continue
		}
		break
	}
	return parts, i
}

// skipString returns the offset just past the string starting at i, in
// any of TOML's four forms.
func skipString(s string, i int) int {
	q := s[i]
	if strings.HasPrefix(s[i:], strings.Repeat(string(q), 3)) {
		i += 3
		for i < len(s) {
			if q == '"' && s[i] == '\\' {
				i += 2
				continue
			}
			if s[i] == q && strings.HasPrefix(s[i:], strings.Repeat(string(q), 3)) {
				i += 3
				for k := 0; k < 2 && i < len(s) && s[i] == q; k++ {
					i++
				}
				return i
			}
			i++
		}
		return len(s)
	}
	for i++; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q:
			return i + 1
		case s[i] == '\n':
			return i
		}
	}
	return len(s)
}

// skipValue returns the offset just past the value starting after "=".
func skipValue(s string, i int) int {
	i = skipBlank(s, i)
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '"', '\'':
		return skipString(s, i)
	case '[', '{':
		depth := 0
		for i < len(s) {
			switch s[i] {
			case '"', '\'':
				i = skipString(s, i)
				continue
			case '#':
				i = lineEnd(s, i)
				continue
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(s) && s[i] != '\n' && s[i] != '#' {
		i++
	}
	return i
}
