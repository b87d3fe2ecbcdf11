package main

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Printing: the QR code of a certificate's verifier URL (PNG and SVG),
// and the printable A4 certificate laid out like the template of seed 000
// 附件2.

const (
	// qrPrintMM is the printed width of the QR code, quiet zone included;
	// the design asks for 30–40 mm.
	qrPrintMM = 35.0
	// qrPixelsPerModule makes the PNG about 490 px wide for 49 modules:
	// over 300 dpi at 35 mm.
	qrPixelsPerModule = 10
)

// qr is a QR code at level Q (25% of the symbol may be damaged), the
// smallest version that holds the URL. go-qrcode calls level Q "High".
type qr struct {
	version int
	bitmap  [][]bool // with the 4-module quiet zone
}

func newQR(url string) (*qr, error) {
	for i := 0; i < len(url); i++ {
		if url[i] < 0x21 || url[i] > 0x7e {
			return nil, fmt.Errorf("verifier URL %q is not printable ASCII", url)
		}
	}
	q, err := qrcode.New(url, qrcode.High)
	if err != nil {
		return nil, err
	}
	return &qr{version: q.VersionNumber, bitmap: q.Bitmap()}, nil
}

// modules is the symbol's width in modules, quiet zone included.
func (q *qr) modules() int { return len(q.bitmap) }

// moduleMM is the printed size of one module at qrPrintMM.
func (q *qr) moduleMM() float64 { return qrPrintMM / float64(q.modules()) }

// PNG draws the code as a 1-bit image: small files, sharp edges.
func (q *qr) PNG() ([]byte, error) {
	n := q.modules() * qrPixelsPerModule
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y, row := range q.bitmap {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range qrPixelsPerModule {
				off := img.PixOffset(x*qrPixelsPerModule, y*qrPixelsPerModule+dy)
				for dx := range qrPixelsPerModule {
					img.Pix[off+dx] = 1
				}
			}
		}
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SVG draws the code as one path of horizontal runs in a viewBox of
// modules, so it stays crisp at any size; width and height are the print
// size unless inline is set (then CSS sizes it).
func (q *qr) SVG(inline bool) string {
	n := q.modules()
	var b strings.Builder
	size := fmt.Sprintf(` width="%gmm" height="%gmm"`, qrPrintMM, qrPrintMM)
	if inline {
		size = ` class="qr" role="img" aria-label="核验二维码"`
	} else {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d"%s shape-rendering="crispEdges">`, n, n, size)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range q.bitmap {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < n && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	if !inline {
		b.WriteString("\n")
	}
	return b.String()
}

//go:embed cert_template.html
var certTemplateText string

// certView is what the printed certificate shows: the holder's own
// document, so it carries the full personal data. It goes only to the
// -out directory, never to public/.
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

// pngDataURL is for tests and tools that want the PNG inline.
func pngDataURL(b []byte) string {
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b)
}
