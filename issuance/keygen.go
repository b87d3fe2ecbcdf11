package issuance

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// KeyOptions is a new signing key.
type KeyOptions struct {
	Registry   string          // its root-signed trust list gets the public key
	KeyFile    string          // the age-encrypted private key; never overwritten
	Recipients []age.Recipient // encrypt the key to these (a passphrase is a scrypt recipient)
	NotBefore  time.Time       // the window in which it may sign
	NotAfter   time.Time
	Issuer     string // "" = [CentreName]
	// Root is the root key: a key joins the registry only through it,
	// into the root-signed trust list, which is what issuing and
	// verifiers trust.
	Root ed25519.PrivateKey
	// Role is what the key signs: signing (the zero value: certificates
	// and revocations) or timestamp (snapshot heads only; needs Root).
	Role trust.Role
}

// CreateKey makes an Ed25519 signing key: the private key goes only
// into an age-encrypted file, the public key into the registry's
// root-signed trust list, signed by the root. Everything that can fail
// is checked before the key exists.
func CreateKey(o KeyOptions) (kid string, err error) {
	if o.Issuer == "" {
		o.Issuer = CentreName
	}
	if !o.NotBefore.Before(o.NotAfter) {
		return "", fmt.Errorf("时间窗 %s 至 %s 为空", o.NotBefore.Format(time.RFC3339), o.NotAfter.Format(time.RFC3339))
	}
	if _, err := os.Stat(o.KeyFile); err == nil {
		return "", fmt.Errorf("%s 已存在；密钥文件从不覆盖", o.KeyFile)
	}
	if !HasTrust(o.Registry) {
		return "", &NoTrustError{Dir: o.Registry}
	}
	if o.Root == nil {
		return "", fmt.Errorf("登记库 %s 有根信任：新密钥只能经根密钥加入信任列表（传 -root-key）", o.Registry)
	}
	role, open := trust.RoleSigning, OpenTrust
	if o.Role == trust.RoleTimestamp {
		// A timestamp key may have to replace a lost or compromised one
		// on a list that has just expired: checked against the pin, its
		// expiry overlooked (the root's new list renews it).
		role, open = trust.RoleTimestamp, openTrust
	}
	t, err := open(o.Registry)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(t.Root.Keys, func(k ed25519.PublicKey) bool { return k.Equal(o.Root.Public()) }) {
		return "", fmt.Errorf("这把根密钥不是登记库 %s 所固定的根", PinFile)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	sealed, err := SealKey(priv, o.Recipients)
	if err != nil {
		return "", err
	}
	kid = record.KeyID(pub)
	if err := writeNewFile(o.KeyFile, sealed); err != nil {
		return "", err
	}
	_, err = ChangeList(o.Registry, o.Root, time.Now(), func(l *trust.List) error {
		l.Keys = append(l.Keys, trust.Key{KID: kid, PublicKey: pub, Role: role, Status: trust.Active,
			NotBefore: o.NotBefore.UTC().Truncate(time.Second), NotAfter: o.NotAfter.UTC().Truncate(time.Second), Issuer: o.Issuer})
		slices.SortFunc(l.Keys, func(a, b trust.Key) int { return strings.Compare(a.KID, b.KID) })
		return nil
	})
	if err != nil {
		os.Remove(o.KeyFile) // never in the list: it signs nothing
		return "", err
	}
	return kid, nil
}
