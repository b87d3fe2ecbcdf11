package generator

import (
	"bytes"
	"hash/maphash"
	"strings"

	"github.com/qualbridge/qualbridge/generator/hant"
)

// lineCache produces a page's zh-Hant bytes (its conversion, then the
// script swap) a line at a time and remembers the lines it has seen
// twice: the page chrome, the navigation, list rows and the fixed
// sentences of a template repeat on thousands of pages, and converting
// them once is most of the saving.
//
// Splitting is exact, not an approximation: hant.ConvertHTML converts
// each text node on its own, and no dictionary key or protected term
// holds a line break, so a page cut just after a ">\n" that ends markup
// converts to the same bytes piece by piece as whole (TestLineCache holds
// every page of the test site to that). The cut is never made inside a
// comment or a <script> or <style> element, where ">\n" need not end
// markup.
//
// A lineCache belongs to one worker; it is not safe for concurrent use.
type lineCache struct {
	conv *hant.Converter
	def  string
	seed maphash.Seed
	m    map[uint64]cachedLine // by the hash of the zh-Hans line
	size int                   // bytes held by m
	tmp  []byte                // a line's conversion, before the swap
}

// cachedLine is a line met before: once (hant nil, line "", to keep
// memory for the lines that do repeat) or more.
type cachedLine struct {
	line string
	hant []byte
}

// lineCacheMax bounds the memory a worker's cache holds; past it, new
// lines are converted every time.
const lineCacheMax = 16 << 20

func newLineCache(conv *hant.Converter, def string) *lineCache {
	return &lineCache{conv: conv, def: def, seed: maphash.MakeSeed(), m: map[uint64]cachedLine{}}
}

// appendHant appends the zh-Hant page of the zh-Hans HTML src to dst:
// swap(ConvertHTML(src), true), computed piece by piece.
func (lc *lineCache) appendHant(dst []byte, src string) []byte {
	raw := openRaw(src) // where cut must look harder, -1 when nowhere
	for off := 0; off < len(src); {
		n := cut(src[off:], raw-off)
		line := src[off : off+n]
		off += n
		if raw >= 0 && raw < off {
			raw = openRaw(src[off:])
			if raw >= 0 {
				raw += off
			}
		}
		h := maphash.String(lc.seed, line)
		c, seen := lc.m[h]
		if c.hant != nil && c.line == line {
			dst = append(dst, c.hant...)
			continue
		}
		start := len(dst)
		lc.tmp = lc.conv.AppendConvertHTML(lc.tmp[:0], line)
		if bytes.Contains(lc.tmp, []byte("zh-")) { // all that swap rewrites starts so
			dst = swap(dst, string(lc.tmp), true, lc.def)
		} else {
			dst = append(dst, lc.tmp...)
		}
		switch {
		case lc.size > lineCacheMax || c.hant != nil: // full, or another line with the same hash
		case !seen:
			lc.m[h] = cachedLine{}
			lc.size += 16
		default:
			b := bytes.Clone(dst[start:])
			lc.m[h] = cachedLine{strings.Clone(line), b}
			lc.size += len(line) + len(b)
		}
	}
	return dst
}

// cut returns the length of the first piece of s: up to and including
// the first "\n" that follows a '>', skipping over comments and script
// and style elements; all of s when there is none. raw is the index in s
// of the first comment, script or style (openRaw), or -1.
func cut(s string, raw int) int {
	i := 0
	for {
		j := strings.Index(s[i:], ">\n")
		if j < 0 {
			return len(s)
		}
		end := i + j + 2
		// Is the cut inside a comment, a script or a style? Only these
		// can hold a ">\n" that ends no markup in the generator's HTML
		// (html/template escapes '>' in attribute values).
		if raw >= i && raw < end {
			close := rawClose(s[raw:])
			if close < 0 {
				return len(s)
			}
			i = raw + close - 1 // at its closing '>', which may end the piece
			if raw = openRaw(s[i:]); raw >= 0 {
				raw += i
			}
			continue
		}
		return end
	}
}

// openRaw returns the index in s of the first "<!--", "<script" or
// "<style" (in any case), or -1.
func openRaw(s string) int {
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return -1
		}
		i += j
		rest := s[i+1:]
		if strings.HasPrefix(rest, "!--") || hasPrefixFold(rest, "script") || hasPrefixFold(rest, "style") {
			return i
		}
		i++
	}
}

// rawClose returns the index just past the end of the comment, script or
// style element that s starts with, or -1 if it does not end.
func rawClose(s string) int {
	var end string
	switch {
	case strings.HasPrefix(s, "<!--"):
		if k := strings.Index(s[4:], "-->"); k >= 0 {
			return 4 + k + 3
		}
		return -1
	case hasPrefixFold(s[1:], "script"):
		end = "</script"
	default:
		end = "</style"
	}
	for i := 1; ; {
		j := strings.Index(s[i:], "</")
		if j < 0 {
			return -1
		}
		i += j
		if hasPrefixFold(s[i:], end) {
			if k := strings.IndexByte(s[i:], '>'); k >= 0 {
				return i + k + 1
			}
			return -1
		}
		i += 2
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
