package issuance

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/verifier/record"
	trustv2 "github.com/qualbridge/qualbridge/verifier/trust"
)

// KeyOptions is a new signing key.
type KeyOptions struct {
	Registry   string          // its trust.json gets the public key (created if missing)
	KeyFile    string          // the age-encrypted private key; never overwritten
	Recipients []age.Recipient // encrypt the key to these (a passphrase is a scrypt recipient)
	NotBefore  time.Time       // the window in which it may sign
	NotAfter   time.Time
	Issuer     string // "" = [CentreName]
	// Root is the root key. A registry with a root of trust (trust init)
	// takes a new key only through it: the key is added to the
	// root-signed trust list, which is what issuing and verifiers trust.
	Root ed25519.PrivateKey
	// Role is what the key signs: signing (the zero value: certificates
	// and revocations) or timestamp (snapshot heads only; needs Root).
	Role trustv2.Role
}

// CreateKey makes an Ed25519 signing key: the private key goes only
// into an age-encrypted file, the public key into the registry's trust
// list. Everything that can fail is checked before the key exists.
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
	if o.Role == trustv2.RoleTimestamp {
		return createTimestampKey(o)
	}
	if HasTrust(o.Registry) {
		if o.Root == nil {
			return "", fmt.Errorf("登记库 %s 有根信任：新密钥只能经根密钥加入信任列表（传 -root-key）", o.Registry)
		}
		t, err := OpenTrust(o.Registry)
		if err != nil {
			return "", err
		}
		if !slices.ContainsFunc(t.Root.Keys, func(k ed25519.PublicKey) bool { return k.Equal(o.Root.Public()) }) {
			return "", fmt.Errorf("这把根密钥不是登记库 %s 所固定的根", PinFile)
		}
	} else if o.Root != nil {
		return "", fmt.Errorf("登记库 %s 还没有根信任：先运行 qualbridge trust init", o.Registry)
	}
	trustPath := filepath.Join(o.Registry, record.TrustFile)
	tl := &record.TrustList{}
	if data, err := os.ReadFile(trustPath); err == nil {
		if tl, err = record.ParseTrustList(data); err != nil {
			return "", fmt.Errorf("%s：信任列表无法读取：%w", trustPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
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
	tl.Keys = append(tl.Keys, record.TrustedKey{KID: kid, PublicKey: pub, NotBefore: o.NotBefore, NotAfter: o.NotAfter, Status: record.KeyActive, Issuer: o.Issuer})
	trust, err := tl.Marshal()
	if err != nil {
		return "", err
	}
	if dir := filepath.Dir(o.KeyFile); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	f, err := os.OpenFile(o.KeyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	_, err = f.Write(sealed)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(o.KeyFile)
		return "", err
	}
	fsys := OS()
	if err := fsys.SyncDir(filepath.Dir(o.KeyFile)); err != nil {
		return "", err
	}
	if err := fsys.MkdirAll(o.Registry, 0o755); err != nil {
		return "", err
	}
	if err := writeFile(fsys, trustPath, trust, 0o644); err != nil {
		return "", err
	}
	if err := fsys.SyncDir(o.Registry); err != nil {
		return "", err
	}
	if o.Root != nil {
		_, err = ChangeList(o.Registry, o.Root, time.Now(), func(l *trustv2.List) error {
			l.Keys = append(l.Keys, trustv2.Key{KID: kid, PublicKey: pub, Role: trustv2.RoleSigning, Status: trustv2.Active,
				NotBefore: o.NotBefore.UTC(), NotAfter: o.NotAfter.UTC(), Issuer: o.Issuer})
			slices.SortFunc(l.Keys, func(a, b trustv2.Key) int { return strings.Compare(a.KID, b.KID) })
			return nil
		})
	}
	return kid, err
}
