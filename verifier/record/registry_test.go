package record

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// testRegistry returns a registry file system with n certificates signed
// by key (TEST-ONLY) and its entries.
func testRegistry(t testing.TB, key ed25519.PrivateKey, n int) (fstest.MapFS, []Entry) {
	s := NewSigner(key)
	trust, err := trustFor(KeyActive, key).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var batch strings.Builder
	var entries []Entry
	tpl := testPublic(t, testToken(t, 0))
	tpl.SignedAt = testSignedAt
	for i := range n {
		p := *tpl
		p.Token = tokenFromBytes([20]byte{byte(i >> 16), byte(i >> 8), byte(i), 0xAA})
		p.Number = fmt.Sprintf("S00003500000125400%04d", i%10000) + fmt.Sprint(i/10000)
		env, err := s.Sign(&p, testSignedAt)
		if err != nil {
			t.Fatal(err)
		}
		e := Entry{Token: p.Token, Number: p.Number, Envelope: env}
		entries = append(entries, e)
		batch.WriteString(FormatEntry(e))
	}
	return fstest.MapFS{
		TrustFile:                       {Data: trust},
		"certs/000001.certs":            {Data: []byte(batch.String())},
		"certs/000001.personal.age":     {Data: []byte("not read by LoadRegistry")},
		"certs/.tmp-000002.certs-12345": {Data: []byte("garbage: ignored")},
	}, entries
}

func TestLoadRegistry(t *testing.T) {
	key := testKey("a")
	fsys, entries := testRegistry(t, key, 3)
	rev := revocationFor(t, key, entries[1])
	fsys[RevocationsFile] = &fstest.MapFile{Data: []byte(b64.EncodeToString(rev) + "\n")}
	r, err := LoadRegistry(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 3 || len(r.ByNumber) != 3 || len(r.Revocations) != 1 {
		t.Fatalf("loaded %d entries, %d numbers, %d revocations", len(r.Entries), len(r.ByNumber), len(r.Revocations))
	}
	for _, e := range entries {
		got := r.Entries[r.ByNumber[e.Number]]
		if got.Token != e.Token || !bytes.Equal(got.Envelope, e.Envelope) {
			t.Errorf("entry %s differs", e.Number)
		}
		if _, err := r.Trust.VerifyEntry(got); err != nil {
			t.Errorf("entry %s: %v", e.Number, err)
		}
	}
	if r.Revocations[entries[1].Token].Reason != Withdrawn {
		t.Error("revocation not loaded")
	}
}

func revocationFor(t testing.TB, key ed25519.PrivateKey, e Entry) []byte {
	env, err := NewSigner(key).SignRevocation(&Revocation{Token: e.Token, Number: e.Number, Date: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Reason: Withdrawn}, testSignedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestLoadRegistryRefuses(t *testing.T) {
	key := testKey("a")
	base, entries := testRegistry(t, key, 3)
	batch := string(base["certs/000001.certs"].Data)
	lines := strings.SplitAfter(batch, "\n")
	rev := b64.EncodeToString(revocationFor(t, key, entries[0])) + "\n"
	other := b64.EncodeToString(revocationFor(t, testKey("b"), entries[0])) + "\n"
	shortKey := strings.Replace(string(base[TrustFile].Data), `"public_key": "`, `"public_key": "AAAA`, 1)

	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no trust list", map[string]string{TrustFile: ""}, "trust.json: malformed: trust list"},
		{"wrong key length", map[string]string{TrustFile: shortKey}, "trust.json: malformed: trust list: key 1: public key is 35 bytes, want 32"},
		{"torn last line", map[string]string{"certs/000001.certs": strings.TrimSuffix(batch, "\n")}, "certs/000001.certs: malformed: last line has no newline"},
		{"two fields", map[string]string{"certs/000001.certs": lines[0] + "AAAA BBBB\n"}, "certs/000001.certs:2: malformed: want"},
		{"bad token", map[string]string{"certs/000001.certs": lines[0] + strings.ToLower(lines[1])}, "certs/000001.certs:2: malformed: token has a character outside"},
		{"bad base64", map[string]string{"certs/000001.certs": lines[0] + lines[1][:len(lines[1])-3] + "=\n"}, "certs/000001.certs:2: malformed: envelope is not base64url"},
		{"duplicate token", map[string]string{"certs/000001.certs": batch, "certs/000002.certs": lines[2]}, "certs/000002.certs:1: duplicate token"},
		{"duplicate number", map[string]string{"certs/000002.certs": strings.Replace(lines[0], string(entries[0].Token), string(testToken(t, 9)), 1)}, "certs/000002.certs:1: duplicate certificate number"},
		{"revoked twice", map[string]string{RevocationsFile: rev + rev}, "revocations.log:2: certificate " + entries[0].Number + " revoked twice"},
		{"revocation by unknown key", map[string]string{RevocationsFile: rev + other}, "revocations.log:2: unknown signing key"},
		{"revocation not base64", map[string]string{RevocationsFile: "!!\n"}, "revocations.log:1: malformed: not base64url"},
		{"revocation of unknown token", map[string]string{"certs/000001.certs": lines[1] + lines[2], RevocationsFile: rev}, "revocations.log:1: revocation of token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for k, v := range base {
				fsys[k] = v
			}
			for k, v := range tt.files {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			_, err := LoadRegistry(fsys)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("LoadRegistry error = %v\nwant prefix %q", err, tt.want)
			}
		})
	}
}

