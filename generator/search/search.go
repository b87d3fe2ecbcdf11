// Package search builds the site's full-text search: an index computed at
// build time for each script's pages, and the small script (search.js) that
// loads it in the browser and shows results as the reader types.
//
// # Chinese without a word segmenter
//
// Chinese is written without spaces, so the index does not split words: it
// stores every pair of adjacent Han characters (a bigram) of a document.
// 养老护理员 is indexed as 养老, 老护, 护理, 理员, and a query is cut the same
// way, so 养老, 护理员 and 养老护理员 all find it. A Han character standing
// alone (between punctuation) is stored as a unigram; a one-character query
// matches every term that contains it. Runs of ASCII letters and digits
// (occupation codes such as 4-10-01-05, document years) are stored as whole
// lower-case tokens, and a query token matches them by prefix. Text is
// normalised with NFKC first, so full-width letters and digits match their
// ASCII forms.
//
// # Both scripts
//
// The site writes one index per script, and each [Doc]'s Text must hold the
// document's text in both scripts (the Simplified text, a space, then the
// Traditional text), so that a reader on the 繁體 site who types 养老 still
// finds 養老護理員 and the other way round. The Title stays in the page's
// own script, it is what the result list shows; AltTitle holds it in the
// other script, so that titles rank first whichever script is typed.
//
// # Ranking
//
// A query is cut into units (bigrams, lone characters, ASCII tokens). A
// document matches when it holds at least half of the units, rounded up.
// Its score is 2 per unit matched, 1 more per unit found in its title (in
// either script, when [Doc].AltTitle is set), and 2 per unit more when
// every unit is found in its title. Ties go to the shorter title, then to
// the earlier document. search.js and the reference
// implementation in this package's tests follow the same rules.
//
// # Index format
//
// The index is JSON:
//
//	{"v":1,
//	 "kinds":["qualification", …],
//	 "prefixes":["/zh-hans/qualifications/", …],
//	 "docs":[[prefix, "slug/", "title", kind], …],
//	 "terms":{"养老":[…], …}}
//
// A document's URL is prefixes[prefix] + slug. Each term's postings list
// the documents that hold it, as values doc*2+t where t is 1 when the term
// occurs in the title; the values increase, and after the first each is
// stored as the difference from the one before, which keeps the numbers
// short.
package search

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Doc is one page to index.
type Doc struct {
	URL   string // site-relative URL, e.g. "/zh-hant/qualifications/foo/"
	Title string
	Kind  string // "qualification", "organisation", "guide", "document", "office", "page" (shown as a label)
	Text  string // plain text to index: the page's text in both scripts, see the package doc
	// AltTitle is the title in the other script. Optional: it is not
	// shown, but a query typed in the other script then gets the title
	// boost too.
	AltTitle string
}

// Version is the index format version, the "v" field of the JSON.
const Version = 1

// index is the JSON shape; field order is the order written.
type index struct {
	V        int              `json:"v"`
	Kinds    []string         `json:"kinds"`
	Prefixes []string         `json:"prefixes"`
	Docs     [][4]any         `json:"docs"`
	Terms    map[string][]int `json:"terms"`
}

// Index builds the search index of one script's docs. The documents keep
// the order given (it breaks ties in the ranking); the same docs give the
// same bytes.
func Index(docs []Doc) ([]byte, error) {
	return indexCut(docs, nil)
}

