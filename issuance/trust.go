package issuance

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// Files of a registry's root of trust (issue 13), beside those of issue 9.
const (
	// PinFile is the root set a deployment gives every verifier
	// (trust.FormatPin): the one thing a verifier trusts without proof.
	PinFile = "trust-root.pub"
	// ListFile is the root-signed trust list (trust.List).
	ListFile = "trust.list"
	// PepperFile is the manual lookup's pepper, age-encrypted; verifier
	// hosts get its plain text once, from trust init.
	PepperFile = "lookup-pepper.age"
	// CancellationsFile holds the version-2 revocations, append-only:
	// "<locator> <base64url envelope>" per line.
	CancellationsFile = "cancellations.log"
	// PublishSeqFile is the sequence of the last head published.
	PublishSeqFile = "publish.seq"

	sealedExt    = ".sealed"
	nextListFile = "trust.list.next" // staged by a root rotation
	sealedHeader = "qualbridge sealed v1"
)

// Trust is a registry's root of trust, checked: the pinned root set, the
// trust list it signs, and the bytes of both as they are published.
type Trust struct {
	Dir   string // the registry
	Pin   *trust.Pin
	Roots [][]byte       // roots/000001.root …
	Root  *trust.RootSet // the newest, which signs the trust list
	List  *trust.List
	Bytes []byte // the signed trust list
}

// HasTrust reports whether the registry has a root of trust (trust init).
func HasTrust(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, PinFile))
	return err == nil
}

// OpenTrust reads and checks a registry's root of trust: the pin, the
// root sets from version 1 (which must be the pin), and the trust list,
// which must be signed by the root and not have expired (the error is
// then a [diag.Diagnostic] whose hint names trust renew). A key written
// into trust.list by anyone without the root key fails here, so it can
// neither issue nor publish.
func OpenTrust(dir string) (*Trust, error) {
	t, err := openTrust(dir)
	if err != nil {
		return nil, err
	}
	if d, ok := t.ExpiryWarning(time.Now()); ok && d.Severity == diag.Error {
		return nil, d
	}
	return t, nil
}

// renewHint is what to do about a trust list that expires.
func renewHint(dir string) string {
	return "用根密钥续签信任列表：qualbridge trust renew -registry " + dir + " -root-key 根密钥文件，再运行 qualbridge publish"
}

// ExpiryWarningDays is how long before its expiry a trust list is
// warned about on every issue, revoke and publish.
const ExpiryWarningDays = 30

// ExpiryWarning is the warning that the trust list expires within
// [ExpiryWarningDays] of now, if it does, or (an error) that it has.
func (t *Trust) ExpiryWarning(now time.Time) (diag.Diagnostic, bool) {
	left := t.List.Expires.Sub(now)
	d := diag.Diagnostic{Pos: diag.Pos{File: filepath.Join(t.Dir, ListFile)}, Hint: renewHint(t.Dir)}
	switch {
	case left <= 0:
		d.Severity = diag.Error
		d.Message = fmt.Sprintf("信任列表已于 %s 过期，拒绝签发、撤销和发布：核验服务对所有证书都答“暂时无法核验”", localTime(t.List.Expires))
	case left <= ExpiryWarningDays*24*time.Hour:
		d.Severity = diag.Warning
		d.Message = fmt.Sprintf("信任列表将于 %s 过期（还有 %d 天）：过期后核验服务对所有证书都答“暂时无法核验”", localTime(t.List.Expires), int(left.Hours()/24))
	default:
		return diag.Diagnostic{}, false
	}
	return d, true
}

// openTrust is [OpenTrust] that overlooks the trust list's expiry:
// everything else is checked, so only the root can renew it.
func openTrust(dir string) (*Trust, error) {
	pinData, err := os.ReadFile(filepath.Join(dir, PinFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &NoTrustError{Dir: dir}
	}
	if err != nil {
		return nil, err
	}
	pin, err := trust.ParsePin(pinData)
	if err != nil {
		return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：根公钥文件无效：%v", PinFile, err)}
	}
	t := &Trust{Dir: dir, Pin: pin}
	for v := uint32(1); ; v++ {
		b, err := os.ReadFile(filepath.Join(dir, trust.RootFile(v)))
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, err
		}
		t.Roots = append(t.Roots, b)
	}
	if t.Root, err = trust.OpenRoots(pin, t.Roots); err != nil {
		return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s 的根密钥集链无法核验（与 %s 不符，或某一版未经前一版签署）：%v", trust.RootsDir, PinFile, err)}
	}
	if t.Bytes, err = os.ReadFile(filepath.Join(dir, ListFile)); err != nil {
		return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s 无法读取：%w", ListFile, err)}
	}
	if staged, err := os.ReadFile(filepath.Join(dir, nextListFile)); err == nil {
		// A root rotation stopped after its root set was written.
		if _, err := trust.OpenList(staged, t.Root); err == nil {
			if err := OS().Rename(filepath.Join(dir, nextListFile), filepath.Join(dir, ListFile)); err != nil {
				return nil, err
			}
			t.Bytes = staged
		}
	}
	if t.List, err = trust.OpenList(t.Bytes, t.Root); err != nil {
		return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s 未经根密钥签名，拒绝使用（有人改动了信任列表？）：%v", ListFile, err)}
	}
	return t, nil
}

