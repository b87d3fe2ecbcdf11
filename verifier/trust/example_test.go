package trust_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// exampleKey is a TEST-ONLY key from a published seed.
func exampleKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("qualbridge example TEST-ONLY key: " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// The issuer's whole path, from a new root to a snapshot a verifier
// accepts: what qualbridge trust init, issue, revoke and publish do.
func Example() {
	now := time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	rootKey, signingKey, timestampKey := exampleKey("root"), exampleKey("signing"), exampleKey("timestamp")
	pub := func(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

	// trust init: root set version 1, its pin, and a trust list.
	root := trust.RootSet{Version: 1, SignedAt: now, Threshold: 1, Keys: []ed25519.PublicKey{pub(rootKey)}}
	rootBytes, _ := root.Sign(rootKey)
	pinFile, _ := trust.FormatPin(rootBytes) // DIR/trust-root.pub, for every verifier
	key := func(k ed25519.PrivateKey, role trust.Role) trust.Key {
		return trust.Key{KID: record.KeyID(pub(k)), PublicKey: pub(k), Role: role, Status: trust.Active,
			NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(2, 0, 0), Issuer: "测试签发机构（TEST-ONLY）"}
	}
	list := trust.List{Seq: 1, SignedAt: now, Expires: now.AddDate(0, 6, 0), RootVersion: 1,
		Keys: []trust.Key{key(signingKey, trust.RoleSigning), key(timestampKey, trust.RoleTimestamp)}}
	listBytes, _ := list.Sign(rootKey)

	// issue: sign a version-2 certificate under its token's locator and
	// seal both copies; the registry keeps the sealed bytes.
	tok, _ := record.NewToken(exampleRand{})
	loc, sealKey, _ := seal.TokenKeys(tok)
	cert := record.Certificate{Locator: loc, Number: "TEST-000001", HolderMasked: "林*明", BirthYear: 1990,
		IDType: record.Permit, IDMasked: "****6152", TaiwanName: "照顾服务员", OccupationCode: "4-10-01-05",
		OccupationName: "养老护理员", Level: "四级", QualificationID: "test", Issuer: "测试签发机构（TEST-ONLY）",
		IssueDate: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), Generation: 1}
	env, _ := record.NewSigner(signingKey).SignCertificate(&cert, now)
	byToken, _ := seal.Seal(exampleRand{}, sealKey, loc, seal.ByToken, 1, env)
	triple, _ := seal.Normalize("TEST-000001", "林试明", "80736152")
	pepper := seal.Pepper{1} // seal.NewPepper(crypto/rand.Reader), kept age-encrypted
	lookupLoc, lookupKey, _ := seal.LookupKeys(triple, pepper, seal.DefaultParams())
	byLookup, _ := seal.Seal(exampleRand{}, lookupKey, lookupLoc, seal.ByLookup, 1, env)

	// revoke: a signed revocation names the locator.
	rev, _ := record.NewSigner(signingKey).SignCancellation(&record.Cancellation{Locator: loc,
		Date: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Reason: record.IssuedInError}, now)

	// publish: objects first, the head last.
	dir, _ := os.MkdirTemp("", "example-snapshot-")
	defer os.RemoveAll(dir)
	head, err := trust.Publish(filepath.Join(dir, "snapshot"), trust.Input{
		Roots: [][]byte{rootBytes}, List: listBytes, Revocations: [][]byte{rev},
		Records: []trust.Object{
			{Locator: loc, Kind: seal.ByToken, Generation: 1, Sealed: byToken},
			{Locator: lookupLoc, Kind: seal.ByLookup, Generation: 1, Sealed: byLookup},
		},
		Seq: 1, Now: now, Lifetime: 7 * 24 * time.Hour, Timestamp: timestampKey,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A verifier pinned to trust-root.pub loads it.
	pin, _ := trust.ParsePin(pinFile)
	snap, marks, err := trust.Load(filepath.Join(dir, "snapshot"), pin, trust.Marks{}, now.Add(time.Minute), trust.DefaultOptions())
	fmt.Println(head.Seq, err, snap.Records.Len(), len(snap.Cancellations), marks.HeadSeq)
	// Output: 1 <nil> 2 1 1
}

// exampleRand is a TEST-ONLY fixed byte stream; an issuer uses
// crypto/rand.Reader.
type exampleRand struct{}

func (exampleRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}
