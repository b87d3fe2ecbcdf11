package record

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
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestKnownAnswer pins the v1 encoding: a TEST-ONLY key from a fixed
// seed, a fixed (fictional) record and a token from a fixed reader give
// fixed bytes. If this test fails, the encoding changed: that breaks
// every printed certificate, so it needs a new version, not -update.
func TestKnownAnswer(t *testing.T) {
	key := testKey("known-answer")
	pub := key.Public().(ed25519.PublicKey)
	env, p := signedTest(t, key)
	per := testPersonal()
	perBytes, err := per.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	rev := revocationEnv(t, key)
	trust, err := trustFor(KeyActive, key).Marshal()
	if err != nil {
		t.Fatal(err)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# qualbridge record v1 known-answer vectors. TEST-ONLY key and fictional holder.\n")
	fmt.Fprintf(&b, "seed            %x\n", key.Seed())
	fmt.Fprintf(&b, "public key      %x\n", []byte(pub))
	fmt.Fprintf(&b, "kid             %s\n", KeyID(pub))
	fmt.Fprintf(&b, "token           %s\n", p.Token)
	fmt.Fprintf(&b, "url             %s\n", p.Token.URL("https://verify.example.org"))
	fmt.Fprintf(&b, "token hash      %s\n", p.Token.Hash())
	fmt.Fprintf(&b, "name check      %x\n", p.NameCheck)
	fmt.Fprintf(&b, "personal        %x\n", perBytes)
	fmt.Fprintf(&b, "personal digest %x\n", p.PersonalDigest)
	fmt.Fprintf(&b, "envelope        %x\n", env)
	fmt.Fprintf(&b, "signature       %x\n", env[len(env)-64:])
	fmt.Fprintf(&b, "revocation      %x\n", rev)
	fmt.Fprintf(&b, "trust.json\n%s", trust)
	got := []byte(b.String())

	golden := filepath.Join("testdata", "known-answer-v1.txt")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("known-answer vectors differ from %s:\n%s", golden, diffLines(string(want), string(got)))
	}

	// The golden envelope itself verifies (independent of re-signing).
	var envHex string
	for _, line := range strings.Split(string(want), "\n") {
		if v, ok := strings.CutPrefix(line, "envelope        "); ok {
			envHex = v
		}
	}
	golden2, _ := hex.DecodeString(envHex)
	if _, err := trustFor(KeyActive, key).Verify(golden2); err != nil {
		t.Errorf("golden envelope does not verify: %v", err)
	}
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, a, c)
		}
	}
	return b.String()
}
