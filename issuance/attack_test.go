package issuance

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStolenRegistry is issue 13's "a stolen registry does not hand over
// every QR code", tried as the thief: the demo batch (demo/applicants.toml,
// fictional holders, the real catalog) issued, one certificate revoked,
// the snapshot published; then every byte of every registry file except
// the age-encrypted personal records, and of the snapshot, is searched
// for each token (as the QR code and URL print it, lowercased, as its
// raw bytes, in hex and in base64), each full holder name and each
// document number — in the files as they are and in every field of them
// decoded from base64 or hex, so that an encoded copy is found too.
func TestStolenRegistry(t *testing.T) {
	applicants, err := os.ReadFile("../demo/applicants.toml")
	if err != nil {
		t.Fatal(err)
	}
	tr := newTrustedRegistry(t, applicants)
	tr.Catalog = os.DirFS("..")
	tr.Input = "demo/applicants.toml"
	tr.Verifier = "http://127.0.0.1:8089"
	res := mustIssue(t, tr.Options)
	if len(res.Certificates) < 3 {
		t.Fatalf("%d certificates issued from the demo batch", len(res.Certificates))
	}
	tr.revoke(t, res.Certificates[1].Public.Number)
	snap := filepath.Join(t.TempDir(), "snapshot")
	tr.publish(t, snap)
	if ds, _ := Check(tr.Registry); len(ds) > 0 {
		t.Fatalf("registry check:\n%s", listString(ds))
	}

	type secret struct {
		what string
		b    []byte
	}
	var secrets []secret
	for _, c := range res.Certificates {
		tok := string(c.Public.Token)
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(tok)
		if err != nil || len(raw) != 20 {
			t.Fatalf("token %s…: %v", tok[:4], err)
		}
		for what, form := range map[string]string{
			"token": tok, "token lowercase": strings.ToLower(tok), "verifier URL": c.URL(), "URL path": "/c/" + tok,
			"token hex": hex.EncodeToString(raw), "token HEX": strings.ToUpper(hex.EncodeToString(raw)),
			"token base64": base64.StdEncoding.EncodeToString(raw), "token base64url": base64.RawURLEncoding.EncodeToString(raw),
			"token raw": string(raw),
			"name":      c.Personal.Name, "document number": c.Personal.IDNumber,
		} {
			secrets = append(secrets, secret{c.Public.Number + " " + what, []byte(form)})
		}
	}
	scan := func(root string, skip func(string) bool) int {
		n := 0
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || skip(p) {
				return err
			}
			n++
			data := mustRead(t, p)
			for _, view := range append([][]byte{data}, decodedFields(data)...) {
				for _, s := range secrets {
					if bytes.Contains(view, s.b) {
						t.Errorf("%s holds %s", p, s.what)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	personal := 0
	files := scan(tr.Registry, func(p string) bool {
		if strings.HasSuffix(p, personalExt) {
			personal++
			return true
		}
		return false
	})
	if personal != 1 || files < 8 {
		t.Fatalf("searched %d registry files beside %d personal records: the registry is not what was meant", files, personal)
	}
	for _, v1 := range []string{"trust.json", "revocations.log", "certs/000001.certs"} {
		if _, err := os.Stat(filepath.Join(tr.Registry, v1)); err == nil {
			t.Errorf("the registry has a version-1 file %s", v1)
		}
	}
	if scan(snap, func(string) bool { return false }) < 4 {
		t.Fatal("the snapshot has too few files to be one")
	}

	// And the personal records do hold the tokens: the registry keeps
	// them, encrypted, so that reprinting and reissuing still work.
	certs, _, err := Reprint(context.Background(), ReprintOptions{Registry: tr.Registry, Identities: testIdentities(t), Batch: 1, Out: t.TempDir()})
	if err != nil || len(certs) != len(res.Certificates) || certs[0].Public.Token != res.Certificates[0].Public.Token {
		t.Fatalf("reprint from the personal records: %v", err)
	}
}

// decodedFields are the fields of data (split at spaces, newlines, tabs,
// quotes, commas and colons) that decode as base64 (standard or URL,
// padded or not) or hex, decoded.
func decodedFields(data []byte) [][]byte {
	var out [][]byte
	fields := bytes.FieldsFunc(data, func(r rune) bool { return strings.ContainsRune(" \n\t\r\",:=", r) })
	for _, f := range fields {
		if len(f) < 8 {
			continue
		}
		s := string(f)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				out = append(out, b)
			}
		}
		if b, err := hex.DecodeString(s); err == nil {
			out = append(out, b)
		}
	}
	return out
}
