package verifier

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// answer is one verification answer. The JSON answer is this struct and
// the HTML page is rendered from it, so both carry the same fields.
// Malformed and Unavailable answers are RFC 9457 problem documents: the
// same fields plus Type.
type answer struct {
	Type    string  `json:"type,omitempty"`
	Outcome Outcome `json:"outcome"`
	Status  int     `json:"status"`
	Title   string  `json:"title"`
	Detail  string  `json:"detail"`
	// CheckedAt is the time of the check, DataAt the signing time of the
	// snapshot's head (how fresh the data is), HeadSeq its sequence; all
	// in China time, RFC 3339. DataAt and HeadSeq are empty without a
	// snapshot.
	CheckedAt string `json:"checkedAt"`
	DataAt    string `json:"dataAt,omitempty"`
	HeadSeq   string `json:"headSequence,omitempty"`
	// CheckedAtText and DataAtText are the same two times as the page
	// shows them to a person: date and time of day in Beijing time,
	// without the "T" and the offset of RFC 3339 (which would break a
	// narrow column mid-date).
	CheckedAtText string    `json:"-"`
	DataAtText    string    `json:"-"`
	Certificate   *certView `json:"certificate,omitempty"`
	Revocation    *revView  `json:"revocation,omitempty"`
}

// certView is what a valid answer shows of a certificate; a revoked one
// shows the number only.
type certView struct {
	Number              string      `json:"number"`
	Holder              *holderView `json:"holder,omitempty"`
	TaiwanQualification string      `json:"taiwanQualification,omitempty"`
	TaiwanGrade         string      `json:"taiwanGrade,omitempty"`
	OccupationCode      string      `json:"occupationCode,omitempty"`
	OccupationName      string      `json:"occupationName,omitempty"`
	Level               string      `json:"level,omitempty"`
	QualificationID     string      `json:"qualificationId,omitempty"`
	Issuer              string      `json:"issuer,omitempty"`
	IssueDate           string      `json:"issueDate,omitempty"`
	ValidUntil          string      `json:"validUntil,omitempty"` // empty: no expiry
	Generation          string      `json:"generation,omitempty"`
	KID                 string      `json:"kid,omitempty"`
}

// holderView holds the holder fields, masked by the issuer before signing.
type holderView struct {
	Name      string `json:"name"`
	BirthYear int    `json:"birthYear"`
	// BirthYearText is BirthYear for the page.
	BirthYearText string `json:"-"`
	IDType        string `json:"idType"`
	IDTypeName    string `json:"idTypeName"`
	IDNumber      string `json:"idNumber"`
}

type revView struct {
	Date       string `json:"date"`
	Reason     string `json:"reason"`
	ReasonText string `json:"reasonText"`
}

// problemBase prefixes the type URI of problem answers. A tag URI names
// the problem stably without promising a page behind it.
const problemBase = "tag:qualbridge,2025:verifier/"

const (
	dateLayout = "2006-01-02"
	timeLayout = "2006-01-02T15:04:05-07:00"
	// pageTimeLayout is a time as the page shows it, in China time
	// (the label says so).
	pageTimeLayout = "2006-01-02 15:04:05"
)

