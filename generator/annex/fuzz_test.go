package annex

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// checkGrid asserts what every reader promises: a grid or a problem,
// every cell positioned inside the file, rectangular rows.
func checkGrid(t *testing.T, name string, data []byte, g *Grid, problems int) {
	if g == nil {
		if problems == 0 {
			t.Fatalf("no grid and no problem for %q", data)
		}
		return
	}
	text, _ := decodeText(data)
	nlines := strings.Count(text, "\n") + 1
	for _, r := range g.Rows {
		for _, c := range r.Cells {
			p := c.Pos
			if p.File != name || p.Line < 1 || p.Line > nlines || p.Col < 1 {
				t.Fatalf("cell %q at %v outside %d lines", c.Text, p, nlines)
			}
			if !utf8.ValidString(c.Text) {
				t.Fatalf("cell %q is not UTF-8", c.Text)
			}
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add(csvOf(f, sampleRows(4), false))
	f.Add(csvOf(f, sampleRows(4), true))
	f.Add([]byte("序号\t大陆职业名称\n1\t\"养老\n护理员\"\n"))
	f.Add([]byte("a,\"b\nc,d"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, ds := readCSV("annex.csv", data)
		checkGrid(t, "annex.csv", data, g, len(ds))
		if g != nil {
			findHeader(g)
		}
	})
}

func FuzzReadHTML(f *testing.F) {
	f.Add(htmlOf(sampleRows(4)))
	f.Add([]byte("<table><tr><td rowspan=3>a<td colspan=2>b<tr><td>c</table>"))
	f.Add([]byte("<table><tr><td>x<table><tr><td>y</td></tr></table></td></tr></table>\n<script><table></script>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, ds := readHTML("notice.html", data)
		checkGrid(t, "notice.html", data, g, len(ds))
		if g != nil {
			findHeader(g)
		}
	})
}
