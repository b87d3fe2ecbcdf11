package annex

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/catalog"
)

const changesFile = "catalog/changes.toml"

// plan works out the files: the batch file, whole, and the change entry
// that records the batch, edited in place so that the editors' comments
// and layout around it stay as they are. It then loads the catalog as it
// would be and reports anything wrong with it.
func (im *importer) plan(repo fs.FS, p *Plan) {
	old, _ := fs.ReadFile(repo, p.BatchFile)
	batch := im.batchText(p.Entries)
	if !bytes.Equal(old, batch) {
		p.Files[p.BatchFile] = batch
		p.order = append(p.order, p.BatchFile)
	}

	var ids []string
	for _, e := range p.Entries {
		if e.Present != nil {
			ids = append(ids, e.Present.ID)
		} else {
			ids = append(ids, e.Row.ID)
		}
	}
	var stale []string // rows of the old batch file the new one drops
	for _, q := range im.cat.Qualifications {
		if q.Pos.File == p.BatchFile && !slices.Contains(ids, q.ID) {
			stale = append(stale, q.ID)
		}
	}
	file, text, id, err := im.changeText(repo, ids, stale)
	if err != nil {
		im.errorf(diag.Pos{File: file}, "", "无法读取：%v", err)
		return
	}
	p.Change = id
	if text != nil {
		p.Files[file] = text
		p.order = append(p.order, file)
	}
	if len(p.Files) == 0 {
		return
	}

	// The catalog as it will be, checked as qualbridge check -strict
	// would check the files written.
	after, err := overlay(repo, p.Files)
	if err != nil {
		im.errorf(diag.Pos{File: "catalog"}, "", "无法读取目录：%v", err)
		return
	}
	_, ds := catalog.Load(after, catalog.Options{BuildDate: im.opts.BuildDate})
	for _, d := range ds {
		if d.Severity == diag.Error || p.Files[d.Pos.File] != nil {
			d.Severity = diag.Error
			d.Message = "导入后的目录有问题（这是导入工具的错误，请报告）：" + d.Message
			im.diags = append(im.diags, d)
		}
	}
}