// OpenPepper decrypts the registry's lookup pepper.
func OpenPepper(dir string, ids ...age.Identity) (seal.Pepper, error) {
	data, err := os.ReadFile(filepath.Join(dir, PepperFile))
	if err != nil {
		return seal.Pepper{}, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), ids...)
	if err != nil {
		return seal.Pepper{}, fmt.Errorf("%s 无法解密（口令不对？）：%v", PepperFile, err)
	}
	text, err := io.ReadAll(r)
	if err != nil {
		return seal.Pepper{}, err
	}
	return seal.ParsePepper(text)
}

// TrustInitOptions makes a registry's root of trust.
type TrustInitOptions struct {
	Registry         string
	Root             ed25519.PrivateKey // the root key (offline)
	TimestampKeyFile string             // the new timestamp key, age-encrypted; never overwritten
	Recipients       []age.Recipient    // the timestamp key and the pepper are encrypted to these
	Now              time.Time
	ListLifetime     time.Duration // 0: 180 days
	Issuer           string        // "" = [CentreName]
}

// TrustInitResult is what InitTrust made.
type TrustInitResult struct {
	RootKID, TimestampKID string
	Pepper                []byte // the pepper file's text, for verifier hosts
}

// InitTrust creates a registry's root of trust: root set version 1
// (roots/000001.root and its pin, trust-root.pub), a timestamp key, the
// trust list signed by the root (the timestamp key; signing keys are
// added by [AddSigningKey]) and the lookup pepper. It refuses a registry
// that has one already.
func InitTrust(o TrustInitOptions) (*TrustInitResult, error) {
	if HasTrust(o.Registry) {
		return nil, fmt.Errorf("%s 已有根信任（%s）；不会覆盖", o.Registry, PinFile)
	}
	if _, err := os.Stat(o.TimestampKeyFile); err == nil {
		return nil, fmt.Errorf("%s 已存在；密钥文件从不覆盖", o.TimestampKeyFile)
	}
	if o.Issuer == "" {
		o.Issuer = CentreName
	}
	if o.ListLifetime == 0 {
		o.ListLifetime = 180 * 24 * time.Hour
	}
	now := o.Now.UTC().Truncate(time.Second)
	rootPub := o.Root.Public().(ed25519.PublicKey)
	root := trust.RootSet{Version: 1, SignedAt: now, Threshold: 1, Keys: []ed25519.PublicKey{rootPub}}
	rootBytes, err := root.Sign(o.Root)
	if err != nil {
		return nil, err
	}
	pin, err := trust.FormatPin(rootBytes)
	if err != nil {
		return nil, err
	}
	tsPub, tsPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	tsSealed, err := SealKey(tsPriv, o.Recipients)
	if err != nil {
		return nil, err
	}
	tsKey := trust.Key{KID: record.KeyID(tsPub), PublicKey: tsPub, Role: trust.RoleTimestamp, Status: trust.Active,
		NotBefore: now, NotAfter: now.AddDate(5, 0, 0), Issuer: o.Issuer}
	list := trust.List{Seq: 1, SignedAt: now, Expires: now.Add(o.ListLifetime), RootVersion: 1, Keys: []trust.Key{tsKey}}
	listBytes, err := list.Sign(o.Root)
	if err != nil {
		return nil, err
	}
	pepper, err := seal.NewPepper(rand.Reader)
	if err != nil {
		return nil, err
	}
	pepperText, _ := pepper.MarshalText()
	var pepperAge bytes.Buffer
	w, err := age.Encrypt(&pepperAge, o.Recipients...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(pepperText); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}

	if err := writeNewFile(o.TimestampKeyFile, tsSealed); err != nil {
		return nil, err
	}
	fsys := OS()
	if err := fsys.MkdirAll(filepath.Join(o.Registry, trust.RootsDir), 0o755); err != nil {
		return nil, err
	}
	if err := writeFile(fsys, filepath.Join(o.Registry, trust.RootFile(1)), rootBytes, 0o644); err != nil {
		return nil, err
	}
	if err := fsys.SyncDir(filepath.Join(o.Registry, trust.RootsDir)); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		data []byte
		perm fs.FileMode
	}{{PepperFile, pepperAge.Bytes(), 0o600}, {ListFile, listBytes, 0o644}, {PinFile, pin, 0o644}} {
		if err := writeFile(fsys, filepath.Join(o.Registry, f.name), f.data, f.perm); err != nil {
			return nil, err
		}
	}
	if err := fsys.SyncDir(o.Registry); err != nil {
		return nil, err
	}
	return &TrustInitResult{RootKID: record.KeyID(rootPub), TimestampKID: tsKey.KID, Pepper: pepperText}, nil
}

