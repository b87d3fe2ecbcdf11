package hant

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// A dict is a read-only prefix dictionary: a trie over the runes of its keys,
// answering "which key is the longest prefix of s?" in one walk.
//
// Nodes keep their children as a contiguous, rune-sorted run of edges. The
// root, which has thousands of children, also has a dense table for the Basic
// Multilingual Plane, so the common first step is a single index, and a
// bitset of the BMP runes that start a key, small enough to stay in cache,
// so that most runes that start none cost one bit test.
type dict struct {
	nodes  []node
	edges  []edge
	values []string
	dense  []int32 // root child for each BMP rune, or -1; nil when the dict is empty
	starts [1 << 16 / 64]uint64

	// pairs, when built, is a hash table of the nodes two BMP runes deep,
	// for [dict.second]: the root's children have up to hundreds of
	// children each, too many to search quickly.
	pairs     []pair
	pairShift uint
}

// pair is an entry of dict.pairs: the node after runes key>>16, key&0xffff.
// The zero key marks an empty slot, so NUL never starts a key there.
type pair struct {
	key  uint32
	node int32
}

type node struct {
	first, end int32 // the node's edges are edges[first:end]
	value      int32 // index into values, or -1 when no key ends here
}

type edge struct {
	r     rune
	child int32
}

// entry is one dictionary line: a key and its first candidate.
type entry struct{ key, value string }

// parseDict reads OpenCC's text format: one entry a line, the key, a tab, then
// candidates separated by spaces. Only the first candidate is kept, as OpenCC
// does when converting.
func parseDict(name string, data []byte) ([]entry, error) {
	var ents []entry
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		key, rest, ok := bytes.Cut(line, []byte("\t"))
		if !ok || len(key) == 0 {
			return nil, fmt.Errorf("%s:%d: want key, tab, candidates", name, n)
		}
		value, _, _ := bytes.Cut(rest, []byte(" "))
		if len(value) == 0 {
			return nil, fmt.Errorf("%s:%d: %q has no candidate", name, n, key)
		}
		if !utf8.Valid(line) {
			return nil, fmt.Errorf("%s:%d: invalid UTF-8", name, n)
		}
		ents = append(ents, entry{string(key), string(value)})
	}
	return ents, nil
}