// overlay copies catalog/ and content/ of repo into memory with files
// laid over them.
func overlay(repo fs.FS, files map[string][]byte) (fs.FS, error) {
	m := fstest.MapFS{}
	for _, dir := range []string{"catalog", "content"} {
		err := fs.WalkDir(repo, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == dir {
					return fs.SkipDir
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			b, err := fs.ReadFile(repo, p)
			m[p] = &fstest.MapFile{Data: b}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	for p, b := range files {
		m[p] = &fstest.MapFile{Data: b}
	}
	return m, nil
}

// batchText is the batch file: every entry that is not already in the
// catalog, in the annex's order, with the keys in the order the shipped
// rows write them.
func (im *importer) batchText(entries []Entry) []byte {
	var b bytes.Buffer
	number := im.opts.Document
	if im.doc != nil && im.doc.Number != "" {
		number = im.doc.Number
	}
	fmt.Fprintf(&b, "# 第%d批目录：%s 的附件，由 qualbridge import 导入，行序同附件。\n", im.opts.Batch, number)
	b.WriteString("# 再次导入同一附件不改动本文件；导入改过的附件会重写本文件，\n")
	b.WriteString("# 所以请改附件再导入，而不是直接改这里。\n")
	for _, e := range entries {
		if e.Present != nil {
			fmt.Fprintf(&b, "\n# 附件第%d项 %s 已在 %s 中，不在此重复。\n", e.Serial, describe(e.Present, im.cat), e.Present.Pos.File)
		}
	}
	for _, e := range entries {
		if e.Present != nil {
			continue
		}
		q := e.Row
		fmt.Fprintf(&b, "\n# 附件第%d项\n[[qualification]]\n", e.Serial)
		kv(&b, "id", q.ID)
		kv(&b, "taiwan_name", q.TaiwanName)
		kv(&b, "taiwan_grade", string(q.TaiwanGrade))
		kv(&b, "occupation", q.Occupation)
		kv(&b, "occupation_as_published", q.OccupationAsPublished)
		kv(&b, "level", string(q.Level))
		kv(&b, "route", string(q.Route))
		kv(&b, "category", string(q.Category))
		fmt.Fprintf(&b, "batch = %d\n", q.Batch)
		kv(&b, "document", q.Document)
		if !q.Effective.IsZero() {
			fmt.Fprintf(&b, "effective = %s\n", q.Effective)
		}
		kv(&b, "scope", string(q.Scope))
		kv(&b, "guide", q.Guide)
		if len(q.Sources) > 0 {
			fmt.Fprintf(&b, "sources = %s\n", list(q.Sources))
		}
	}
	return b.Bytes()
}

// kv writes key = "value", or nothing for an empty value.
func kv(b *bytes.Buffer, key, value string) {
	if value != "" {
		fmt.Fprintf(b, "%s = %s\n", key, quote(value))
	}
}

// quote writes a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// list writes a TOML array of strings, one item a line when there are
// several.
func list(ss []string) string {
	if len(ss) == 1 {
		return "[" + quote(ss[0]) + "]"
	}
	var b strings.Builder
	b.WriteString("[\n")
	for _, s := range ss {
		b.WriteString("  " + quote(s) + ",\n")
	}
	b.WriteString("]")
	return b.String()
}

// changeText finds the change entry of the batch (kind 目录批次, naming
// the document) and returns its file with the entry's qualifications
// set to the ones it lists already, less stale ones, then ids; or
// catalog/changes.toml with a new entry at its end. text is nil when
// nothing changes.
func (im *importer) changeText(repo fs.FS, ids, stale []string) (file string, text []byte, id string, err error) {
	var ch *catalog.Change
	for _, c := range im.cat.Changes {
		if c.Kind == catalog.BatchChange && slices.Contains(c.Documents, im.opts.Document) &&
			(ch == nil || c.Pos.File < ch.Pos.File || c.Pos.File == ch.Pos.File && c.Pos.Line < ch.Pos.Line) {
			ch = c
		}
	}
	if ch == nil {
		file = changesFile
		old, err := fs.ReadFile(repo, file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return file, nil, "", err
		}
		id, entry := im.newChange(ids)
		var b bytes.Buffer
		b.Write(old)
		if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
			b.WriteByte('\n')
		}
		if len(old) > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(entry)
		return file, b.Bytes(), id, nil
	}
	want := slices.DeleteFunc(slices.Clone(ch.Qualifications), func(s string) bool { return slices.Contains(stale, s) })
	for _, s := range ids {
		if !slices.Contains(want, s) {
			want = append(want, s)
		}
	}
	if slices.Equal(want, ch.Qualifications) {
		return ch.Pos.File, nil, ch.ID, nil
	}
	old, err := fs.ReadFile(repo, ch.Pos.File)
	if err != nil {
		return ch.Pos.File, nil, ch.ID, err
	}
	return ch.Pos.File, setKey(string(old), ch.Pos.Line, "qualifications", list(want)), ch.ID, nil
}

// newChange is a change entry for a batch the catalog has none for.
func (im *importer) newChange(ids []string) (string, string) {
	date := im.opts.Effective
	if date.IsZero() && im.doc != nil {
		date = im.doc.Date
	}
	id := fmt.Sprintf("%s-batch-%d", date, im.opts.Batch)
	number, issuer := im.opts.Document, ""
	if im.doc != nil {
		if im.doc.Number != "" {
			number = im.doc.Number
		}
		issuer = im.doc.Issuer
	}
	var b strings.Builder
	b.WriteString("[[change]]\n")
	fmt.Fprintf(&b, "id = %s\ndate = %s\n", quote(id), date)
	fmt.Fprintf(&b, "kind = %s\n", quote(string(catalog.BatchChange)))
	fmt.Fprintf(&b, "title = %s\n", quote(fmt.Sprintf("第%d批目录（%s），共%d项", im.opts.Batch, number, len(ids))))
	fmt.Fprintf(&b, "body = \"\"\"\n%s公布第%d批目录（%s），本站据其附件收录%d项。\n\"\"\"\n", issuer, im.opts.Batch, number, len(ids))
	fmt.Fprintf(&b, "qualifications = %s\n", list(ids))
	fmt.Fprintf(&b, "documents = %s\n", list([]string{im.opts.Document}))
	if im.doc != nil {
		fmt.Fprintf(&b, "sources = %s\n", list(im.sources()))
	}
	return id, b.String()
}

// setKey replaces the value of key in the table whose header is on line
// (1-based), or adds the key at the end of the table. Values may run
// over several lines (arrays); multi-line strings are stepped over.
func setKey(text string, line int, key, value string) []byte {
	lines := strings.SplitAfter(text, "\n")
	start, end := -1, -1 // the key's lines [start, end)
	last := line         // the table's last non-blank line (index + 1)
	inString := ""
	for i := line; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if inString != "" {
			if strings.Count(l, inString)%2 == 1 {
				inString = ""
			}
			last = i + 1
			continue
		}
		if strings.HasPrefix(l, "[") {
			break
		}
		if l != "" && !strings.HasPrefix(l, "#") {
			last = i + 1
		}
		for _, d := range []string{`"""`, "'''"} {
			if strings.Count(l, d)%2 == 1 {
				inString = d
			}
		}
		if name, _, ok := strings.Cut(l, "="); ok && strings.TrimSpace(name) == key && start < 0 {
			start = i
			depth := 0
			for j := i; j < len(lines); j++ {
				depth += bracketDepth(lines[j])
				if depth <= 0 {
					end = j + 1
					break
				}
			}
			if end < 0 {
				end = len(lines)
			}
			i = end - 1
			last = end
		}
	}
	repl := key + " = " + value + "\n"
	var out []string
	if start >= 0 {
		out = append(append(append(out, lines[:start]...), repl), lines[end:]...)
	} else {
		if last > 0 && last <= len(lines) && !strings.HasSuffix(lines[last-1], "\n") {
			lines[last-1] += "\n"
		}
		out = append(append(append(out, lines[:last]...), repl), lines[last:]...)
	}
	return []byte(strings.Join(out, ""))
}

// bracketDepth counts [ minus ] outside quoted strings and comments.
func bracketDepth(l string) int {
	d, quote := 0, rune(0)
	for _, r := range l {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#':
			return d
		case r == '[':
			d++
		case r == ']':
			d--
		}
	}
	return d
}

// Write writes the plan's files under dir (the repository root), each
// to a temporary file first and then renamed over the old one.
func (p *Plan) Write(dir string) error {
	for _, rel := range p.order {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		tmp, err := os.CreateTemp(filepath.Dir(path), ".import-*")
		if err != nil {
			return err
		}
		_, err = tmp.Write(p.Files[rel])
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), 0o644)
		}
		if err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return err
		}
	}
	return nil
}