// NewRootKey makes a root key and returns it with its key file,
// age-encrypted to recipients, written to name (never overwritten).
func NewRootKey(name string, recipients []age.Recipient) (ed25519.PrivateKey, error) {
	if _, err := os.Stat(name); err == nil {
		return nil, fmt.Errorf("%s 已存在；密钥文件从不覆盖", name)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	sealed, err := SealKey(priv, recipients)
	if err != nil {
		return nil, err
	}
	return priv, writeNewFile(name, sealed)
}

// ChangeList re-signs the registry's trust list with the root key after
// change has edited it: the sequence is raised, signed-at set, the
// expiry moved out to 180 days from now if it is nearer than 30 (change
// may set another), and the result is checked against the pinned root
// before it replaces the old list. An expired list can be changed too:
// it is checked against the pin like any other.
func ChangeList(dir string, root ed25519.PrivateKey, now time.Time, change func(*trust.List) error) (*trust.List, error) {
	t, err := openTrust(dir)
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	if now.Before(t.List.SignedAt) {
		return nil, fmt.Errorf("本机时钟（%s）早于信任列表的签署时间（%s）：先校准时钟", localTime(now), localTime(t.List.SignedAt))
	}
	l := *t.List
	l.Keys = append([]trust.Key(nil), l.Keys...)
	l.Seq++
	l.SignedAt = now
	if l.Expires.Before(now.Add(30 * 24 * time.Hour)) {
		l.Expires = now.Add(180 * 24 * time.Hour)
	}
	if err := change(&l); err != nil {
		return nil, err
	}
	b, err := l.Sign(root)
	if err != nil {
		return nil, err
	}
	if _, err := trust.OpenList(b, t.Root); err != nil {
		return nil, fmt.Errorf("这把根密钥不是登记库当前的根：%v", err)
	}
	fsys := OS()
	if err := writeFile(fsys, filepath.Join(dir, ListFile), b, 0o644); err != nil {
		return nil, err
	}
	return &l, fsys.SyncDir(dir)
}

// MaxListLifetime is the longest a renewed trust list may live.
const MaxListLifetime = 366 * 24 * time.Hour

// RenewList re-signs the trust list with the root key, with the same
// keys, a new sequence and an expiry lifetime from now (0: 180 days).
// It works on an expired list, which nothing else opens: the list must
// still be the one the pinned root signed.
func RenewList(dir string, root ed25519.PrivateKey, now time.Time, lifetime time.Duration) (*trust.List, error) {
	if lifetime == 0 {
		lifetime = 180 * 24 * time.Hour
	}
	if lifetime < 24*time.Hour || lifetime > MaxListLifetime {
		return nil, fmt.Errorf("信任列表的有效期须在 1 至 %d 天之间", int(MaxListLifetime.Hours()/24))
	}
	return ChangeList(dir, root, now, func(l *trust.List) error {
		l.Expires = l.SignedAt.Add(lifetime)
		return nil
	})
}

// CheckTimestampKey says whether k may sign a head now: the trust list
// has it as an active timestamp key inside its window. Its refusal is a
// [diag.Diagnostic] whose hint says how to make a new timestamp key.
func (t *Trust) CheckTimestampKey(k ed25519.PrivateKey, now time.Time) error {
	kid := kidOf(k)
	err := maySign(t.List, kid, trust.RoleTimestamp, now)
	if err == nil {
		return nil
	}
	d := diag.Diagnostic{Severity: diag.Error,
		Hint: "用根密钥生成新的时间戳密钥：qualbridge keygen -registry " + t.Dir + " -root-key 根密钥文件 -role timestamp -key 新密钥文件，再用 -timestamp-key 指定它发布"}
	key, ok := t.List.Key(kid)
	switch {
	case !ok:
		d.Message = fmt.Sprintf("拒绝发布：密钥 %s 不在根签名的信任列表中（用错了 -timestamp-key 文件？）", kid)
	case key.Role != trust.RoleTimestamp:
		d.Message = fmt.Sprintf("拒绝发布：密钥 %s 是签名密钥，不能签快照头", kid)
		d.Hint = "用 -timestamp-key 指定时间戳密钥（trust init 或 keygen -role timestamp 生成的）"
	case key.Status == trust.Compromised:
		d.Message = fmt.Sprintf("拒绝发布：时间戳密钥 %s 已标记为泄露", kid)
	case key.Status == trust.Retired:
		d.Message = fmt.Sprintf("拒绝发布：时间戳密钥 %s 已停用", kid)
	default:
		d.Message = fmt.Sprintf("拒绝发布：时间戳密钥 %s 此刻不在可签名时间内（%s 至 %s）", kid, localTime(key.NotBefore), localTime(key.NotAfter))
	}
	return d
}

// SetStatus marks a key of the trust list retired or compromised,
// through the root.
func SetStatus(dir string, root ed25519.PrivateKey, kid string, status trust.Status, now time.Time) (*trust.List, error) {
	return ChangeList(dir, root, now, func(l *trust.List) error {
		for i := range l.Keys {
			if l.Keys[i].KID == kid {
				if l.Keys[i].Status == trust.Compromised {
					return fmt.Errorf("密钥 %s 已标记为泄露，不能再改", kid)
				}
				l.Keys[i].Status = status
				// A retired key's window ends now, so that a verifier
				// refuses anything it signs later.
				if status == trust.Retired && l.Keys[i].NotAfter.After(now) {
					l.Keys[i].NotAfter = now.UTC().Truncate(time.Second)
				}
				return nil
			}
		}
		return fmt.Errorf("信任列表中没有密钥 %s", kid)
	})
}

// writeNewFile writes a key file that must not exist, fsynced with its
// directory.
func writeNewFile(name string, data []byte) error {
	if dir := filepath.Dir(name); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return err
	}
	return OS().SyncDir(filepath.Dir(name))
}

