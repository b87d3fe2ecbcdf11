package main

import (
	"bytes"
	"context"
	"encoding/base64"

	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Everything here is TEST-ONLY: the passphrase, the age identity in
// testdata/TEST-ONLY-identity.txt (also in testdata/script/*.txtar) and the
// fictional holders.
const (
	testPassphrase = "TEST-ONLY-passphrase"
	testIdentity   = "testdata/TEST-ONLY-identity.txt"
	testRecipient  = "age167whh6hcxeewyl2azc9hy3fx5dyytmuka3xceltvh952v2utsfhs7tm9d5"
	testCatalog    = "../../issuance/testdata/certcatalog" // the one fictional catalog of the certificate tests
)

// qb runs the command in-process with the TEST-ONLY passphrase.
func qb(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == passphraseEnv {
			return testPassphrase
		}
		return ""
	}
	err = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func mustQB(t testing.TB, args ...string) string {
	t.Helper()
	out, errs, err := qb(t, args...)
	if err != nil {
		t.Fatalf("qualbridge %s: %v\n%s", strings.Join(args, " "), err, errs)
	}
	return out
}

// fictionalBatch returns a CSV batch of n fictional holders (TEST-ONLY):
// permit numbers counted up from 00000001, names 测试 + a counter.
func fictionalBatch(n int) string {
	var b strings.Builder
	b.WriteString("name,sex,birth_date,id_type,id_number,taiwan_name,taiwan_grade,qualification,occupation_code,level,issue_date\n")
	digits := []rune("零一二三四五六七八九")
	for i := range n {
		name := []rune("测试")
		for _, d := range fmt.Sprintf("%d", i) {
			name = append(name, digits[d-'0'])
		}
		sex := "男"
		if i%2 == 1 {
			sex = "女"
		}
		fmt.Fprintf(&b, "%s,%s,1990-01-%02d,通行证,%08d,测试技术士甲,单一级,ceshi-jia-4,9-99-99-01,四级,2025-12-01\n", string(name), sex, i%28+1, i+1)
	}
	return b.String()
}

func TestIssueEndToEnd(t *testing.T) {
	dir := t.TempDir()
	reg, out, key := filepath.Join(dir, "reg"), filepath.Join(dir, "out"), filepath.Join(dir, "key.age")
	batch := filepath.Join(dir, "batch.csv")
	if err := os.WriteFile(batch, []byte(fictionalBatch(4)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustQB(t, "keygen", "-registry", reg, "-key", key, "-scrypt-work-factor", "10")
	mustQB(t, "issue", "-registry", reg, "-key", key, "-recipient", testRecipient, "-catalog", testCatalog, "-out", out, "-date", "2025-12-31", batch)

	r, err := record.LoadRegistry(os.DirFS(reg))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 4 {
		t.Fatalf("%d entries, want 4", len(r.Entries))
	}

	// The personal records decrypt with the centre's identity and match
	// the signed digests.
	idFile, err := os.Open(testIdentity)
	if err != nil {
		t.Fatal(err)
	}
	defer idFile.Close()
	ids, err := age.ParseIdentities(idFile)
	if err != nil {
		t.Fatal(err)
	}
	id := ids[0]
	sealed, err := os.ReadFile(filepath.Join(reg, "certs", "000001.personal.age"))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(pr); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(plain.String()), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		raw, err := decodeB64url(f[2])
		if err != nil {
			t.Fatal(err)
		}
		var per record.Personal
		if err := per.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		pub, err := r.Trust.VerifyEntry(r.Entries[record.Token(f[0])])
		if err != nil {
			t.Fatal(err)
		}
		dg, _ := per.Digest()
		if dg != pub.PersonalDigest || pub.Number != f[1] || !pub.MatchName(per.Name) {
			t.Errorf("personal record of %s does not match its public part", f[1])
		}
		if pub.HolderMasked != record.MaskName(per.Name) || pub.IDMasked != record.MaskID(per.IDNumber) || pub.BirthYear != 1990 {
			t.Errorf("masking: %+v", pub)
		}
		n++
	}
	if n != 4 {
		t.Errorf("%d personal records, want 4", n)
	}

	// Every PNG decodes to exactly its URL, with a Go decoder and, where
	// installed (always in CI), with zbarimg.
	zbar, zerr := exec.LookPath("zbarimg")
	if zerr != nil && os.Getenv("CI") == "true" {
		t.Error("zbarimg is missing: CI must install zbar-tools")
	}
	for tok, e := range r.Entries {
		want := tok.URL("https://verify.example.org/")
		pngPath := filepath.Join(out, e.Number+".png")
		if got := decodeQR(t, pngPath); got != want {
			t.Errorf("%s decodes to %q, want %q", pngPath, got, want)
		}
		if zbar != "" {
			cmd := exec.Command(zbar, "-q", "--raw", pngPath)
			got, err := cmd.Output()
			if err != nil {
				t.Errorf("zbarimg %s: %v", pngPath, err)
			} else if strings.TrimSpace(string(got)) != want {
				t.Errorf("zbarimg %s = %q, want %q", pngPath, got, want)
			}
		}
		html, err := os.ReadFile(filepath.Join(out, e.Number+".html"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{string(tok), want, e.Number, "经比对采信", "测试技术士甲（单一级）", "测试职业甲", "四级", "2025年12月1日", "<svg", "技能类职业资格采信证书由省职业技能鉴定指导中心代章", "盖章"} {
			if !strings.Contains(string(html), s) {
				t.Errorf("%s.html lacks %q", e.Number, s)
			}
		}
	}
}

func decodeB64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}

func decodeQR(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// The PNG is the code as generated, not a photograph of it: without
	// PURE_BARCODE, gozxing's finder-pattern search misses about one
	// code in 200 that zbarimg (and phones) read.
	pure := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, pure)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res.GetText()
}

// BenchmarkIssue10k issues 10,000 fictional certificates, with and
// without printing; it reports the registry's size per certificate.
func BenchmarkIssue10k(b *testing.B) {
	batch := fictionalBatch(10_000)
	for _, print := range []bool{false, true} {
		name := "no-print"
		if print {
			name = "print"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				reg, key, in := filepath.Join(dir, "reg"), filepath.Join(dir, "key.age"), filepath.Join(dir, "batch.csv")
				if err := os.WriteFile(in, []byte(batch), 0o600); err != nil {
					b.Fatal(err)
				}
				mustQB(b, "keygen", "-registry", reg, "-key", key, "-scrypt-work-factor", "10")
				args := []string{"issue", "-registry", reg, "-key", key, "-recipient", testRecipient, "-catalog", testCatalog, "-date", "2025-12-31"}
				if print {
					args = append(args, "-out", filepath.Join(dir, "out"))
				} else {
					args = append(args, "-no-print")
				}
				b.StartTimer()
				mustQB(b, append(args, in)...)
				b.StopTimer()
				var size int64
				filepath.Walk(reg, func(p string, fi os.FileInfo, err error) error {
					if err == nil && fi.Mode().IsRegular() {
						size += fi.Size()
					}
					return nil
				})
				b.ReportMetric(float64(size)/10_000, "registry-B/cert")
				b.ReportMetric(float64(size), "registry-B")
				b.StartTimer()
			}
		})
	}
}
