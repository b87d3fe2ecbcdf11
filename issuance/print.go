package issuance

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/verifier/record"
)

// Certificate is an issued certificate as printing needs it: what it
// shows and its token (the fields of the signed version-2 certificate,
// carried in a [record.Public], which is never signed or stored any
// more), the full personal record and the verifier URL base the QR code
// points to. It lives only in memory and on paper.
type Certificate struct {
	Public   *record.Public
	Personal record.Personal
	Verifier string
	// Skill marks a skill-type (技能类) certificate, which the provincial
	// skill assessment guidance centre co-seals (seed 000).
	Skill bool
}

// URL is what the QR code holds.
func (c *Certificate) URL() string { return c.Public.Token.URL(c.Verifier) }

// isSkill says whether a qualification's certificate is skill-type: the
// catalog's category where it says, else (an inference) whether it maps
// to a 职业技能等级, which only skill-type rows have.
func isSkill(q *catalog.Qualification, level string) bool {
	if q != nil && q.Category != "" {
		return q.Category == "技能类"
	}
	return catalog.Level(level).Rank() > 0
}

// CoSealLine is printed on skill-type certificates (seed 000).
const CoSealLine = "技能类职业资格采信证书由省职业技能鉴定指导中心代章"

//go:embed certificate.html
var certTemplateText string

// certView is what the printed certificate shows: the holder's own
// document, so it carries the full personal data. It goes only to the
// output directory, never to public/.
type certView struct {
	Number         string
	Name           string
	Sex            string
	Birth          string // 1990年5月17日
	IDLabel        string // 台湾居民往来大陆通行证号 (as the template prints it) or 台湾居民居住证号
	IDNumber       string
	TaiwanQual     string // 照顾服务员（单一级）
	OccupationName string
	OccupationCode string
	Level          string
	Issuer         string
	IssueDate      string // 2025年12月1日
	ValidUntil     string // empty: no expiry
	Token          string
	URL            string
	QR             template.HTML // inline SVG, generated here
	CoSeal         string        // the 代章 line of skill-type certificates, or empty
}

func newCertTemplate() (*template.Template, error) {
	return template.New("cert").Parse(certTemplateText)
}

func chineseDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

func idLabel(t record.IDType) string {
	if t == record.Residence {
		return "台湾居民居住证号"
	}
	// The template of seed 000 prints 往来, not the document's own 来往.
	return "台湾居民往来大陆通行证号"
}

// PrintInfo describes the QR codes of a print run.
type PrintInfo struct {
	Version  int     // QR version of the first code
	Modules  int     // its width in modules, quiet zone included
	ModuleMM float64 // printed size of one module
	PrintMM  float64 // printed width of the code
}

// Print writes <number>.png, .svg and .html for each certificate into
// out. It can be run any number of times: the files are regenerated from
// the registry's data, never part of it. QR and PNG encoding cost far
// more than signing, so the work is spread over the CPUs.
func Print(ctx context.Context, out string, certs []Certificate) (PrintInfo, error) {
	if len(certs) == 0 {
		return PrintInfo{}, nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return PrintInfo{}, err
	}
	tpl, err := newCertTemplate()
	if err != nil {
		return PrintInfo{}, err
	}
	work := make(chan *Certificate)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			enc := &pngEncoder{}
			for cert := range work {
				if err := printOne(out, tpl, enc, cert); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for i := range certs {
		if ctx.Err() != nil || len(errs) > 0 {
			break
		}
		work <- &certs[i]
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return PrintInfo{}, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return PrintInfo{}, err
	}
	q, err := newQR(certs[0].URL())
	if err != nil {
		return PrintInfo{}, err
	}
	return PrintInfo{Version: q.version, Modules: q.modules(), ModuleMM: q.moduleMM(), PrintMM: qrPrintMM}, nil
}

func printOne(out string, tpl *template.Template, enc *pngEncoder, cert *Certificate) error {
	p, per := cert.Public, &cert.Personal
	link := cert.URL()
	q, err := newQR(link)
	if err != nil {
		return err
	}
	pngData, err := q.PNG(enc)
	if err != nil {
		return err
	}
	taiwan := p.TaiwanName
	if p.TaiwanGrade != "" {
		taiwan += "（" + p.TaiwanGrade + "）"
	}
	view := certView{
		Number:         p.Number,
		Name:           per.Name,
		Sex:            per.Sex,
		Birth:          chineseDate(per.BirthDate),
		IDLabel:        idLabel(per.IDType),
		IDNumber:       per.IDNumber,
		TaiwanQual:     taiwan,
		OccupationName: p.OccupationName,
		OccupationCode: p.OccupationCode,
		Level:          p.Level,
		Issuer:         p.Issuer,
		IssueDate:      chineseDate(p.IssueDate),
		Token:          string(p.Token),
		URL:            link,
		QR:             template.HTML(q.SVG(true)),
	}
	if cert.Skill {
		view.CoSeal = CoSealLine
	}
	if !p.ValidUntil.IsZero() {
		view.ValidUntil = chineseDate(p.ValidUntil)
	}
	var html bytes.Buffer
	if err := tpl.Execute(&html, view); err != nil {
		return err
	}
	stem := filepath.Join(out, p.Number)
	for _, f := range []struct {
		ext  string
		data []byte
	}{{".png", pngData}, {".svg", []byte(q.SVG(false))}, {".html", html.Bytes()}} {
		// Printed files are regenerable, so no fsync/rename here: they
		// were a quarter of a 10,000-certificate run.
		if err := os.WriteFile(stem+f.ext, f.data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
