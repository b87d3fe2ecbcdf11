package issuance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReprint prints a batch, reprints one certificate and the whole
// batch from the registry alone (with the centre's identity): the QR
// content is byte-identical, zbarimg decodes it to the verifier URL,
// and the skill-type certificate carries its seal area and 代章 line.
func TestReprint(t *testing.T) {
	o := newRegistry(t, fictionalBatch(0, 3))
	o.Out = filepath.Join(t.TempDir(), "first")
	firstOut := o.Out
	res := mustIssue(t, o)
	num := res.Certificates[1].Public.Number
	again := filepath.Join(t.TempDir(), "again")
	certs, _, err := Reprint(context.Background(), ReprintOptions{Registry: o.Registry, Identities: testIdentities(t), Number: num, Out: again, Catalog: o.Catalog})
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 1 || certs[0].Public.Number != num || certs[0].Personal.Name != res.Certificates[1].Personal.Name {
		t.Fatalf("reprinted %+v", certs)
	}
	for _, ext := range []string{".svg", ".png"} {
		a, _ := os.ReadFile(filepath.Join(o.Out, num+ext))
		b, err := os.ReadFile(filepath.Join(again, num+ext))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s%s differs on reprint (%v)", num, ext, err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(again, num+".html"))
	for _, s := range []string{CoSealLine, "盖章处", "（盖章）", res.Certificates[1].Personal.Name, res.Certificates[1].URL()} {
		if !strings.Contains(string(html), s) {
			t.Errorf("reprinted %s.html lacks %q", num, s)
		}
	}
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("zbarimg is missing: CI must install zbar-tools")
		}
		t.Skip("zbarimg not installed")
	}
	got, err := exec.Command(zbar, "-q", "--raw", filepath.Join(again, num+".png")).Output()
	if err != nil || strings.TrimSpace(string(got)) != res.Certificates[1].URL() {
		t.Errorf("zbarimg = %q (%v), want %q", got, err, res.Certificates[1].URL())
	}
	svg, _ := os.ReadFile(filepath.Join(again, num+".svg"))
	q, _ := newQR(res.Certificates[1].URL())
	if !bytes.Equal(svgBitmap(t, string(svg), q.modules()), flatten(q.bitmap)) {
		t.Error("the SVG does not draw the QR code")
	}

	// The whole batch.
	certs, _, err = Reprint(context.Background(), ReprintOptions{Registry: o.Registry, Identities: testIdentities(t), Batch: 1, Out: again})
	if err != nil || len(certs) != 3 {
		t.Fatalf("batch reprint: %d certificates, %v", len(certs), err)
	}

	// The same applicants file run again (as after a crash while
	// printing) signs nothing; it prints the same QR codes only with the
	// identity that opens the personal records, and says so without it.
	o.Out = filepath.Join(t.TempDir(), "rerun")
	_, err = Issue(context.Background(), o)
	var ae *AgainError
	if !errors.As(err, &ae) || ae.Count != 3 || !strings.Contains(err.Error(), "重新打印须解密个人信息") {
		t.Fatalf("re-run without the identity: %v", err)
	}
	o.Identities = testIdentities(t)
	res2 := mustIssue(t, o)
	if !res2.Again || len(res2.Certificates) != 3 || res2.Batch != "certs/000001.sealed" {
		t.Fatalf("re-run: again=%v, %d certificates, %s", res2.Again, len(res2.Certificates), res2.Batch)
	}
	for _, c := range res.Certificates {
		a, _ := os.ReadFile(filepath.Join(firstOut, c.Public.Number+".png"))
		b, err := os.ReadFile(filepath.Join(o.Out, c.Public.Number+".png"))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s.png differs on the re-run (%v)", c.Public.Number, err)
		}
	}
	assertExactlyOnce(t, o.Registry, 3)
}

var svgRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// svgBitmap redraws the path of an SVG written by qr.SVG.
func svgBitmap(t *testing.T, svg string, n int) []byte {
	out := make([]byte, n*n)
	for _, m := range svgRun.FindAllStringSubmatch(svg, -1) {
		var x, y, w int
		fmt.Sscan(m[1], &x)
		fmt.Sscan(m[2], &y)
		fmt.Sscan(m[3], &w)
		for i := range w {
			out[y*n+x+i] = 1
		}
	}
	return out
}

func flatten(b [][]bool) []byte {
	var out []byte
	for _, row := range b {
		for _, v := range row {
			if v {
				out = append(out, 1)
			} else {
				out = append(out, 0)
			}
		}
	}
	return out
}