// newAnswer builds the answer of outcome o in the script of t at now,
// over snapshot snap (nil: none). v may be nil for outcomes that are not
// about a record.
//
// at is now as the answer shows it (see [clock]).
func newAnswer(t *text, o Outcome, v *verdict, at *stamp, snap *Snapshot) *answer {
	// One allocation for the answer and the views it points to.
	buf := &struct {
		a answer
		c certView
		h holderView
		r revView
	}{}
	a := &buf.a
	*a = answer{Outcome: o, Status: o.Status(), Title: t.Title[o], Detail: t.Detail[o], CheckedAt: at.text, CheckedAtText: at.page}
	if snap != nil {
		a.DataAt, a.DataAtText, a.HeadSeq = snap.dataAt, snap.dataAtPage, snap.headSeq
	}
	if o == Malformed || o == Unavailable {
		a.Type = problemBase + string(o)
	}
	if v == nil {
		return a
	}
	switch o {
	case Valid, Expired:
		p := v.cert
		buf.h = holderView{
			Name: p.HolderMasked, BirthYear: p.BirthYear, BirthYearText: strconv.Itoa(p.BirthYear),
			IDType: string(p.IDType), IDTypeName: t.IDTypes[p.IDType], IDNumber: p.IDMasked,
		}
		c := &buf.c
		*c = certView{
			Number:              p.Number,
			Holder:              &buf.h,
			TaiwanQualification: p.TaiwanName,
			TaiwanGrade:         p.TaiwanGrade,
			OccupationCode:      p.OccupationCode,
			OccupationName:      p.OccupationName,
			Level:               p.Level,
			QualificationID:     p.QualificationID,
			Issuer:              p.Issuer,
			IssueDate:           p.IssueDate.Format(dateLayout),
			Generation:          strconv.FormatUint(uint64(p.Generation), 10),
			KID:                 p.KID,
		}
		if c.Holder.IDTypeName == "" {
			c.Holder.IDTypeName = p.IDType.Label()
		}
		if !p.ValidUntil.IsZero() {
			c.ValidUntil = p.ValidUntil.Format(dateLayout)
		}
		a.Certificate = c
	case Revoked:
		r := v.rev
		if v.cert != nil {
			buf.c = certView{Number: v.cert.Number}
			a.Certificate = &buf.c
		}
		buf.r = revView{Date: r.Date.Format(dateLayout), Reason: string(r.Reason), ReasonText: t.Reasons[r.Reason]}
		a.Revocation = &buf.r
		if a.Revocation.ReasonText == "" {
			a.Revocation.ReasonText = r.Reason.String()
		}
	}
	return a
}

// clock formats the time of the check once a second rather than once an
// answer: every answer in one second shows the same time.
type clock struct {
	cur atomic.Pointer[stamp]
}

type stamp struct {
	sec  int64
	text string // RFC 3339, for JSON
	page string // pageTimeLayout, for the page
}

func (c *clock) checkedAt(now time.Time) *stamp {
	if st := c.cur.Load(); st != nil && st.sec == now.Unix() {
		return st
	}
	t := now.In(china)
	st := &stamp{sec: now.Unix(), text: t.Format(timeLayout), page: t.Format(pageTimeLayout)}
	c.cur.Store(st)
	return st
}

// format is how an answer is written.
type format int

const (
	htmlFormat format = iota
	jsonFormat
	nFormats
)

// A page is rendered through html/template once per shape, not once per
// request. The template is run on a copy of the answer whose strings are
// sentinels ("\ue000" index "\ue001", private-use characters that the
// template leaves as they are in text); the output, cut at the
// sentinels, is the page's skeleton. A request appends the skeleton's
// parts with its own values HTML-escaped in between: the same bytes as
// running the template, for a fraction of its cost, and with nothing
// cached per certificate (100,000 pages would cost hundreds of MB).
//
// The shape is what changes the template's branches: script, outcome
// and which fields are empty.
type shape struct {
	lang    lang
	outcome Outcome
	filled  uint64 // bit i: string field i is not empty
}

// skeleton is a rendered page cut at its value slots: parts[0], value of
// slots[0], parts[1], …, parts[len(parts)-1].
type skeleton struct {
	parts [][]byte
	slots []int
	size  int
}

const (
	sentinelOpen  = '\ue000'
	sentinelClose = '\ue001'
)

// fields returns pointers to every string of a that the page shows, in a
// fixed order; the order is the slot numbering.
func fields(a *answer) []*string {
	f := make([]*string, 0, 20)
	f = append(f, &a.CheckedAtText, &a.DataAtText, &a.HeadSeq)
	if c := a.Certificate; c != nil {
		f = append(f, &c.Number, &c.TaiwanQualification, &c.TaiwanGrade, &c.OccupationCode,
			&c.OccupationName, &c.Level, &c.Issuer, &c.IssueDate, &c.ValidUntil)
		if h := c.Holder; h != nil {
			f = append(f, &h.Name, &h.BirthYearText, &h.IDTypeName, &h.IDNumber)
		}
	}
	if r := a.Revocation; r != nil {
		f = append(f, &r.Date, &r.ReasonText)
	}
	return f
}

