package record_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// exampleKey is a TEST-ONLY key from a published seed.
func exampleKey() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("qualbridge TEST-ONLY example key"))
	return ed25519.NewKeyFromSeed(seed[:])
}

func Example_signAndVerify() {
	priv := exampleKey()
	signer := record.NewSigner(priv)

	// The token comes from crypto/rand in production; a fixed reader
	// here keeps the example's output stable.
	tok, _ := record.NewToken(strings.NewReader("example token bytes!"))
	p := &record.Public{
		Token:           tok,
		Number:          "S000035000001254000001", // fictional
		HolderMasked:    record.MaskName("王测试"),   // fictional holder
		BirthYear:       1990,
		IDType:          record.Permit,
		IDMasked:        record.MaskID("00000001"),
		TaiwanName:      "照顾服务员",
		TaiwanGrade:     "单一级",
		OccupationCode:  "4-10-01-05",
		OccupationName:  "养老护理员",
		Level:           "四级",
		QualificationID: "example",
		Issuer:          "示例中心",
		IssueDate:       time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
		NameCheck:       record.NameCheck(tok, "王测试"),
	}
	now := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	envelope, err := signer.Sign(p, now)
	if err != nil {
		panic(err)
	}

	trust := &record.TrustList{Keys: []record.TrustedKey{{
		KID:       signer.KID(),
		PublicKey: priv.Public().(ed25519.PublicKey),
		NotBefore: now.AddDate(-1, 0, 0),
		NotAfter:  now.AddDate(4, 0, 0),
		Status:    record.KeyActive,
	}}}
	got, err := trust.Verify(envelope)
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Number, got.HolderMasked, got.OccupationName, got.Level)
	fmt.Println(got.MatchName("王测试"), got.MatchName("王小明"))
	fmt.Println(tok.URL("https://verify.example.org"))

	envelope[len(envelope)-1] ^= 1
	_, err = trust.Verify(envelope)
	fmt.Println(err != nil)
	// Output:
	// S000035000001254000001 王*试 养老护理员 四级
	// true false
	// https://verify.example.org/c/MV4GC3LQNRSSA5DPNNSW4IDCPF2GK4ZB
	// true
}

func ExampleParseToken() {
	for _, s := range []string{"MV4GC3LQNRSSA5DPNNSW4IDCPF2GK4ZB", "mv4gc3lqnrssa5dpnnsw4idcpf2gk4zb", "../../etc/passwd"} {
		_, err := record.ParseToken(s)
		fmt.Println(err == nil)
	}
	// Output:
	// true
	// false
	// false
}
