// Package hant converts Simplified Chinese to Traditional Chinese with Taiwan
// phrasing, giving the same output as [OpenCC]'s s2twp configuration, in pure
// Go. The site generator runs every page of the 繁體 edition through it:
//
//	c, err := hant.New("闽人社文〔2022〕126号") // protected terms stay as written
//	...
//	page = c.ConvertHTML(page)
//
// # Algorithm
//
// OpenCC's s2twp.json (kept in data/ for reference) describes a segmentation
// and a conversion chain of three steps. [Converter.Convert] does the same:
//
//  1. Segmentation by maximum forward matching over STPhrases: at each
//     position the longest phrase that starts there becomes a segment of its
//     own; characters that start no phrase gather into segments between
//     them.
//  2. Each segment is converted by the group STPhrases, STCharacters: at each
//     position the longest STPhrases key if any, else the longest
//     STCharacters key, else the character unchanged.
//  3. Each segment is then converted by TWPhrases (the Taiwan terms: 软件 →
//     軟體, 打印机 → 印表機), longest match first.
//  4. And finally by TWVariants (the Taiwan forms of characters: 爲 → 為).
//
// A step never matches across a segment boundary, which is why, like OpenCC,
// 鼠标出租车 gives 鼠標出租車 (标出 is a phrase) while 鼠标 alone gives 滑鼠. Where a
// dictionary lists several candidates the first is taken. Since a phrase
// segment is converted in isolation, the result of steps 2–4 for each
// STPhrases entry is computed once, when the [Converter] is built.
//
// Protected terms are found first, leftmost and longest; they pass through
// unchanged and the text between them is converted as separate inputs.
// Bytes that are not valid UTF-8 pass through too (the opencc command
// rejects such input instead).
//
// # Data
//
// The dictionaries in data/ are OpenCC's, from Debian's OpenCC 1.1.6
// packages, decompiled to text; they are under the Apache License 2.0 (see
// data/LICENSE). data/fetch.sh refreshes them, and the tests compare the
// output with the opencc command's (Debian package opencc) when it is
// installed, as CI requires.
//
// [OpenCC]: https://github.com/BYVoid/OpenCC
package hant

