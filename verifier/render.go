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
	Type        string    `json:"type,omitempty"`
	Outcome     Outcome   `json:"outcome"`
	Status      int       `json:"status"`
	Title       string    `json:"title"`
	Detail      string    `json:"detail"`
	Certificate *certView `json:"certificate,omitempty"`
	Revocation  *revView  `json:"revocation,omitempty"`
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
	Expired             bool        `json:"expired,omitempty"`
	KID                 string      `json:"kid,omitempty"`
}

// holderView holds the holder fields, masked by the issuer before signing.
type holderView struct {
	Name       string `json:"name"`
	BirthYear  int    `json:"birthYear"`
	IDType     string `json:"idType"`
	IDTypeName string `json:"idTypeName"`
	IDNumber   string `json:"idNumber"`
}

type revView struct {
	Date       string `json:"date"`
	Reason     string `json:"reason"`
	ReasonText string `json:"reasonText"`
}

// problemBase prefixes the type URI of problem answers. A tag URI names
// the problem stably without promising a page behind it.
const problemBase = "tag:qualbridge,2025:verifier/"

// china is the civil time zone of certificate dates.
var china = time.FixedZone("UTC+8", 8*60*60)

const dateLayout = "2006-01-02"

// newAnswer builds the answer of outcome o in the script of t. v may be
// nil for outcomes that are not about a record.
func newAnswer(t *text, o Outcome, v *verdict, now time.Time) *answer {
	a := &answer{Outcome: o, Status: o.Status(), Title: t.Title[o], Detail: t.Detail[o]}
	if o == Malformed || o == Unavailable {
		a.Type = problemBase + string(o)
	}
	if v == nil {
		return a
	}
	switch o {
	case Valid:
		p := v.pub
		c := &certView{
			Number: p.Number,
			Holder: &holderView{
				Name: p.HolderMasked, BirthYear: p.BirthYear,
				IDType: string(p.IDType), IDTypeName: t.IDTypes[p.IDType], IDNumber: p.IDMasked,
			},
			TaiwanQualification: p.TaiwanName,
			TaiwanGrade:         p.TaiwanGrade,
			OccupationCode:      p.OccupationCode,
			OccupationName:      p.OccupationName,
			Level:               p.Level,
			QualificationID:     p.QualificationID,
			Issuer:              p.Issuer,
			IssueDate:           p.IssueDate.Format(dateLayout),
			KID:                 p.KID,
		}
		if c.Holder.IDTypeName == "" {
			c.Holder.IDTypeName = p.IDType.Label()
		}
		if !p.ValidUntil.IsZero() {
			c.ValidUntil = p.ValidUntil.Format(dateLayout)
			c.Expired = expired(p.ValidUntil, now)
		}
		a.Certificate = c
	case Revoked:
		r := v.rev
		a.Certificate = &certView{Number: r.Number}
		a.Revocation = &revView{Date: r.Date.Format(dateLayout), Reason: string(r.Reason), ReasonText: t.Reasons[r.Reason]}
		if a.Revocation.ReasonText == "" {
			a.Revocation.ReasonText = r.Reason.String()
		}
	}
	return a
}

// expired reports whether a certificate valid until the civil date until
// (inclusive) has expired at now, in China's civil time.
func expired(until, now time.Time) bool {
	return !now.Before(expiryInstant(until))
}

// expiryInstant is the first instant after the civil date until.
func expiryInstant(until time.Time) time.Time {
	y, m, d := until.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, china)
}

// format is how an answer is written.
type format int

const (
	htmlFormat format = iota
	jsonFormat
	nFormats
)

// pageCache memoises the rendered answers of one verdict, per format and
// script. A valid certificate's page, its JSON and its headers are then
// the same bytes for every scan of the same snapshot: rendering is paid
// once, like the signature check.
type pageCache struct {
	slots [int(nFormats) * int(nLangs)]atomic.Pointer[rendered]
}

type rendered struct {
	owner *server   // the server whose configuration rendered it
	until time.Time // zero: for ever; else re-render from this instant on
	body  []byte
}

func (c *pageCache) get(s *server, f format, l lang, now time.Time) []byte {
	r := c.slots[int(f)*int(nLangs)+int(l)].Load()
	if r == nil || r.owner != s || (!r.until.IsZero() && !now.Before(r.until)) {
		return nil
	}
	return r.body
}

func (c *pageCache) put(s *server, f format, l lang, until time.Time, body []byte) {
	c.slots[int(f)*int(nLangs)+int(l)].Store(&rendered{owner: s, until: until, body: body})
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

// marshal writes an answer as indented JSON with a final newline.
func marshal(a any) []byte {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		// Only plain strings, ints and bools: this cannot fail.
		panic(err)
	}
	return append(b, '\n')
}