func TestParseTrustList(t *testing.T) {
	key := testKey("a")
	good, err := trustFor(KeyActive, key).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tl, err := ParseTrustList(good)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := tl.Marshal()
	if !bytes.Equal(again, good) {
		t.Errorf("trust list does not round-trip:\n%s\n%s", good, again)
	}
	s := string(good)
	kid := KeyID(key.Public().(ed25519.PublicKey))
	dupKeys := strings.Replace(s, "  ]", "  ,"+s[strings.Index(s, "    {"):strings.Index(s, "  ]")]+"  ]", 1)
	tests := map[string]string{
		"wrong kid":       strings.Replace(s, kid, "aaaaaaaaaaaaaaaa", 1),
		"short key":       strings.Replace(s, `"public_key": "`, `"public_key": "AAAA`, 1),
		"not base64":      strings.Replace(s, `"public_key": "`, `"public_key": "*`, 1),
		"bad status":      strings.Replace(s, `"active"`, `"valid"`, 1),
		"empty window":    strings.Replace(s, "2030-01-01", "2024-01-01", 1),
		"unknown field":   strings.Replace(s, `"status"`, `"colour": 1, "status"`, 1),
		"version":         strings.Replace(s, `"version": 1`, `"version": 2`, 1),
		"duplicate kid":   dupKeys,
		"trailing object": s + "{}",
	}
	for name, data := range tests {
		if _, err := ParseTrustList([]byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, ok := tl.Key(kid); !ok {
		t.Error("Key(kid) not found")
	}
}

func TestWriteBatchAndRevocation(t *testing.T) {
	key := testKey("a")
	fsys, entries := testRegistry(t, key, 2)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, TrustFile), fsys[TrustFile].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"certs/000001.certs", "certs/000002.certs"} {
		got, err := WriteBatch(dir, entries[i:i+1], []byte("age"))
		if err != nil || got != want {
			t.Fatalf("WriteBatch = %q, %v; want %q", got, err, want)
		}
	}
	if err := AppendRevocation(dir, revocationFor(t, key, entries[0])); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRegistry(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Entries) != 2 || len(r.Revocations) != 1 {
		t.Errorf("got %d entries, %d revocations", len(r.Entries), len(r.Revocations))
	}
	// A leftover personal file of a batch that never completed keeps its
	// number from being reused silently.
	if err := os.WriteFile(filepath.Join(dir, "certs", "000003.personal.age"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteBatch(dir, entries[:1], nil); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("WriteBatch over a leftover: %v", err)
	}
}

// BenchmarkLoadRegistry100k loads a registry of 100,000 certificates;
// the verifier's start-up and reloads pay this.
func BenchmarkLoadRegistry100k(b *testing.B) {
	fsys, _ := testRegistry(b, testKey("a"), 100_000)
	b.SetBytes(int64(len(fsys["certs/000001.certs"].Data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := LoadRegistry(fsys); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	s := NewSigner(testKey("a"))
	p := testPublic(b, testToken(b, 1))
	for b.Loop() {
		if _, err := s.Sign(p, testSignedAt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	key := testKey("a")
	env, _ := signedTest(b, key)
	tl := trustFor(KeyActive, key)
	for b.Loop() {
		if _, err := tl.Verify(env); err != nil {
			b.Fatal(err)
		}
	}
}

// Marking a key compromised must take effect: the registry still loads,
// the revocations that key signed are skipped (they may be forged) and
// counted, and its certificates then verify as key compromised.
func TestLoadRegistryCompromisedRevocations(t *testing.T) {
	key := testKey("a")
	fsys, entries := testRegistry(t, key, 2)
	rev := revocationFor(t, key, entries[0])
	trust, err := trustFor(KeyCompromised, key).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	fsys[TrustFile] = &fstest.MapFile{Data: trust}
	fsys[RevocationsFile] = &fstest.MapFile{Data: []byte(b64.EncodeToString(rev) + "\n")}
	r, err := LoadRegistry(fsys)
	if err != nil {
		t.Fatalf("LoadRegistry: %v", err)
	}
	if len(r.Revocations) != 0 || r.Untrusted != 1 {
		t.Fatalf("revocations = %d, untrusted = %d; want 0 and 1", len(r.Revocations), r.Untrusted)
	}
	if _, err := r.Trust.VerifyEntry(r.Entries[entries[0].Token]); !errors.Is(err, ErrKeyCompromised) {
		t.Fatalf("VerifyEntry error = %v, want ErrKeyCompromised", err)
	}
}
