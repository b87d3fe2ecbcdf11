package catalog

import (
	"cmp"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// Decoding. The fast path decodes a whole file into its Go types in one
// go. The decoder stops at its first error, and inside one table it
// visits keys in map order, so when anything fails the file is decoded
// again table by table and key by key: every wrong value is reported,
// always in the same order, each at the key that holds it.

// file is one TOML text being decoded.
type file struct {
	md       toml.MetaData
	ix       *index
	repaired bool // values of the text were replaced by [reported]
}

// decodeFile decodes text (the TOML of path, starting lineOff lines into
// the file) into dst, a pointer to a struct. It reports problems to l and
// returns the index of the text, or nil on a syntax error (see
// syntax.go).
func (l *loader) decodeFile(path, text string, lineOff int, dst any) *index {
	v := reflect.ValueOf(dst).Elem()
	if off, what := nesting(text); off >= 0 {
		l.failed(path)
		l.tooDeep(newIndex(path, text, lineOff).pos(off), what)
		return nil
	}
	shell := reflect.New(l.shell(v.Type()))
	md, text, repaired, ok := l.parse(path, text, lineOff, shell.Interface())
	if !ok {
		l.failed(path)
		return nil
	}
	f := &file{md: md, ix: scan(path, text, lineOff), repaired: repaired}
	l.decodeFields(f, shell.Elem(), v, f.ix.tables[0])
	l.unknownKeys(f, v.Type())
	l.attach(v, f.ix.tables[0])
	return f.ix
}

// decodeFields decodes each field of the struct v from the primitive of
// the same name in shell, the struct's table t.
func (l *loader) decodeFields(f *file, shell, v reflect.Value, t *table) {
	for i, sf := range fields(v.Type()) {
		prim := shell.Field(i).Interface().(toml.Primitive)
		if reflect.ValueOf(prim).IsZero() {
			continue // not written
		}
		l.decodeValue(f, prim, v.FieldByIndex(sf.Index), t, tagName(sf))
	}
}

// decodeValue decodes prim, the value of key in table t, into v.
func (l *loader) decodeValue(f *file, prim toml.Primitive, v reflect.Value, t *table, key string) {
	if f.repaired {
		var s string
		if f.md.PrimitiveDecode(prim, &s) == nil && s == reported {
			return // a value reported and replaced by parse
		}
	}
	if l.decodeText(f, prim, v, t, key) {
		return
	}
	err := f.md.PrimitiveDecode(prim, v.Addr().Interface())
	if err == nil {
		return
	}
	v.SetZero()
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
		// Nested tables: decode each one alone.
		var elems []toml.Primitive
		if f.md.PrimitiveDecode(prim, &elems) != nil {
			l.typeError(t.keyPos(key), key, v.Type(), err)
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), len(elems), len(elems)))
		for j, e := range elems {
			l.decodeTable(f, e, v.Index(j), t.child(key, j), key)
		}
		return
	}
	l.typeError(t.keyPos(key), key, v.Type(), err)
}

// decodeText decodes a quoted value (or an array of them) into v, an
// enumeration or a Date, by calling UnmarshalText itself, and reports
// whether it did. The decoder would do the same, but its error for a
// refused value splits the whole file into lines to find a column: with
// many bad rows in a large file that is quadratic. Other values (a date
// literal, a number) are left to the decoder.
func (l *loader) decodeText(f *file, prim toml.Primitive, v reflect.Value, t *table, key string) bool {
	textual := func(t reflect.Type) bool {
		return reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
	}
	switch {
	case textual(v.Type()):
		var s string
		if f.md.PrimitiveDecode(prim, &s) != nil {
			return false
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			v.SetZero()
			if !errors.Is(err, errReported) {
				l.errorf(t.keyPos(key), hintOf(err, v.Type()), "%s", err)
			}
		}
		return true
	case v.Kind() == reflect.Slice && textual(v.Type().Elem()):
		var ss []string
		if f.md.PrimitiveDecode(prim, &ss) != nil {
			return false
		}
		v.Set(reflect.MakeSlice(v.Type(), len(ss), len(ss)))
		for i, s := range ss {
			if err := v.Index(i).Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
				v.SetZero()
				if !errors.Is(err, errReported) {
					l.errorf(t.keyPos(key), hintOf(err, v.Type()), "%s", err)
				}
				return true
			}
		}
		return true
	}
	return false
}

// decodeTable decodes prim, one table of the array key, into the struct v.
func (l *loader) decodeTable(f *file, prim toml.Primitive, v reflect.Value, t *table, key string) {
	shell := reflect.New(l.shell(v.Type()))
	if err := f.md.PrimitiveDecode(prim, shell.Interface()); err != nil {
		l.typeError(t.Pos(), key, reflect.SliceOf(v.Type()), err)
		return
	}
	l.decodeFields(f, shell.Elem(), v, t)
}

