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
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

//go:embed data/STPhrases.txt data/STCharacters.txt data/TWPhrases.txt data/TWVariants.txt
var data embed.FS

// Converter converts Simplified Chinese to Traditional Chinese with Taiwan
// phrasing, like OpenCC s2twp.
type Converter struct {
	phrases   *dict    // STPhrases, values already through TWPhrases and TWVariants
	chars     *dict    // STCharacters
	twPhrases *dict    // TWPhrases
	variants  *dict    // TWVariants
	protected *dict    // the protected terms, each its own value
	terms     []string // the protected terms, without duplicates
}

// New returns a Converter. Occurrences of the protected terms (names of
// bodies, document numbers) are never converted.
func New(protected ...string) (*Converter, error) {
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
	var prot []entry
	for _, p := range protected {
		switch {
		case p == "":
			errs = append(errs, errors.New("hant: empty protected term"))
		case !utf8.ValidString(p):
			errs = append(errs, fmt.Errorf("hant: protected term %q is not valid UTF-8", p))
		default:
			prot = append(prot, entry{p, p})
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
		protected: newDict(prot),
	}
	c.terms = slices.Compact(slices.Sorted(slices.Values(protected)))
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
	w := work{dst: make([]byte, 0, len(s)+len(s)/16)}
	c.convert(&w, s)
	return string(w.dst)
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
		at, n := -1, 0
		for k, t := range c.terms {
			if next[k] != -1 && next[k] < done {
				next[k] = strings.Index(s[done:], t)
				if next[k] >= 0 {
					next[k] += done
				}
			}
			if next[k] >= 0 && (at < 0 || next[k] < at || next[k] == at && len(t) > n) {
				at, n = next[k], len(t)
			}
		}
		if at < 0 {
			break
		}
		c.chunk(w, s[done:at])
		w.dst = append(w.dst, s[at:at+n]...)
		done = at + n
	}
	c.chunk(w, s[done:])
}

// convertTrie is convert for many protected terms.
func (c *Converter) convertTrie(w *work, s string) {
	done := 0
	for i := 0; i < len(s); {
		if n, _ := longest(c.protected, s[i:]); n > 0 {
			c.chunk(w, s[done:i])
			w.dst = append(w.dst, s[i:i+n]...)
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
// It segments and takes the first step of the chain in one pass: a phrase
// segment's result was computed in New, and the characters between phrases
// gather in w.step1, each through STCharacters, until the next phrase or the
// end closes their segment and sends it through the Taiwan steps.
func (c *Converter) chunk(w *work, s string) {
	w.step1 = w.step1[:0]
	run := false
	for i := 0; i < len(s); {
		r, size := decode(s, i)
		if nd := c.phrases.root(r); nd >= 0 {
			if n, v := longestFrom(c.phrases, s[i:], nd, size); n > 0 {
				if run {
					c.taiwan(w, w.step1)
					w.step1, run = w.step1[:0], false
				}
				w.dst = append(w.dst, c.phrases.values[v]...)
				i += n
				continue
			}
		}
		// STCharacters has only single-character keys (New checks), so
		// its longest match within the segment is the character's own.
		if nd := c.chars.root(r); nd >= 0 && c.chars.nodes[nd].value >= 0 {
			w.step1 = append(w.step1, c.chars.values[c.chars.nodes[nd].value]...)
		} else {
			w.step1 = append(w.step1, s[i:i+size]...)
		}
		run = true
		i += size
	}
	if run {
		c.taiwan(w, w.step1)
	}
}

// taiwan appends s to w.dst through the chain's last two steps, TWPhrases
// then TWVariants.
func (c *Converter) taiwan(w *work, s []byte) {
	w.step2 = replace(c.twPhrases, w.step2[:0], s)
	w.dst = replace(c.variants, w.dst, w.step2)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
