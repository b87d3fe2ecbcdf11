package issuance

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// The QR code of a certificate's verifier URL, as PNG and SVG.

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
			return nil, fmt.Errorf("核验地址 %q 含非 ASCII 字符", url)
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

// PNG draws the code as a 1-bit greyscale PNG. It writes the file
// itself rather than through image/png: every module row repeats
// qrPixelsPerModule times, so the scanlines are built once per row, and
// image/png's per-pixel path took most of an issue run's time (about
// 2.7 ms per certificate, against 0.1 ms here).
//
// enc may be nil; a worker that prints many codes passes its own, since
// a new zlib writer costs more than compressing one code.
func (q *qr) PNG(enc *pngEncoder) ([]byte, error) {
	if enc == nil {
		enc = &pngEncoder{}
	}
	n := q.modules() * qrPixelsPerModule
	stride := (n + 7) / 8
	raw := &enc.raw
	raw.Reset()
	if enc.zw == nil {
		zw, err := zlib.NewWriterLevel(raw, zlib.BestSpeed)
		if err != nil {
			return nil, err
		}
		enc.zw = zw
	} else {
		enc.zw.Reset(raw)
	}
	zw := enc.zw
	line := make([]byte, 1+stride) // filter type 0, then packed pixels
	for _, row := range q.bitmap {
		clear(line)
		for x, dark := range row {
			if dark {
				continue // 0 is black in greyscale
			}
			for px := x * qrPixelsPerModule; px < (x+1)*qrPixelsPerModule; px++ {
				line[1+px/8] |= 0x80 >> (px % 8)
			}
		}
		for range qrPixelsPerModule {
			zw.Write(line)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(n))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(n))
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, greyscale; compression, filter, interlace 0
	pngChunk(&b, "IHDR", ihdr)
	pngChunk(&b, "IDAT", raw.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes(), nil
}

// pngEncoder holds what PNG reuses from one code to the next.
type pngEncoder struct {
	zw  *zlib.Writer
	raw bytes.Buffer
}

func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
	copy(hdr[4:], typ)
	b.Write(hdr[:])
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write(hdr[4:])
	crc.Write(data)
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc.Sum32())
	b.Write(sum[:])
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
	var num []byte
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
			w := strconv.Itoa(x - start)
			num = append(num[:0], 'M')
			num = strconv.AppendInt(num, int64(start), 10)
			num = append(num, ' ')
			num = strconv.AppendInt(num, int64(y), 10)
			num = append(num, 'h')
			num = append(num, w...)
			num = append(num, "v1h-"...)
			num = append(num, w...)
			num = append(num, 'z')
			b.Write(num)
		}
	}
	b.WriteString(`"/></svg>`)
	if !inline {
		b.WriteString("\n")
	}
	return b.String()
}