// attach records, for v and every table nested in it, the table of the
// index it came from, and sets its Pos.
func (l *loader) attach(v reflect.Value, t *table) {
	if p := v.FieldByName("Pos"); p.IsValid() {
		p.Set(reflect.ValueOf(t.Pos()))
	}
	if v.CanAddr() {
		l.at[v.Addr().Interface()] = t
	}
	for _, sf := range fields(v.Type()) {
		fv := v.FieldByIndex(sf.Index)
		if fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct {
			for j := range fv.Len() {
				l.attach(fv.Index(j), t.child(tagName(sf), j))
			}
		}
	}
}

// unknownKeys reports the keys no field took, at each place they are
// written, with the nearest known key as a hint. root is the type of
// the file's top-level table.
func (l *loader) unknownKeys(f *file, root reflect.Type) {
	und := f.md.Undecoded()
	seen := map[string]bool{}
	for _, k := range und {
		seen[k.String()] = true
	}
	done := map[string]bool{}
	for _, k := range und {
		s := k.String()
		if done[s] || (len(k) > 1 && seen[k[:len(k)-1].String()]) {
			continue // reported once, at the outermost unknown key
		}
		done[s] = true
		parent, ok := tableType(root, k[:len(k)-1])
		if !ok {
			continue // inside a value of the wrong type, reported as such
		}
		name := k[len(k)-1]
		hint := keyHint(name, parent)
		for _, o := range f.ix.occurrences(k) {
			if o.header {
				l.errorf(o.pos, hint, "未知的表 %q", k.String())
			} else {
				l.errorf(o.pos, hint, "未知字段 %q", name)
			}
		}
	}
	// The decoder matches keys case-insensitively; an editor's "Level"
	// works today but is a typo all the same.
	types := map[string]reflect.Type{}
	for _, t := range f.ix.tables {
		path := strings.Join(t.path, "\x00")
		typ, ok := types[path]
		if !ok {
			typ, _ = tableType(root, t.path)
			types[path] = typ
		}
		if typ == nil {
			continue
		}
		folded := l.folded(typ)
		for _, k := range t.keys {
			if name, ok := folded[strings.ToLower(k.parts[0])]; ok && name != k.parts[0] {
				l.errorf(f.ix.pos(k.off), fmt.Sprintf("改成 %q（字段名一律小写）", name),
					"字段名 %q 的大小写不对", k.parts[0])
			}
		}
	}
}

// folded returns the TOML keys of struct type t by their lower case.
func (l *loader) folded(t reflect.Type) map[string]string {
	if m, ok := l.fold[t]; ok {
		return m
	}
	m := map[string]string{}
	for _, sf := range fields(t) {
		m[strings.ToLower(tagName(sf))] = tagName(sf)
	}
	l.fold[t] = m
	return m
}

// tableType returns the struct type of the table at path below root.
func tableType(root reflect.Type, path []string) (reflect.Type, bool) {
	t := root
	for _, name := range path {
		var next reflect.Type
		for _, sf := range fields(t) {
			if tagName(sf) == name {
				next = sf.Type
			}
		}
		if next != nil && next.Kind() == reflect.Slice {
			next = next.Elem()
		}
		if next == nil || next.Kind() != reflect.Struct || next == reflect.TypeFor[Date]() {
			return nil, false
		}
		t = next
	}
	return t, true
}

func isTableArray(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}

// keyHint suggests the known key of t nearest to name.
func keyHint(name string, t reflect.Type) string {
	var names []string
	best, bestD := "", 3
	for _, sf := range fields(t) {
		n := tagName(sf)
		names = append(names, n)
		if d := distance(name, n); d < bestD && d < len([]rune(name)) {
			best, bestD = n, d
		}
	}
	if len(fields(t)) == 1 && isTableArray(fields(t)[0].Type) {
		if best != "" {
			return fmt.Sprintf("是否想写 [[%s]]？本文件只能写 [[%s]] 表", best, best)
		}
		return fmt.Sprintf("本文件只能写 [[%s]] 表", names[0])
	}
	list := "可用字段：" + strings.Join(names, "、")
	if best != "" {
		return fmt.Sprintf("是否想写 %q？%s", best, list)
	}
	return list
}

// distance is the edit distance of a and b, counting a swap of two
// neighbouring letters ("levle") as one edit.
func distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range t {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}

// fields returns the fields of struct type t that TOML keys fill.
func fields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.IsExported() && sf.Tag.Get("toml") != "-" {
			out = append(out, sf)
		}
	}
	return out
}

func tagName(sf reflect.StructField) string {
	name, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
	if name == "" {
		return sf.Name
	}
	return name
}