// maySign reports whether the issuer may sign with kid now: the
// root-signed list has it as an active key of role, inside its window.
// (A verifier also accepts a retired key's signatures from inside its
// window; the issuer signs nothing more with it.)
func maySign(l *trust.List, kid string, role trust.Role, now time.Time) error {
	if err := l.May(kid, role, now.UTC().Truncate(time.Second)); err != nil {
		return err
	}
	if k, _ := l.Key(kid); k.Status != trust.Active {
		return fmt.Errorf("密钥 %s 已停用", kid)
	}
	return nil
}

// RotateRoot replaces the root: root set version v+1 holding newRoot,
// signed by the old root and the new, and the trust list re-signed by
// the new root. Verifiers pinned to version 1 follow the chain.
func RotateRoot(dir string, oldRoot, newRoot ed25519.PrivateKey, now time.Time) (*trust.RootSet, error) {
	t, err := OpenTrust(dir)
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	next := trust.RootSet{Version: t.Root.Version + 1, SignedAt: now, Threshold: 1, Keys: []ed25519.PublicKey{newRoot.Public().(ed25519.PublicKey)}}
	b, err := next.Sign(oldRoot, newRoot)
	if err != nil {
		return nil, err
	}
	if _, err := trust.OpenRoots(t.Pin, append(append([][]byte(nil), t.Roots...), b)); err != nil {
		return nil, fmt.Errorf("旧根密钥不是登记库当前的根：%v", err)
	}
	l := *t.List
	l.Seq++
	l.SignedAt = now
	l.RootVersion = next.Version
	if l.Expires.Before(now.Add(30 * 24 * time.Hour)) {
		l.Expires = now.Add(180 * 24 * time.Hour)
	}
	lb, err := l.Sign(newRoot)
	if err != nil {
		return nil, err
	}
	// The new list is staged first, then the root set, then the list is
	// renamed in: a crash between leaves the staged list, which
	// [OpenTrust] puts in place (neither list opens alone under the other
	// chain).
	fsys := OS()
	if err := writeFile(fsys, filepath.Join(dir, nextListFile), lb, 0o644); err != nil {
		return nil, err
	}
	if err := fsys.SyncDir(dir); err != nil {
		return nil, err
	}
	if err := writeFile(fsys, filepath.Join(dir, trust.RootFile(next.Version)), b, 0o644); err != nil {
		return nil, err
	}
	if err := fsys.SyncDir(filepath.Join(dir, trust.RootsDir)); err != nil {
		return nil, err
	}
	if err := fsys.Rename(filepath.Join(dir, nextListFile), filepath.Join(dir, ListFile)); err != nil {
		return nil, err
	}
	return &next, fsys.SyncDir(dir)
}
