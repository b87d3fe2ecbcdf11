package record

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"
)

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
