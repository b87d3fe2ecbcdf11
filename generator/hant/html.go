package hant

import "strings"

// ConvertHTML returns the HTML document or fragment s with its text
// converted: text nodes, and the values of the title, alt, aria-label and
// placeholder attributes, and of content on a <meta> whose name is
// description or keywords or whose property is og:title, og:description or
// og:site_name. Tags, other attributes (so every URL), comments, doctypes
// and the contents of <script> and <style> are copied unchanged.
//
// ConvertHTML scans tags itself rather than parsing a tree: it is meant for
// the well-formed HTML that the generator writes, and on malformed input it
// still returns something, with text it cannot place copied unchanged.
func (c *Converter) ConvertHTML(s string) string {
	if isASCII(s) {
		return s
	}
	return string(c.AppendConvertHTML(make([]byte, 0, len(s)+len(s)/16), s))
}

// AppendConvertHTML appends the conversion of the HTML s to dst and returns
// the extended buffer, like ConvertHTML but without allocating when dst has
// room.
func (c *Converter) AppendConvertHTML(dst []byte, s string) []byte {
	if isASCII(s) {
		return append(dst, s...)
	}
	w := work{dst: dst}
	text := 0 // start of the text not yet written
	// No markup starts past the last '>', so stop looking there: this keeps
	// malformed input with many a '<' from costing quadratic time.
	last := strings.LastIndexByte(s, '>')
	for i := 0; i < last; {
		j := strings.IndexByte(s[i:last], '<')
		if j < 0 {
			break
		}
		i += j
		end, raw := markupEnd(s, i, &w.tag)
		if end < 0 { // a '<' that starts no markup is text
			i++
			continue
		}
		c.convert(&w, s[text:i])
		if raw != "" || s[i+1] == '!' || s[i+1] == '?' || s[i+1] == '/' {
			w.dst = append(w.dst, s[i:end]...)
		} else {
			c.startTag(&w, s[i:end], &w.tag)
		}
		if raw != "" {
			// Copy <script> and <style> bodies up to their end tag.
			k := indexFold(s[end:], "</"+raw)
			if k < 0 {
				k = len(s) - end
			}
			w.dst = append(w.dst, s[end:end+k]...)
			end += k
		}
		i, text = end, end
	}
	c.convert(&w, s[text:])
	return w.dst
}

// markupEnd returns the end of the markup that starts with the '<' at s[i],
// or -1 if none does. For a <script> or <style> start tag it also returns
// the element name, whose contents are not text.
//
// A start tag is scanned into t.
func markupEnd(s string, i int, t *tag) (end int, raw string) {
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "<!--"):
		if k := strings.Index(rest[4:], "-->"); k >= 0 {
			return i + 4 + k + 3, ""
		}
		return len(s), ""
	case strings.HasPrefix(rest, "<!") || strings.HasPrefix(rest, "<?"):
		if k := strings.IndexByte(rest, '>'); k >= 0 {
			return i + k + 1, ""
		}
		return -1, ""
	case strings.HasPrefix(rest, "</"):
		if len(rest) < 3 || !isLetter(rest[2]) {
			return -1, ""
		}
		if k := strings.IndexByte(rest, '>'); k >= 0 {
			return i + k + 1, ""
		}
		return -1, ""
	case len(rest) < 2 || !isLetter(rest[1]):
		return -1, ""
	}
	scanTag(t, rest)
	if t.end < 0 {
		return -1, ""
	}
	name := strings.ToLower(t.name)
	if name == "script" || name == "style" {
		raw = name // even when written <script/>, as browsers read it
	}
	return i + t.end, raw
}

// tag is a scanned start tag.
type tag struct {
	name  string
	attrs []attr
	end   int // length of the tag, or -1 if it does not close
}

// attr is one attribute; its value is tag text [start:end], without quotes.
type attr struct {
	name       string
	start, end int
}

// scanTag scans the start tag at the beginning of s into t, reusing its
// attrs.
func scanTag(t *tag, s string) {
	i := 1
	for i < len(s) && !isSpace(s[i]) && s[i] != '>' && s[i] != '/' {
		i++
	}
	t.name, t.attrs, t.end = s[1:i], t.attrs[:0], -1
	for i < len(s) {
		for i < len(s) && (isSpace(s[i]) || s[i] == '/') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '>' {
			t.end = i + 1
			break
		}
		start := i
		for i < len(s) && !isSpace(s[i]) && s[i] != '=' && s[i] != '>' && s[i] != '/' {
			i++
		}
		if i == start { // a stray '=': step over it
			i++
			continue
		}
		a := attr{name: strings.ToLower(s[start:i]), start: i, end: i}
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '=' {
			j++
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			switch {
			case j < len(s) && (s[j] == '"' || s[j] == '\''):
				k := strings.IndexByte(s[j+1:], s[j])
				if k < 0 {
					return
				}
				a.start, a.end = j+1, j+1+k
				i = a.end + 1
			default:
				k := j
				for k < len(s) && !isSpace(s[k]) && s[k] != '>' {
					k++
				}
				a.start, a.end = j, k
				i = k
			}
		}
		t.attrs = append(t.attrs, a)
	}
}

// startTag appends the start tag s, scanned into t, to w.dst with the
// values of its text attributes converted.
func (c *Converter) startTag(w *work, s string, t *tag) {
	meta := strings.EqualFold(t.name, "meta")
	metaText := false
	if meta {
		for _, a := range t.attrs {
			v := strings.TrimSpace(s[a.start:a.end])
			switch a.name {
			case "name":
				metaText = metaText || strings.EqualFold(v, "description") || strings.EqualFold(v, "keywords")
			case "property":
				metaText = metaText || strings.EqualFold(v, "og:title") || strings.EqualFold(v, "og:description") || strings.EqualFold(v, "og:site_name")
			}
		}
	}
	done := 0
	for _, a := range t.attrs {
		switch a.name {
		case "title", "alt", "aria-label", "placeholder":
		case "content":
			if !metaText {
				continue
			}
		default:
			continue
		}
		w.dst = append(w.dst, s[done:a.start]...)
		if isASCII(s[a.start:a.end]) { // the common case, which converts to itself
			w.dst = append(w.dst, s[a.start:a.end]...)
			done = a.end
			continue
		}
		c.convert(w, s[a.start:a.end])
		done = a.end
	}
	w.dst = append(w.dst, s[done:]...)
}

// indexFold is strings.Index for an ASCII substr that starts with '<',
// ignoring ASCII case.
func indexFold(s, substr string) int {
	for i := 0; i+len(substr) <= len(s); i++ {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return -1
		}
		i += j
		if i+len(substr) <= len(s) && strings.EqualFold(s[i:i+len(substr)], substr) {
			return i
		}
	}
	return -1
}

func isLetter(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f'
}
