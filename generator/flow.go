package generator

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"unicode/utf8"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// The flow of a guide is drawn for a phone first: one column of boxes top
// to bottom, each box headed by its actor on a band of the actor's colour
// (the "lane"), the time limit as the box's last line. Where the flow
// splits (steps with a Branch), the branches stand side by side and join
// again below. The page also lists the steps as an ordered list, which is
// what assistive technology reads; the SVG is its picture.

const (
	flowWidth = 360
	flowPad   = 8
	flowGap   = 8  // between branch columns
	flowArrow = 22 // vertical space for an arrow
	flowFont  = 13
	flowLine  = 18
	flowBand  = 22 // height of the actor band
)

// actorColours are dark enough for white text (contrast ≥ 4.5:1).
func actorColour(i int) string {
	cs := []string{"#1d4ed8", "#047857", "#9a3412", "#6d28d9", "#be123c", "#0f766e", "#4b5563"}
	return cs[i%len(cs)]
}

// segment is a run of the main line or a split into branches.
type segment struct {
	branches []string         // nil for the main line
	steps    [][]catalog.Step // one column per branch (one for the main line)
}

func segments(steps []catalog.Step) []segment {
	var segs []segment
	for _, s := range steps {
		if s.Branch == "" {
			if len(segs) == 0 || segs[len(segs)-1].branches != nil {
				segs = append(segs, segment{steps: [][]catalog.Step{nil}})
			}
			last := &segs[len(segs)-1]
			last.steps[0] = append(last.steps[0], s)
			continue
		}
		if len(segs) == 0 || segs[len(segs)-1].branches == nil {
			segs = append(segs, segment{branches: []string{}})
		}
		last := &segs[len(segs)-1]
		col := -1
		for i, b := range last.branches {
			if b == s.Branch {
				col = i
			}
		}
		if col < 0 {
			last.branches = append(last.branches, s.Branch)
			last.steps = append(last.steps, nil)
			col = len(last.branches) - 1
		}
		last.steps[col] = append(last.steps[col], s)
	}
	return segs
}

// wrap cuts text into lines that fit width pixels: a Han character takes a
// full em, ASCII half.
func wrap(text string, width int) []string {
	limit := 2 * (width - 2*flowPad) / flowFont // in half-ems
	var lines []string
	var cur strings.Builder
	n := 0
	for _, r := range text {
		w := 2
		if r < utf8.RuneSelf {
			w = 1
		}
		if n+w > limit && cur.Len() > 0 {
			lines = append(lines, cur.String())
			cur.Reset()
			n = 0
		}
		cur.WriteRune(r)
		n += w
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// flowSVG draws a guide's steps; "" when it has none.
func flowSVG(g *catalog.Guide) template.HTML {
	if len(g.Steps) == 0 {
		return ""
	}
	actors := map[string]int{}
	for _, s := range g.Steps {
		if _, ok := actors[s.Actor]; !ok {
			actors[s.Actor] = len(actors)
		}
	}
	var body strings.Builder
	y := flowPad
	prevBottoms := []int{} // x centres of the boxes the next arrow starts from
	arrow := func(x1, y1, x2, y2 int) {
		fmt.Fprintf(&body, `<path d="M%d %dL%d %d" class="fa" marker-end="url(#ah)"/>`, x1, y1, x2, y2)
	}
	box := func(s catalog.Step, x, y, w int) int {
		lines := wrap(s.Action, w)
		var tl []string
		if s.TimeLimit != "" {
			tl = wrap("时限："+s.TimeLimit, w)
		}
		h := flowBand + (len(lines)+len(tl))*flowLine + flowPad
		col := actorColour(actors[s.Actor])
		fmt.Fprintf(&body, `<g><rect x="%d" y="%d" width="%d" height="%d" rx="6" class="fb" stroke="%s"/>`, x, y, w, h, col)
		fmt.Fprintf(&body, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s"/>`, x, y, w, flowBand, col)
		fmt.Fprintf(&body, `<text x="%d" y="%d" class="fl">%s</text>`, x+flowPad, y+16, html.EscapeString(orDash(s.Actor)))
		ty := y + flowBand + 14
		for _, l := range lines {
			fmt.Fprintf(&body, `<text x="%d" y="%d">%s</text>`, x+flowPad, ty, html.EscapeString(l))
			ty += flowLine
		}
		for _, l := range tl {
			fmt.Fprintf(&body, `<text x="%d" y="%d" class="ft">%s</text>`, x+flowPad, ty, html.EscapeString(l))
			ty += flowLine
		}
		body.WriteString("</g>")
		return h
	}
	inner := flowWidth - 2*flowPad
	for _, seg := range segments(g.Steps) {
		k := len(seg.steps)
		w := (inner - (k-1)*flowGap) / k
		// Arrows from every box above to every column below.
		starts := prevBottoms
		if len(starts) > 0 {
			for c := range k {
				xc := flowPad + c*(w+flowGap) + w/2
				for _, s := range starts {
					arrow(s, y, xc, y+flowArrow-2)
				}
			}
			y += flowArrow
		}
		if seg.branches != nil {
			// Each branch is headed by its condition.
			hmax := 0
			for c, b := range seg.branches {
				ls := wrap(b, w)
				for i, l := range ls {
					fmt.Fprintf(&body, `<text x="%d" y="%d" class="fc">%s</text>`, flowPad+c*(w+flowGap)+4, y+14+i*flowLine, html.EscapeString(l))
				}
				hmax = max(hmax, len(ls)*flowLine)
			}
			y += hmax + 4
		}
		bottoms := make([]int, k)
		ends := make([]int, k)
		for c, col := range seg.steps {
			x := flowPad + c*(w+flowGap)
			cy := y
			for i, s := range col {
				if i > 0 {
					arrow(x+w/2, cy, x+w/2, cy+flowArrow-2)
					cy += flowArrow
				}
				cy += box(s, x, cy, w)
			}
			bottoms[c] = x + w/2
			ends[c] = cy
		}
		// Columns of unequal height join at the lowest.
		low := 0
		for _, e := range ends {
			low = max(low, e)
		}
		for c, e := range ends {
			if e < low {
				fmt.Fprintf(&body, `<path d="M%d %dL%d %d" class="fa"/>`, bottoms[c], e, bottoms[c], low)
			}
		}
		y = low
		prevBottoms = bottoms
	}
	h := y + flowPad
	var b strings.Builder
	id := "flow-" + g.ID
	fmt.Fprintf(&b, `<svg class="flow" role="img" aria-labelledby="%s-t %s-d" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		id, id, flowWidth, h, flowWidth, h)
	fmt.Fprintf(&b, `<title id="%s-t">%s：办理流程图</title>`, id, html.EscapeString(g.Title))
	fmt.Fprintf(&b, `<desc id="%s-d">共%d个步骤，文字说明见图下的步骤列表。</desc>`, id, len(g.Steps))
	b.WriteString(`<defs><marker id="ah" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#374151"/></marker></defs>`)
	b.WriteString(body.String())
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

func orDash(s string) string {
	if s == "" {
		return "未公布"
	}
	return s
}