// newDict builds the trie. When several entries share a key, the first wins.
func newDict(ents []entry) *dict {
	ents = slices.Clone(ents)
	slices.SortStableFunc(ents, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	ents = slices.CompactFunc(ents, func(a, b entry) bool { return a.key == b.key })

	d := &dict{
		nodes:  make([]node, 1, len(ents)*2+1),
		edges:  make([]edge, 0, len(ents)*2),
		values: make([]string, 0, len(ents)),
	}
	d.fill(0, ents, 0)
	if len(ents) > 0 {
		d.dense = make([]int32, 0x10000)
		for i := range d.dense {
			d.dense[i] = -1
		}
		for _, e := range d.edges[d.nodes[0].first:d.nodes[0].end] {
			if e.r < 0x10000 {
				d.dense[e.r] = e.child
				d.starts[e.r/64] |= 1 << (e.r % 64)
			}
		}
	}
	return d
}

// fill gives node nd its value and children from ents, which are sorted and
// all share their first depth bytes (the path to nd).
func (d *dict) fill(nd int32, ents []entry, depth int) {
	d.nodes[nd].value = -1
	if len(ents) > 0 && len(ents[0].key) == depth {
		d.nodes[nd].value = int32(len(d.values))
		d.values = append(d.values, ents[0].value)
		ents = ents[1:]
	}
	// Group the rest by their next rune. Sorting by bytes sorts UTF-8 by
	// rune, so each group is contiguous and the edges come out sorted.
	type group struct {
		r          rune
		size       int
		start, end int
	}
	var groups []group
	for i := 0; i < len(ents); {
		r, size := utf8.DecodeRuneInString(ents[i].key[depth:])
		j := i + 1
		for j < len(ents) && strings.HasPrefix(ents[j].key[depth:], ents[i].key[depth:depth+size]) {
			j++
		}
		groups = append(groups, group{r, size, i, j})
		i = j
	}
	first := int32(len(d.edges))
	for _, g := range groups {
		d.edges = append(d.edges, edge{g.r, int32(len(d.nodes))})
		d.nodes = append(d.nodes, node{})
	}
	d.nodes[nd].first, d.nodes[nd].end = first, int32(len(d.edges))
	for i, g := range groups {
		d.fill(d.edges[int(first)+i].child, ents[g.start:g.end], depth+g.size)
	}
}

// indexPairs builds d.pairs.
func (d *dict) indexPairs() {
	n := 0
	for _, e := range d.edges[d.nodes[0].first:d.nodes[0].end] {
		if 0 < e.r && e.r < 0x10000 {
			n += int(d.nodes[e.child].end - d.nodes[e.child].first)
		}
	}
	bits := uint(1)
	for 1<<bits < 2*n {
		bits++
	}
	d.pairs, d.pairShift = make([]pair, 1<<bits), 32-bits
	for _, e := range d.edges[d.nodes[0].first:d.nodes[0].end] {
		if e.r <= 0 || e.r >= 0x10000 {
			continue
		}
		for _, f := range d.edges[d.nodes[e.child].first:d.nodes[e.child].end] {
			if f.r >= 0x10000 {
				continue
			}
			key := uint32(e.r)<<16 | uint32(f.r)
			h := key * 0x9e3779b1 >> d.pairShift
			for d.pairs[h].key != 0 {
				h = (h + 1) & uint32(len(d.pairs)-1)
			}
			d.pairs[h] = pair{key, f.child}
		}
	}
}

// second returns the child along r2 of nd, the root's child along r1, or
// -1.
func (d *dict) second(nd int32, r1, r2 rune) int32 {
	if d.pairs == nil || r1 <= 0 || r1 >= 0x10000 || r2 >= 0x10000 {
		return d.child(nd, r2)
	}
	key := uint32(r1)<<16 | uint32(r2)
	mask := uint32(len(d.pairs) - 1)
	for h := key * 0x9e3779b1 >> d.pairShift; ; h = (h + 1) & mask {
		switch d.pairs[h].key {
		case key:
			return d.pairs[h].node
		case 0:
			return -1
		}
	}
}

// root returns the child of the root along r, or -1.
func (d *dict) root(r rune) int32 {
	if r < 0x10000 {
		if d.starts[r/64]&(1<<(r%64)) == 0 {
			return -1
		}
		return d.dense[r]
	}
	return d.child(0, r)
}

// child returns the child of nd along r, or -1.
func (d *dict) child(nd int32, r rune) int32 {
	lo, hi := d.nodes[nd].first, d.nodes[nd].end
	for lo < hi {
		m := int32(uint32(lo+hi) >> 1)
		if d.edges[m].r < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < d.nodes[nd].end && d.edges[lo].r == r {
		return d.edges[lo].child
	}
	return -1
}

// text is what the matching functions read: the input string, or the
// buffer that holds the output of the previous step.
type text interface{ ~string | ~[]byte }

// longest returns the byte length of the longest key that is a prefix of s
// and the index of its value, or 0 and -1.
func longest[T text](d *dict, s T) (n int, value int32) {
	if len(s) == 0 {
		return 0, -1
	}
	r, size := decode(s, 0)
	return longestFrom(d, s, d.root(r), size)
}

// longestFrom is longest for a walk that has reached node nd (-1 for none)
// after the first i bytes of s.
func longestFrom[T text](d *dict, s T, nd int32, i int) (n int, value int32) {
	if nd < 0 {
		return 0, -1
	}
	value = d.nodes[nd].value
	if value >= 0 {
		n = i
	}
	for i < len(s) && d.nodes[nd].first != d.nodes[nd].end {
		r, size := decode(s, i)
		if r == utf8.RuneError && size == 1 {
			break // invalid UTF-8 matches no key
		}
		nd = d.child(nd, r)
		if nd < 0 {
			break
		}
		i += size
		if v := d.nodes[nd].value; v >= 0 {
			n, value = i, v
		}
	}
	return n, value
}

// replace appends s to dst with every longest match from the left replaced
// by its value: the way one step of OpenCC's conversion chain converts one
// segment.
func replace[T text](d *dict, dst []byte, s T) []byte {
	done := 0 // s[:done] is in dst
	for i := 0; i < len(s); {
		r, size := decode(s, i)
		if nd := d.root(r); nd >= 0 {
			if n, v := longestFrom(d, s[i:], nd, size); n > 0 {
				dst = append(dst, s[done:i]...)
				dst = append(dst, d.values[v]...)
				i += n
				done = i
				continue
			}
		}
		i += size
	}
	return append(dst, s[done:]...)
}

// decode is utf8.DecodeRuneInString for s[i:], for either kind of text.
func decode[T text](s T, i int) (rune, int) {
	b := s[i]
	switch {
	case b < utf8.RuneSelf:
		return rune(b), 1
	case b&0xe0 == 0xc0 && i+1 < len(s) && s[i+1]&0xc0 == 0x80:
		r := rune(b&0x1f)<<6 | rune(s[i+1]&0x3f)
		if r >= 0x80 {
			return r, 2
		}
	case b&0xf0 == 0xe0 && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80:
		r := rune(b&0x0f)<<12 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f)
		if r >= 0x800 && (r < 0xd800 || r > 0xdfff) {
			return r, 3
		}
	case b&0xf8 == 0xf0 && i+3 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 && s[i+3]&0xc0 == 0x80:
		r := rune(b&0x07)<<18 | rune(s[i+1]&0x3f)<<12 | rune(s[i+2]&0x3f)<<6 | rune(s[i+3]&0x3f)
		if r >= 0x10000 && r <= utf8.MaxRune {
			return r, 4
		}
	}
	return utf8.RuneError, 1
}
