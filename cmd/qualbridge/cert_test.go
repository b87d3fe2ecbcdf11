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

	"github.com/qualbridge/qualbridge/issuance"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
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
	return qbEnv(t, nil, args...)
}

// qbEnv is qb with more environment variables.
func qbEnv(t testing.TB, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == passphraseEnv {
			return testPassphrase
		}
		return env[k]
	}
	err = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

// newCentre makes a registry as a centre does before its first batch
// (trust init, keygen -root-key) under dir, and returns it and the
// signing key file.
func newCentre(t testing.TB, dir string) (reg, key string) {
	t.Helper()
	reg, key = filepath.Join(dir, "reg"), filepath.Join(dir, "TEST-key.age")
	root := filepath.Join(dir, "TEST-root.age")
	mustQB(t, "trust", "init", "-registry", reg, "-root-key", root, "-timestamp-key", filepath.Join(dir, "TEST-ts.age"), "-scrypt-work-factor", "10")
	mustQB(t, "keygen", "-registry", reg, "-key", key, "-root-key", root, "-scrypt-work-factor", "10")
	return reg, key
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

// TestIssueEndToEnd issues a batch through the command and checks it
// as a holder and the centre would: each personal record decrypts with
// the centre's identity, its token's locator finds its certificate in
// the issuance log, signed by a key of the root-signed trust list, with
// the personal record's digest and the masked fields; and each printed
// QR code holds exactly that token's URL.
func TestIssueEndToEnd(t *testing.T) {
	dir := t.TempDir()
	reg, key := newCentre(t, dir)
	out := filepath.Join(dir, "out")
	batch := filepath.Join(dir, "batch.csv")
	if err := os.WriteFile(batch, []byte(fictionalBatch(4)), 0o600); err != nil {
		t.Fatal(err)
	}
	mustQB(t, "issue", "-registry", reg, "-key", key, "-recipient", testRecipient, "-catalog", testCatalog, "-out", out, "-date", "2025-12-31", batch)

	tr, err := issuance.OpenTrust(reg)
	if err != nil {
		t.Fatal(err)
	}
	log, err := os.ReadFile(filepath.Join(reg, "certs", "000001.sealed"))
	if err != nil {
		t.Fatal(err)
	}
	byLoc := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(log)), "\n")[1:] {
		f := strings.Fields(l)
		byLoc[f[1]] = f
	}
	if len(byLoc) != 4 {
		t.Fatalf("%d certificates in the issuance log, want 4", len(byLoc))
	}

	idFile, err := os.Open(testIdentity)
	if err != nil {
		t.Fatal(err)
	}
	defer idFile.Close()
	ids, err := age.ParseIdentities(idFile)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := os.ReadFile(filepath.Join(reg, "certs", "000001.personal.age"))
	if err != nil {
		t.Fatal(err)
	}
	pr, err := age.Decrypt(bytes.NewReader(sealed), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(pr); err != nil {
		t.Fatal(err)
	}
	numbers := map[record.Token]string{}
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
		tok := record.Token(f[0])
		loc, _, err := seal.TokenKeys(tok)
		if err != nil {
			t.Fatal(err)
		}
		entry, ok := byLoc[loc.String()]
		if !ok {
			t.Fatalf("%s: its token's locator is not in the issuance log", f[1])
		}
		env, _ := decodeB64url(entry[5])
		cert, err := record.OpenCertificate(env, tr.List.PublicKey(trust.RoleSigning))
		if err != nil {
			t.Fatalf("%s: %v", f[1], err)
		}
		dg, _ := per.Digest()
		if dg != cert.PersonalDigest || cert.Number != f[1] || cert.Locator != loc {
			t.Errorf("personal record of %s does not match its certificate", f[1])
		}
		if cert.HolderMasked != record.MaskName(per.Name) || cert.IDMasked != record.MaskID(per.IDNumber) || cert.BirthYear != 1990 {
			t.Errorf("masking: %+v", cert)
		}
		numbers[tok] = cert.Number
	}
	if len(numbers) != 4 {
		t.Errorf("%d personal records, want 4", len(numbers))
	}

	// Every PNG decodes to exactly its URL, with a Go decoder and, where
	// installed (always in CI), with zbarimg.
	zbar, zerr := exec.LookPath("zbarimg")
	if zerr != nil && os.Getenv("CI") == "true" {
		t.Error("zbarimg is missing: CI must install zbar-tools")
	}
	for tok, number := range numbers {
		want := tok.URL("https://verify.example.org/")
		pngPath := filepath.Join(out, number+".png")
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
		html, err := os.ReadFile(filepath.Join(out, number+".html"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{string(tok), want, number, "经比对采信", "测试技术士甲（单一级）", "测试职业甲", "四级", "2025年12月1日", "<svg", "技能类职业资格采信证书由省职业技能鉴定指导中心代章", "盖章"} {
			if !strings.Contains(string(html), s) {
				t.Errorf("%s.html lacks %q", number, s)
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
// without printing; it reports the registry's size per certificate. The
// lookup copies are sealed at test costs (cheapLookupEnv): the real
// argon2id cost is issuance's BenchmarkIssueSealed10k.
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
				reg, key := newCentre(b, dir)
				in := filepath.Join(dir, "batch.csv")
				if err := os.WriteFile(in, []byte(batch), 0o600); err != nil {
					b.Fatal(err)
				}
				args := []string{"issue", "-registry", reg, "-key", key, "-recipient", testRecipient, "-catalog", testCatalog, "-date", "2025-12-31"}
				if print {
					args = append(args, "-out", filepath.Join(dir, "out"))
				} else {
					args = append(args, "-no-print")
				}
				b.StartTimer()
				if _, errs, err := qbEnv(b, map[string]string{cheapLookupEnv: "1"}, append(args, in)...); err != nil {
					b.Fatalf("issue: %v\n%s", err, errs)
				}
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