import (
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

//go:embed data/STPhrases.txt data/STCharacters.txt data/TWPhrases.txt data/TWVariants.txt glossary.txt
var data embed.FS

// Converter converts Simplified Chinese to Traditional Chinese with Taiwan
// phrasing, like OpenCC s2twp.
type Converter struct {
	phrases   *dict // STPhrases, values already through TWPhrases and TWVariants
	chars     *dict // STCharacters
	twPhrases *dict // TWPhrases
	variants  *dict // TWVariants
	// protected holds the protected terms, each with its s2tw conversion
	// (characters only, never Taiwan phrases), and the glossary's terms
	// with their Traditional form.
	protected *dict
	terms     []string // the keys of protected, without duplicates
	values    []string // what each of terms becomes

	// runes holds, for each BMP rune, what chunk needs to know about it
	// in one place: looking it up in four dictionaries at every character
	// cost more than all the rest of the conversion.
	runes []runeInfo
	long  []string // values too long for runeInfo.val
	// twValues are twPhrases.values through TWVariants, when
	// variantsPerRune.
	twValues []string

	// variantsPerRune reports that every TWVariants key is a single rune,
	// so that TWVariants converts text rune by rune.
	variantsPerRune bool
}

// runeInfo describes one rune for chunk.
type runeInfo struct {
	phrase int32   // the STPhrases trie node after the rune, or -1
	tw     int32   // for twStart, the TWPhrases trie node after step1
	step1  rune    // the first rune of the rune's STCharacters value, else the rune
	val    [4]byte // the rune through STCharacters and TWVariants, if that changes it
	n      uint8   // len(val), or longValue: val holds an index into Converter.long
	flags  uint8
}

// longValue is runeInfo.n for a value too long for runeInfo.val.
const longValue = 0xff

// The runeInfo flags.
const (
	// plain marks a rune that starts no phrase, converts to itself and
	// starts no TWPhrases key: chunk copies runs of such runes in one
	// append.
	plain = 1 << iota
	// twStart marks a rune whose STCharacters value is one rune that starts
	// TWPhrases keys: chunk tries them there.
	twStart
	// twAlways marks a rune whose value holds more than one rune, of which
	// one may start a TWPhrases match, or may start a TWVariants match of
	// more than one rune: the rest of its segment goes the long way.
	twAlways
	// multi marks a rune whose STCharacters value holds more than one
	// rune: chunk does not follow TWPhrases keys through it.
	multi
)

// New returns a Converter that applies the domain glossary (see
// [Glossary]). Occurrences of the protected terms (names of bodies,
// document numbers) are converted character by character only, as OpenCC
// s2tw does, never by Taiwan phrases: 闽人社文〔2022〕126号 becomes
// 閩人社文〔2022〕126號.
func New(protected ...string) (*Converter, error) {
	glossary, err := Glossary()
	if err != nil {
		return nil, err
	}
	return build(glossary, protected)
}

// build is New with the given glossary: without one, the converter is
// plain s2twp apart from the protected terms (the tests compare that with
// the opencc command).
func build(glossary []Term, protected []string) (*Converter, error) {
	load := func(name string) ([]entry, error) {
		b, err := data.ReadFile("data/" + name + ".txt")
		if err != nil {
			return nil, err
		}
		return parseDict(name+".txt", b)
	}
	var errs []error
	dicts := make([][]entry, 4)
	for i, name := range []string{"STPhrases", "STCharacters", "TWPhrases", "TWVariants"} {
		ents, err := load(name)
		errs = append(errs, err)
		dicts[i] = ents
	}
	for _, p := range protected {
		switch {
		case p == "":
			errs = append(errs, errors.New("hant: empty protected term"))
		case !utf8.ValidString(p):
			errs = append(errs, fmt.Errorf("hant: protected term %q is not valid UTF-8", p))
		}
	}

	for _, e := range dicts[1] {
		if utf8.RuneCountInString(e.key) != 1 {
			errs = append(errs, fmt.Errorf("hant: STCharacters.txt: key %q is not one character", e.key))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	c := &Converter{
		phrases:   newDict(dicts[0]),
		chars:     newDict(dicts[1]),
		twPhrases: newDict(dicts[2]),
		variants:  newDict(dicts[3]),
	}
	// Protected terms convert character by character (s2tw), computed
	// while the phrases still hold their STPhrases values; a protected
	// term wins over a glossary entry with the same key.
	quotes := map[rune]string{}
	for _, g := range glossary {
		if utf8.RuneCountInString(g.Hans) == 1 {
			r, _ := utf8.DecodeRuneInString(g.Hans)
			quotes[r] = g.Hant
		}
	}
	byKey := map[string]string{}
	for _, g := range glossary {
		byKey[g.Hans] = g.Hant
	}
	for _, p := range protected {
		if p != "" && utf8.ValidString(p) {
			byKey[p] = c.characters(p, quotes)
		}
	}
	c.terms = slices.Sorted(maps.Keys(byKey))
	prot := make([]entry, len(c.terms))
	c.values = make([]string, len(c.terms))
	for i, t := range c.terms {
		prot[i] = entry{t, byKey[t]}
		c.values[i] = byKey[t]
	}
	c.protected = newDict(prot)
	c.phrases.indexPairs()
	c.variantsPerRune = true
	for _, e := range dicts[3] {
		if utf8.RuneCountInString(e.key) != 1 {
			c.variantsPerRune = false
		}
	}
	if c.variantsPerRune {
		for _, v := range c.twPhrases.values {
			c.twValues = append(c.twValues, string(replace(c.variants, nil, v)))
		}
	}
	c.runes = make([]runeInfo, 0x10000)
	for r := range c.runes {
		c.runes[r] = c.runeInfo(rune(r), &c.long)
	}
	var w work
	for i, v := range c.phrases.values {
		w.dst = w.dst[:0]
		c.taiwan(&w, []byte(v))
		if string(w.dst) != v {
			c.phrases.values[i] = string(w.dst)
		}
	}
	return c, nil
}

// work holds one conversion's output and the buffers of its intermediate
// steps, so that a Converter itself is never written to.
type work struct {
	dst          []byte
	step1, step2 []byte
	tag          tag // ConvertHTML's current start tag
}

// Convert returns s converted. Text that is not Han, such as ASCII, passes
// through unchanged. Convert, like ConvertHTML, is safe for concurrent use.
func (c *Converter) Convert(s string) string {
	if isASCII(s) {
		return s
	}
	return string(c.AppendConvert(make([]byte, 0, len(s)+len(s)/16), s))
}

// AppendConvert appends the conversion of s to dst and returns the extended
// buffer, like Convert but without allocating when dst has room.
func (c *Converter) AppendConvert(dst []byte, s string) []byte {
	if isASCII(s) {
		return append(dst, s...)
	}
	w := work{dst: dst}
	c.convert(&w, s)
	return w.dst
}

// convert appends the conversion of s to w.dst.
func (c *Converter) convert(w *work, s string) {
	switch {
	case len(c.terms) == 0:
		c.chunk(w, s)
	case len(c.terms) <= maxIndexTerms:
		c.convertIndex(w, s)
	default:
		c.convertTrie(w, s)
	}
}

// maxIndexTerms is the number of protected terms up to which convertIndex,
// which runs strings.Index once per term over the text, beats convertTrie,
// which walks the protected trie at every character.
const maxIndexTerms = 16

// convertIndex is convert for a few protected terms: it keeps the next
// occurrence of each and takes the leftmost, the longest at a tie.
func (c *Converter) convertIndex(w *work, s string) {
	var buf [maxIndexTerms]int
	next := buf[:len(c.terms)]
	for k := range next {
		next[k] = -2 // not searched yet
	}
	done := 0
	for {
		at, n, k := -1, 0, 0
		for j, t := range c.terms {
			if next[j] != -1 && next[j] < done {
				next[j] = strings.Index(s[done:], t)
				if next[j] >= 0 {
					next[j] += done
				}
			}
			if next[j] >= 0 && (at < 0 || next[j] < at || next[j] == at && len(t) > n) {
				at, n, k = next[j], len(t), j
			}
		}
		if at < 0 {
			break
		}
		c.chunk(w, s[done:at])
		w.dst = append(w.dst, c.values[k]...)
		done = at + n
	}
	c.chunk(w, s[done:])
}

// convertTrie is convert for many protected terms.
func (c *Converter) convertTrie(w *work, s string) {
	done := 0
	for i := 0; i < len(s); {
		if n, v := longest(c.protected, s[i:]); n > 0 {
			c.chunk(w, s[done:i])
			w.dst = append(w.dst, c.protected.values[v]...)
			i += n
			done = i
			continue
		}
		_, size := decode(s, i)
		i += size
	}
	c.chunk(w, s[done:])
}

// chunk appends the conversion of s, which holds no protected term, to w.dst.
//
// It segments and converts in one pass: a phrase segment's result was
// computed in New, and each character between phrases is appended through
// STCharacters and TWVariants at once, which is right unless a TWPhrases key
// matches in their segment. Only if one may does the segment go the long
// way, through the chain step by step.
func (c *Converter) chunk(w *work, s string) {
	dst := w.dst
	// The current segment must go the long way from s[slow:], dst[slowDst:]
	// on, if slow >= 0: its runes before cannot start a TWPhrases match.
	slow, slowDst := -1, 0
	pending := 0       // s[pending:i] converts to itself but is not in dst yet
	var other runeInfo // info outside the BMP
	for i := 0; i < len(s); {
		var r rune
		size := 1
		if b := s[i]; b < utf8.RuneSelf {
			r = rune(b)
		} else if b&0xf0 == 0xe0 && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 {
			// Most Chinese text is three-byte sequences.
			r = rune(b&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f)
			size = 3
			if r < 0x800 || 0xd800 <= r && r <= 0xdfff {
				r, size = utf8.RuneError, 1
			}
		} else {
			r, size = decode(s, i)
		}
		// A pointer into the table, not a copy: copying the struct
		// cost more than all the rest of the loop.
		ri := c.info(r, &other)
		if ri.flags&plain != 0 {
			i += size
			continue
		}
		if ri.phrase >= 0 {
			if n, v := c.phrase(s[i:], r, ri.phrase, size); n > 0 {
				dst = append(dst, s[pending:i]...)
				if slow >= 0 {
					dst = c.segment(w, dst[:slowDst], s[slow:i])
					slow = -1
				}
				dst = append(dst, c.phrases.values[v]...)
				i += n
				pending = i
				continue
			}
		}
		if slow < 0 && ri.flags&(twAlways|twStart) != 0 {
			n, v := 0, int32(-1)
			if ri.flags&twStart != 0 {
				n, v = c.taiwanPhrase(s, i, ri.tw, size)
			}
			switch {
			case n > 0:
				dst = append(dst, s[pending:i]...)
				dst = append(dst, c.twValues[v]...)
				i += n
				pending = i
				continue
			case n < 0 || ri.flags&twAlways != 0:
				dst = append(dst, s[pending:i]...)
				pending, slow, slowDst = i, i, len(dst)
			}
		}
		if ri.n == 0 {
			i += size
			continue
		}
		dst = append(dst, s[pending:i]...)
		if ri.n == longValue {
			dst = append(dst, c.long[binary.LittleEndian.Uint32(ri.val[:])]...)
		} else {
			dst = append(dst, ri.val[:ri.n]...)
		}
		i += size
		pending = i
	}
	dst = append(dst, s[pending:]...)
	if slow >= 0 {
		dst = c.segment(w, dst[:slowDst], s[slow:])
	}
	w.dst = dst
}

// phrase is longestFrom(c.phrases, s, nd, size) for nd, the node after r,
// the first rune of s, which is size bytes long; the second step goes
// through the hash table.
func (c *Converter) phrase(s string, r rune, nd int32, size int) (n int, value int32) {
	d := c.phrases
	value = d.nodes[nd].value
	if value >= 0 {
		n = size
	}
	if size >= len(s) || d.nodes[nd].first == d.nodes[nd].end {
		return n, value
	}
	r2, size2 := decode(s, size)
	if r2 == utf8.RuneError && size2 == 1 {
		return n, value // invalid UTF-8 matches no key
	}
	if nd = d.second(nd, r, r2); nd >= 0 {
		if n2, v2 := longestFrom(d, s, nd, size+size2); n2 > 0 {
			return n2, v2
		}
	}
	return n, value
}

// taiwanPhrase returns the length in s and the value of the longest
// TWPhrases match at s[i:], within the segment that s[i:] starts, after its
// first rune has taken the walk to node nd and is size bytes long. It reads
// the following characters through STCharacters, and stops at the end of
// the segment, where a phrase starts. It returns -1 when it cannot tell,
// at a character that STCharacters turns into several runes.
func (c *Converter) taiwanPhrase(s string, i int, nd int32, size int) (n int, value int32) {
	d := c.twPhrases
	value = d.nodes[nd].value
	if value >= 0 {
		n = i + size
	}
	var other runeInfo
	for j := i + size; j < len(s) && d.nodes[nd].first != d.nodes[nd].end; {
		r, size := decode(s, j)
		if r == utf8.RuneError && size == 1 {
			break // invalid UTF-8 matches no key
		}
		ri := c.info(r, &other)
		if ri.flags&multi != 0 {
			return -1, -1
		}
		if nd = d.child(nd, ri.step1); nd < 0 {
			break
		}
		if ri.phrase >= 0 {
			if m, _ := c.phrase(s[j:], r, ri.phrase, size); m > 0 {
				break // the segment ends at j
			}
		}
		j += size
		if v := d.nodes[nd].value; v >= 0 {
			n, value = j, v
		}
	}
	if n > 0 {
		n -= i
	}
	return n, value
}

// info returns r's runeInfo: an element of c.runes, or *other filled in.
func (c *Converter) info(r rune, other *runeInfo) *runeInfo {
	if r < 0x10000 {
		return &c.runes[r]
	}
	*other = c.runeInfo(r, nil)
	return other
}

// segment appends the conversion of s, the rest of a segment of characters
// none of which starts a phrase, to dst the long way: through STCharacters, then
// TWPhrases, then TWVariants.
func (c *Converter) segment(w *work, dst []byte, s string) []byte {
	w.step1 = w.step1[:0]
	for i := 0; i < len(s); {
		r, size := decode(s, i)
		if nd := c.chars.root(r); nd >= 0 && c.chars.nodes[nd].value >= 0 {
			w.step1 = append(w.step1, c.chars.values[c.chars.nodes[nd].value]...)
		} else {
			w.step1 = append(w.step1, s[i:i+size]...)
		}
		i += size
	}
	w.step2 = replace(c.twPhrases, w.step2[:0], w.step1)
	return replace(c.variants, dst, w.step2)
}

// runeInfo computes info(r), keeping a long value in *long. An invalid byte,
// which decode and so every step of the chain reads as utf8.RuneError, gets
// that rune's information.
func (c *Converter) runeInfo(r rune, long *[]string) runeInfo {
	ri := runeInfo{phrase: c.phrases.root(r), tw: -1}
	step1 := string(r)
	if nd := c.chars.root(r); nd >= 0 && c.chars.nodes[nd].value >= 0 {
		step1 = c.chars.values[c.chars.nodes[nd].value]
	}
	first, size := utf8.DecodeRuneInString(step1)
	ri.step1 = first
	if size != len(step1) {
		ri.flags |= multi
	}
	for _, r := range step1 {
		nd := c.twPhrases.root(r)
		switch {
		case nd < 0:
		case size == len(step1) && c.variantsPerRune:
			ri.tw = nd
			ri.flags |= twStart
		default:
			ri.flags |= twAlways
		}
	}
	out := step1
	if c.variantsPerRune {
		out = string(replace(c.variants, nil, step1))
	} else if strings.ContainsFunc(step1, func(r rune) bool { return c.variants.root(r) >= 0 }) {
		ri.flags |= twAlways
	}
	switch {
	case out == string(r):
	case len(out) <= len(ri.val):
		ri.n = uint8(copy(ri.val[:], out))
	case long == nil:
		// Called from chunk, which must not write to c: leave the rune
		// to the long way.
		ri.flags |= twAlways
	default:
		ri.n = longValue
		binary.LittleEndian.PutUint32(ri.val[:], uint32(len(*long)))
		*long = append(*long, out)
	}
	if ri.phrase < 0 && ri.n == 0 && ri.flags == 0 {
		ri.flags = plain
	}
	return ri
}

// taiwan appends s to w.dst through the chain's last two steps, TWPhrases
// then TWVariants.
func (c *Converter) taiwan(w *work, s []byte) {
	w.step2 = replace(c.twPhrases, w.step2[:0], s)
	w.dst = replace(c.variants, w.dst, w.step2)
}

// characters converts s character by character, as OpenCC s2tw does:
// STPhrases only to choose between a character's Traditional forms
// (注册 → 註冊), STCharacters, then TWVariants; never TWPhrases, which
// substitute Taiwan words. Names and document numbers convert this way.
// quotes maps the glossary's one-character entries (the quotation marks).
// It must run before New folds TWPhrases into the phrases' values.
func (c *Converter) characters(s string, quotes map[rune]string) string {
	var b []byte
	for i := 0; i < len(s); {
		r, size := decode(s, i)
		if q, ok := quotes[r]; ok {
			b = append(b, q...)
			i += size
			continue
		}
		if n, v := longest(c.phrases, s[i:]); n > 0 {
			b = append(b, c.phrases.values[v]...)
			i += n
			continue
		}
		if nd := c.chars.root(r); nd >= 0 && c.chars.nodes[nd].value >= 0 {
			b = append(b, c.chars.values[c.chars.nodes[nd].value]...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(replace(c.variants, nil, b))
}

// Protected returns what the protected term t becomes, and whether t is
// one of the converter's protected terms or glossary entries.
func (c *Converter) Protected(t string) (string, bool) {
	i, ok := slices.BinarySearch(c.terms, t)
	if !ok {
		return "", false
	}
	return c.values[i], true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