// shell returns a struct type with the TOML fields of t, each of type
// toml.Primitive: decoding into it marks t's keys as known and keeps
// their values for decoding one at a time.
func (l *loader) shell(t reflect.Type) reflect.Type {
	if s, ok := l.shells[t]; ok {
		return s
	}
	var sfs []reflect.StructField
	for _, sf := range fields(t) {
		sfs = append(sfs, reflect.StructField{
			Name: sf.Name,
			Type: reflect.TypeFor[toml.Primitive](),
			Tag:  reflect.StructTag(fmt.Sprintf(`toml:%q`, tagName(sf))),
		})
	}
	s := reflect.StructOf(sfs)
	l.shells[t] = s
	return s
}

// typeError reports a value the decoder could not put into a field of
// type t: a wrong TOML type, or a value our UnmarshalText refused.
func (l *loader) typeError(p Pos, key string, t reflect.Type, err error) {
	var h interface{ Hint() string }
	if errors.As(err, &h) && !errors.As(err, new(toml.ParseError)) {
		// One of ours, passed on by the decoder: already Chinese.
		l.errorf(p, hintOf(err, t), "%s", err)
		return
	}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if strings.IndexFunc(msg, func(r rune) bool { return r >= 0x2E80 }) < 0 {
			// The decoder's own words, in English: say it in Chinese.
			msg = fmt.Sprintf("字段 %q 的值不对：应为%s", key, typeName(t))
		}
		l.errorf(p, cmp.Or(valueHint(t), typeHint(key, t)), "%s", msg)
		return
	}
	msg := fmt.Sprintf("字段 %q 的类型不对：应为%s", key, typeName(t))
	if m := decoderType.FindStringSubmatch(err.Error()); m != nil {
		if got := goTypeName(m[1]); got != "" && got != typeName(t) {
			msg += "，这里是" + got
		}
	}
	l.errorf(p, typeHint(key, t), "%s", msg)
}

// decoderType finds the TOML value's type in the decoder's message
// ("incompatible types: TOML value has type string; destination …").
var decoderType = regexp.MustCompile(`TOML value has type ([^;]+);`)

// goTypeName names, for an editor, the Go type the decoder made of a value.
func goTypeName(s string) string {
	switch {
	case s == "string":
		return "文字"
	case s == "int64":
		return "整数"
	case s == "float64":
		return "小数"
	case s == "bool":
		return "true/false"
	case s == "time.Time":
		return "日期时间"
	case strings.HasPrefix(s, "[]map"):
		return "表数组"
	case strings.HasPrefix(s, "[]"):
		return "数组"
	case strings.HasPrefix(s, "map"):
		return "表"
	}
	return ""
}

// typeName names, for an editor, what a field of type t holds.
func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Date]():
		return "日期"
	case isTableArray(t):
		return "表数组"
	case t.Kind() == reflect.Slice:
		return typeName(t.Elem()) + "数组"
	case t.Kind() == reflect.String:
		return "文字"
	case t.Kind() == reflect.Int:
		return "整数"
	case t.Kind() == reflect.Bool:
		return "true/false"
	}
	return t.String()
}

// typeHint shows how a value of type t is written.
func typeHint(key string, t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Date]():
		return fmt.Sprintf("写成 %s = 2025-11-21", key)
	case isTableArray(t):
		return fmt.Sprintf("每一项写成一个 [[…%s]] 表", key)
	case t.Kind() == reflect.Slice:
		return fmt.Sprintf(`写成数组，例如 %s = ["…", "…"]`, key)
	case t.Kind() == reflect.String:
		return fmt.Sprintf(`文字要用英文双引号括起来，例如 %s = "…"`, key)
	case t.Kind() == reflect.Int:
		return fmt.Sprintf("写数字，不加引号，例如 %s = 5", key)
	case t.Kind() == reflect.Bool:
		return fmt.Sprintf("写 %s = true 或 %s = false，不加引号", key, key)
	}
	return ""
}

// hintOf returns the hint of err when it has one (a value our
// UnmarshalText refused, saying what to write), else the values a field
// of type t accepts.
func hintOf(err error, t reflect.Type) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) && h.Hint() != "" {
		return h.Hint()
	}
	return valueHint(t)
}

// valueHint lists the values a field of type t accepts.
func valueHint(t reflect.Type) string {
	if t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	var vs []string
	switch reflect.Zero(t).Interface().(type) {
	case Date:
		return "日期写成 2025-11-21（年-月-日，月和日都写两位）"
	case Script:
		vs = strs(Scripts())
	case Level:
		vs = strs(Levels())
	case Grade:
		vs = strs(Grades())
	case Route:
		vs = strs(Routes())
	case Category:
		vs = strs(Categories())
	case Scope:
		vs = strs(Scopes())
	case OrgType:
		vs = strs(OrgTypes())
	case OrgStatus:
		vs = strs(OrgStatuses())
	case OfficeKind:
		vs = strs(OfficeKinds())
	case Form:
		vs = strs(Forms())
	case DocStatus:
		vs = strs(DocStatuses())
	case ChangeKind:
		vs = strs(ChangeKinds())
	default:
		return ""
	}
	return "可选值：" + strings.Join(vs, "、")
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
