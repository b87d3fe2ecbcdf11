package trust_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

var update = flag.Bool("update", false, "rewrite testdata/known-answer-v2.txt")

const katFile = "testdata/known-answer-v2.txt"

// katSnapshot is the fixed snapshot of the known-answer vectors: TEST-ONLY
// keys from published seeds, nonces from a fixed stream, one fictional
// certificate with its lookup copy, one revocation.
func katSnapshot(t *testing.T, dir string) (b *trusttest.Builder, tok record.Token, env []byte) {
	t.Helper()
	b = trusttest.New("kat")
	b.Signing = trusttest.Key("kat signing")
	b.Timestamp = trusttest.Key("kat timestamp")
	b.List.Keys = nil
	b.AddKey(b.Signing, trust.RoleSigning, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
	b.AddKey(b.Timestamp, trust.RoleTimestamp, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
	tok = trusttest.Token("kat")
	h := trusttest.Holder{Name: "林测试明", IDNumber: "80736152", BirthYear: 1990}
	c := trusttest.Cert("S000035000001254000001", h, issued)
	c.ValidUntil = time.Date(2029, 11, 30, 0, 0, 0, 0, time.UTC)
	env, err := b.Add(tok, c, &h, b.Signing, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Revoke(trusttest.Token("kat revoked"), issued.AddDate(0, 1, 0), record.Withdrawn, b.Signing, signedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(dir, now.Add(-time.Hour), lifetime); err != nil {
		t.Fatal(err)
	}
	return b, tok, env
}

// TestKnownAnswer pins every encoding of version 2 (the vectors of
// docs/certificate-format.md): fixed keys, nonces and records give fixed
// bytes. If it fails, the format changed: that breaks every verifier
// written from the document, so it needs a new version, not -update.
func TestKnownAnswer(t *testing.T) {
	dir := t.TempDir()
	b, tok, env := katSnapshot(t, dir)
	loc, key, err := seal.TokenKeys(tok)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := seal.Normalize(" s000035000001254000001 ", "林 测试明", "８０７３６１５２")
	lloc, lkey, err := seal.LookupKeys(l, trusttest.Pepper(), seal.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string) []byte {
		d, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var out strings.Builder
	w := func(k string, v any) { fmt.Fprintf(&out, "%-22s %v\n", k, v) }
	x := func(b []byte) string { return hex.EncodeToString(b) }
	fmt.Fprintf(&out, "# qualbridge format v2 known-answer vectors (docs/certificate-format.md). TEST-ONLY keys, fictional holder.\n")
	for _, k := range []struct {
		name string
		priv ed25519.PrivateKey
	}{{"root", b.RootKeys[0]}, {"signing", b.Signing}, {"timestamp", b.Timestamp}} {
		pub := k.priv.Public().(ed25519.PublicKey)
		w(k.name+" seed", x(k.priv.Seed()))
		w(k.name+" public", x(pub))
		w(k.name+" kid", record.KeyID(pub))
	}
	w("pepper", x(func() []byte { p := trusttest.Pepper(); return p[:] }()))
	w("token", tok)
	w("locator", x(loc[:]))
	w("seal key", x(key[:]))
	w("lookup input", fmt.Sprintf("%q %q %q", " s000035000001254000001 ", "林 测试明", "８０７３６１５２"))
	w("lookup normalised", fmt.Sprintf("%q %q %q", l.Number, l.Name, l.IDNumber))
	w("argon2id", fmt.Sprintf("t=%d m=%d p=%d", seal.DefaultParams().Time, seal.DefaultParams().Memory, seal.DefaultParams().Threads))
	w("lookup locator", x(lloc[:]))
	w("lookup key", x(lkey[:]))
	w("certificate envelope", x(env))
	for _, o := range b.Records {
		w("sealed "+o.Kind.String(), x(o.Sealed))
	}
	w("revocation envelope", x(b.Revocations[0]))
	hb := file(trust.HeadFile)
	head, err := trust.ParseHead(hb)
	if err != nil {
		t.Fatal(err)
	}
	w("root set v1", x(file(trust.RootFile(1))))
	w("trust list", x(file(trust.ListFile(head.ListHash))))
	w("revocation list", x(file(trust.RevocationsFile(head.RevChain))))
	w("revocation chain", x(func() []byte { c := trust.Chain(b.Revocations); return c[1][:] }()))
	w("records hash", x(func() []byte { h := trust.RecordsHash(b.Records); return h[:] }()))
	for _, p := range head.Packs {
		w("pack "+p.Name, x(file(trust.PackFile(p.Name))))
	}
	w("head", x(hb))
	// The layout (docs/certificate-format.md §5): every path the head names.
	for _, p := range trust.Objects(head) {
		w("object", p)
	}
	got := out.String()
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(katFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(katFile)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("the v2 encoding changed; got:\n%s", got)
	}

	// The vectors verify from their own bytes: a verifier written from the
	// document, given the token and these bytes, gets the certificate.
	vec := map[string]string{}
	for _, line := range strings.Split(string(want), "\n") {
		if k, v, ok := strings.Cut(line, "  "); ok && !strings.HasPrefix(line, "#") {
			vec[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	sealed, _ := hex.DecodeString(vec["sealed token"])
	opened, err := seal.Open(key, loc, seal.ByToken, 1, sealed)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := hex.DecodeString(vec["signing public"])
	c, err := record.OpenCertificate(opened, func(string) (ed25519.PublicKey, bool) { return pub, true })
	if err != nil || c.Number != "S000035000001254000001" || c.HolderMasked != "林**明" || c.Locator != loc {
		t.Fatalf("the vector's sealed record: %+v %v", c, err)
	}
	lsealed, _ := hex.DecodeString(vec["sealed lookup"])
	if o2, err := seal.Open(lkey, lloc, seal.ByLookup, 1, lsealed); err != nil || !bytes.Equal(o2, opened) {
		t.Fatalf("the vector's lookup copy: %v", err)
	}
	if _, _, err := trust.Load(dir, b.Pin(), trust.Marks{}, now, trust.DefaultOptions()); err != nil {
		t.Fatalf("the vector's snapshot does not load: %v", err)
	}
}