// Indexes is Index of each set of docs. The sets of a site hold the same
// texts (each script's index holds both scripts' text), so each distinct
// text is cut once for all of them.
func Indexes(sets ...[]Doc) ([][]byte, error) {
	cuts := map[string][]unit{}
	out := make([][]byte, len(sets))
	for i, docs := range sets {
		b, err := indexCut(docs, cuts)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// indexCut is Index, keeping the cut of each document's text in cuts
// when it is not nil.
func indexCut(docs []Doc, cuts map[string][]unit) ([]byte, error) {
	cutText := func(text string) []unit {
		if cuts == nil {
			return cut(text)
		}
		us, ok := cuts[text]
		if !ok {
			us = cut(text)
			cuts[text] = us
		}
		return us
	}
	ix := index{V: Version, Kinds: []string{}, Prefixes: []string{}, Docs: make([][4]any, 0, len(docs))}
	kinds := map[string]int{}
	prefixes := map[string]int{}
	seen := map[string]bool{}
	type posting struct {
		ps   []int
		last int // the last document posted
	}
	postings := map[string]*posting{}
	post := func(term string, doc, title int) {
		p := postings[term]
		if p == nil {
			p = &posting{last: -1}
			postings[term] = p
		}
		if p.last != doc {
			p.last = doc
			p.ps = append(p.ps, doc*2+title)
		}
	}
	for i, d := range docs {
		if d.URL == "" || d.Kind == "" {
			return nil, fmt.Errorf("search: doc %d (%q) has no URL or no kind", i, d.Title)
		}
		if seen[d.URL] {
			return nil, fmt.Errorf("search: URL %s indexed twice", d.URL)
		}
		seen[d.URL] = true
		k, ok := kinds[d.Kind]
		if !ok {
			k = len(ix.Kinds)
			kinds[d.Kind] = k
			ix.Kinds = append(ix.Kinds, d.Kind)
		}
		dir, slug := splitURL(d.URL)
		p, ok := prefixes[dir]
		if !ok {
			p = len(ix.Prefixes)
			prefixes[dir] = p
			ix.Prefixes = append(ix.Prefixes, dir)
		}
		ix.Docs = append(ix.Docs, [4]any{p, slug, d.Title, k})

		// Title terms first, so that a term's posting carries the title
		// flag; each term gets one posting per document.
		for _, u := range cut(d.Title + " " + d.AltTitle) {
			post(u.s, i, 1)
		}
		for _, u := range cutText(d.Text) {
			post(u.s, i, 0)
		}
	}
	ix.Terms = make(map[string][]int, len(postings))
	for t, p := range postings {
		ix.Terms[t] = p.ps
	}
	// Documents are visited in order, so each list is already increasing.
	for _, ps := range ix.Terms {
		for j := len(ps) - 1; j > 0; j-- {
			ps[j] -= ps[j-1]
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the index is fetched as JSON, never inlined in HTML
	if err := enc.Encode(ix); err != nil {
		return nil, fmt.Errorf("search: %v", err)
	}
	return buf.Bytes(), nil
}

// splitURL cuts a URL before its last path segment, so that the many
// documents under one folder share a prefix.
func splitURL(u string) (dir, slug string) {
	s := strings.TrimSuffix(u, "/")
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return "", u
	}
	return u[:i+1], u[i+1:]
}

// unitKind says how a query unit matches the index's terms.
type unitKind int

const (
	exact    unitKind = iota // a Han bigram: the term itself
	contains                 // a lone Han character: every term containing it
	prefix                   // an ASCII token: every ASCII term it begins
)

// unit is one piece of a cut text.
type unit struct {
	kind unitKind
	s    string
}

// maxToken bounds ASCII tokens, so a long URL or hash in the text does not
// bloat the index.
const maxToken = 32

// cut splits text into units: bigrams of each run of Han characters (a
// lone character when the run has one), and ASCII tokens of letters and
// digits joined by inner '-' or '.'.
func cut(text string) []unit {
	var out []unit
	s := nfkc(text)
	// Units are substrings of s: no copies. at[k] is the byte offset of
	// the k-th rune, at[len(rs)] the end.
	rs := []rune(s)
	at := make([]int, 0, len(rs)+1)
	for o := range s {
		at = append(at, o)
	}
	at = append(at, len(s))
	for i := 0; i < len(rs); {
		switch {
		case isHan(rs[i]):
			j := i
			for j < len(rs) && isHan(rs[j]) {
				j++
			}
			if j-i == 1 {
				out = append(out, unit{contains, s[at[i]:at[j]]})
			}
			for k := i; k+1 < j; k++ {
				out = append(out, unit{exact, s[at[k]:at[k+2]]})
			}
			i = j
		case isWord(rs[i]):
			j := i
			for j < len(rs) && (isWord(rs[j]) || (rs[j] == '-' || rs[j] == '.') && j+1 < len(rs) && isWord(rs[j+1])) {
				j++
			}
			tok := s[at[i]:at[j]] // ASCII only: bytes are runes
			if len(tok) > maxToken {
				tok = tok[:maxToken]
			}
			out = append(out, unit{prefix, strings.ToLower(tok)})
			i = j
		default:
			i++
		}
	}
	return out
}

// nfkc returns s in Unicode normalisation form KC, as search.js's
// normalize('NFKC') does. ASCII and the unified ideographs are left as
// they are without a lookup, and the runs of other characters between
// them (punctuation, mostly) normalised one by one: on Chinese text that
// is several times faster than normalising the whole string.
func nfkc(s string) string {
	if !utf8.ValidString(s) {
		// The normaliser treats bytes that are not UTF-8 its own way
		// (a mark after one combines differently): follow it.
		return norm.NFKC.String(s)
	}
	var b strings.Builder
	done := 0 // bytes of s already copied or normalised into b
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if nfkcStable(r) {
			i += n
			continue
		}
		if c, ok := nfkcASCII(r); ok && nfkcStableAt(s, i+n) {
			// A full-width letter, digit or sign (，：（）) or the
			// ideographic space, before a character that cannot combine
			// with it: its form KC is one ASCII byte.
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[done:i])
			b.WriteByte(c)
			i += n
			done = i
			continue
		}
		j := i + n
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if nfkcStable(r) {
				break
			}
			j += n
		}
		if !norm.NFKC.PropertiesString(s[i:]).BoundaryBefore() {
			// Combines with what precedes it: the run alone would
			// normalise differently.
			return norm.NFKC.String(s)
		}
		run := s[i:j]
		if !norm.NFKC.IsNormalString(run) {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[done:i])
			b.WriteString(norm.NFKC.String(run))
			done = j
		}
		i = j
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// nfkcStable reports whether r is its own form KC whatever surrounds it
// (bar a combining mark after it, which the slow path sees): ASCII, the
// unified ideographs and the punctuation of Chinese text that has no
// compatibility form (、。《》「」『』【】—‘’“”·).
func nfkcStable(r rune) bool {
	switch {
	case r < 0x80, r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF:
		return true
	case r == 0x3001, r == 0x3002, r >= 0x300A && r <= 0x3011:
		return true
	case r == 0x2014, r >= 0x2018 && r <= 0x2019, r >= 0x201C && r <= 0x201D, r == 0x00B7:
		return true
	}
	return false
}

// nfkcStableAt reports whether s ends at i or has a stable rune there.
func nfkcStableAt(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return nfkcStable(r)
}

// nfkcASCII returns the form KC of the full-width forms of ASCII
// (U+FF01-FF5E) and of the ideographic space, which is one ASCII byte.
func nfkcASCII(r rune) (byte, bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return byte(r - 0xFEE0), true
	case r == 0x3000:
		return ' ', true
	}
	return 0, false
}

// isHan reports whether r is a CJK ideograph. search.js uses the same
// ranges.
func isHan(r rune) bool {
	return r >= 0x3400 && r <= 0x4DBF || r >= 0x4E00 && r <= 0x9FFF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x20000 && r <= 0x3134F
}

// isWord reports whether r belongs to an ASCII token.
func isWord(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

//go:embed search.js
var script []byte

// Script returns the dependency-free search.js, which the site serves at
// /assets/search.js. It enhances every input[data-search-index].
func Script() []byte {
	return bytes.Clone(script)
}