// page renders a in script l through its shape's skeleton.
func (s *server) page(l lang, a *answer) ([]byte, error) {
	vals := fields(a)
	sh := shape{lang: l, outcome: a.Outcome}
	for i, v := range vals {
		if *v != "" {
			sh.filled |= 1 << i
		}
	}
	var sk *skeleton
	if v, ok := s.skeletons.Load(sh); ok {
		sk = v.(*skeleton)
	} else {
		var err error
		if sk, err = s.newSkeleton(l, a); err != nil {
			return nil, err
		}
		s.skeletons.Store(sh, sk)
	}
	out := make([]byte, 0, sk.size+256)
	for i, part := range sk.parts {
		out = append(out, part...)
		if i < len(sk.slots) {
			out = appendEscaped(out, *vals[sk.slots[i]])
		}
	}
	return out, nil
}

func (s *server) newSkeleton(l lang, a *answer) (*skeleton, error) {
	// A deep copy whose strings are sentinels.
	b := *a
	if a.Certificate != nil {
		c := *a.Certificate
		b.Certificate = &c
		if a.Certificate.Holder != nil {
			h := *a.Certificate.Holder
			c.Holder = &h
		}
	}
	if a.Revocation != nil {
		r := *a.Revocation
		b.Revocation = &r
	}
	for i, v := range fields(&b) {
		if *v != "" {
			*v = string(sentinelOpen) + strconv.Itoa(i) + string(sentinelClose)
		}
	}
	page, err := s.pages.render("page", &pageData{T: s.text[l], A: &b})
	if err != nil {
		return nil, err
	}
	sk := &skeleton{size: len(page)}
	open, close := []byte(string(sentinelOpen)), []byte(string(sentinelClose))
	for {
		i := bytes.Index(page, open)
		if i < 0 {
			break
		}
		j := bytes.Index(page[i:], close)
		n, err := strconv.Atoi(string(page[i+len(open) : i+j]))
		if j < 0 || err != nil {
			return nil, fmt.Errorf("skeleton: torn sentinel at byte %d", i)
		}
		sk.parts = append(sk.parts, page[:i])
		sk.slots = append(sk.slots, n)
		page = page[i+j+len(close):]
	}
	sk.parts = append(sk.parts, page)
	return sk, nil
}

// appendEscaped appends s escaped for HTML text, as html/template would
// make it safe: the five significant characters, '+' and NUL.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '"':
			esc = "&#34;"
		case '+':
			esc = "&#43;"
		case 0:
			esc = "\uFFFD"
		default:
			continue
		}
		b = append(append(b, s[last:i]...), esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// pages holds the parsed templates and what every page shares.
type pages struct {
	tmpl     *template.Template
	cssHref  string
	iconHref string
	host     string // the official verifier host shown on every page
	static   fs.FS
}

func newPages(baseURL string) (*pages, error) {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	version := func(name string) (string, error) {
		b, err := fs.ReadFile(static, name)
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(b)
		return "/static/" + name + "?v=" + hex.EncodeToString(sum[:4]), nil
	}
	p := &pages{static: static}
	if p.cssHref, err = version("verifier.css"); err != nil {
		return nil, err
	}
	if p.iconHref, err = version("icon.svg"); err != nil {
		return nil, err
	}
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		p.host = u.Host
	}
	p.tmpl, err = template.New("").Funcs(template.FuncMap{
		"sprintf": fmt.Sprintf,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return p, nil
}

// pageData is what a template sees.
type pageData struct {
	T        *text
	A        *answer
	Form     *lookupForm
	CSS      string
	Icon     string
	Host     string
	LangHref string // the same page in the other script
	Limit    int    // lookups per minute, 0 when unlimited
}

// lookupForm is the state of the manual lookup form.
type lookupForm struct {
	Number, Name string
	Missing      bool
}

func (p *pages) render(name string, d *pageData) ([]byte, error) {
	d.CSS, d.Icon, d.Host = p.cssHref, p.iconHref, p.host
	if d.LangHref == "" {
		d.LangHref = "?lang=" + d.T.OtherLang
	}
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshal writes an answer as compact JSON with a final newline
// (indenting would double the cost of the JSON answer).
func marshal(a any) []byte {
	b, err := json.Marshal(a)
	if err != nil {
		// Only plain strings, ints and bools: this cannot fail.
		panic(err)
	}
	return append(b, '\n')
}
