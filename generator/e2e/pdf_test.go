package e2e

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// headingsEndingPages reads a tagged PDF (Chromium's, PDF 1.4, no object
// streams) and returns its page count and the pages, 1-based, whose last
// marked content belongs to a heading (H1–H6): a heading left alone at a
// page foot. The last page is not counted.
func headingsEndingPages(pdf []byte) (int, []int, error) {
	objRe := regexp.MustCompile(`(?s)(\d+) 0 obj\s*(.*?)endobj`)
	type elem struct {
		s      string
		parent int
		page   int
		mcids  []int
	}
	elems := map[int]*elem{}
	var kids []int
	refRe := regexp.MustCompile(`(\d+) 0 R`)
	for _, m := range objRe.FindAllSubmatch(pdf, -1) {
		id, _ := strconv.Atoi(string(m[1]))
		body := string(m[2])
		if i := strings.Index(body, "stream"); i >= 0 {
			body = body[:i]
		}
		switch {
		case strings.Contains(body, "/Type /Pages") && strings.Contains(body, "/Kids"):
			k := body[strings.Index(body, "/Kids"):]
			k = k[:strings.IndexByte(k, ']')+1]
			if len(kids) == 0 {
				for _, r := range refRe.FindAllStringSubmatch(k, -1) {
					n, _ := strconv.Atoi(r[1])
					kids = append(kids, n)
				}
			}
		case strings.Contains(body, "/Type /StructElem"):
			e := &elem{page: -1}
			if s := regexp.MustCompile(`/S /(\w+)`).FindStringSubmatch(body); s != nil {
				e.s = s[1]
			}
			if p := regexp.MustCompile(`/P (\d+) 0 R`).FindStringSubmatch(body); p != nil {
				e.parent, _ = strconv.Atoi(p[1])
			}
			if p := regexp.MustCompile(`/Pg (\d+) 0 R`).FindStringSubmatch(body); p != nil {
				e.page, _ = strconv.Atoi(p[1])
			}
			if k := regexp.MustCompile(`/K (\[[^\]]*\]|\d+(?: 0 R)?)`).FindStringSubmatch(body); k != nil {
				v := refRe.ReplaceAllString(k[1], "")
				for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == '[' || r == ']' || r == ' ' || r == '\n' }) {
					if n, err := strconv.Atoi(f); err == nil {
						e.mcids = append(e.mcids, n)
					}
				}
			}
			elems[id] = e
		}
	}
	if len(kids) == 0 || len(elems) == 0 {
		return 0, nil, errors.New("not a tagged PDF with a page tree")
	}
	last := map[int]int{} // page object → element holding its highest MCID
	max := map[int]int{}
	for id, e := range elems {
		for _, mc := range e.mcids {
			if cur, ok := max[e.page]; !ok || mc > cur {
				max[e.page], last[e.page] = mc, id
			}
		}
	}
	var bad []int
	for i, pg := range kids[:len(kids)-1] {
		for id := last[pg]; id != 0; {
			e := elems[id]
			if e == nil {
				break
			}
			if len(e.s) == 2 && e.s[0] == 'H' && e.s[1] >= '1' && e.s[1] <= '6' {
				bad = append(bad, i+1)
				break
			}
			id = e.parent
		}
	}
	return len(kids), bad, nil
}
