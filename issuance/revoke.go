package issuance

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// RevokeOptions is one revocation.
type RevokeOptions struct {
	Registry string
	FS       FS           // nil: [OS]
	Number   string       // the certificate, by number
	Token    record.Token // or by token
	Reason   record.Reason
	Date     time.Time // civil date of the revocation
	OpenKey  func() (ed25519.PrivateKey, error)
	Now      time.Time
	// Trust is the registry's root of trust ([OpenTrust]); a registry
	// that has one revokes only with it: the revocation is also signed
	// in version 2, by locator, into cancellations.log, which publish
	// puts in the snapshot.
	Trust *Trust
}

// ErrAlreadyRevoked is returned by [Revoke] for a certificate revoked before.
var ErrAlreadyRevoked = errors.New("已撤销")

// Revoke appends a signed revocation of one certificate to the
// registry's revocations.log (rewritten whole through a temporary file,
// fsynced, renamed, and the directory fsynced: it stays small). Only a
// certificate whose signature verifies is revoked: an entry that does
// not verify is a problem to investigate, not to paper over.
func Revoke(o RevokeOptions) (*record.Revocation, *record.Revocation, error) {
	fsys := o.FS
	if fsys == nil {
		fsys = OS()
	}
	unlock, err := Lock(o.Registry, "revoke", o.Now)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	if _, err := recoverJournal(fsys, o.Registry); err != nil {
		return nil, nil, err
	}
	reg, err := record.LoadRegistry(os.DirFS(o.Registry))
	if err != nil {
		return nil, nil, &RegistryError{Dir: o.Registry, Err: err}
	}
	var e record.Entry
	var ok bool
	if o.Token != "" {
		e, ok = reg.Entries[o.Token]
	} else {
		e, ok = reg.Entries[reg.ByNumber[o.Number]]
	}
	if !ok {
		return nil, nil, fmt.Errorf("登记库 %s 中没有证书 %s%s", o.Registry, o.Number, o.Token)
	}
	pub, err := reg.Trust.VerifyEntry(e)
	if err != nil {
		return nil, nil, &RegistryError{Dir: o.Registry, Err: fmt.Errorf("证书 %s 的签名无法核验：%v", e.Number, err)}
	}
	r1, done1 := reg.Revocations[e.Token]
	if HasTrust(o.Registry) && o.Trust == nil {
		return nil, nil, fmt.Errorf("登记库 %s 有根信任：撤销须核对根签名的信任列表", o.Registry)
	}
	var loc record.Locator
	done2 := true
	if o.Trust != nil {
		st, err := loadState(o.Registry)
		if err != nil {
			return nil, nil, err
		}
		all, err := readSealed(o.Registry, st)
		if err != nil {
			return nil, nil, err
		}
		i := slices.IndexFunc(all, func(s Sealed) bool { return s.Number == e.Number })
		if i < 0 {
			return nil, nil, fmt.Errorf("证书 %s 是在根信任建立之前签发的，没有封存副本，核验服务查不到它；撤销只记入 %s", e.Number, record.RevocationsFile)
		}
		loc = all[i].Locator
		revs, err := readCancellations(o.Registry)
		if err != nil {
			return nil, nil, err
		}
		done2 = slices.ContainsFunc(revs, func(c cancellation) bool { return c.Locator == loc })
	}
	if done1 && done2 {
		return nil, r1, ErrAlreadyRevoked
	}
	if o.Date.Before(pub.IssueDate) {
		return nil, nil, fmt.Errorf("撤销日期 %s 早于证书的签发日期 %s", o.Date.Format(time.DateOnly), pub.IssueDate.Format(time.DateOnly))
	}
	priv, err := o.OpenKey()
	if err != nil {
		return nil, nil, err
	}
	signer, err := SignerFor(reg.Trust, priv, o.Now)
	if err != nil {
		return nil, nil, err
	}
	rev := &record.Revocation{Token: e.Token, Number: e.Number, Date: o.Date, Reason: o.Reason}
	if !done2 {
		if err := maySign(o.Trust.List, signer.KID(), trust.RoleSigning, o.Now); err != nil {
			return nil, nil, fmt.Errorf("拒绝撤销：密钥 %s 此刻不得签名（不在根签名的信任列表 %s 中、已停用或不在可签名时间内）：%v", signer.KID(), ListFile, err)
		}
		env2, err := signer.SignCancellation(&record.Cancellation{Locator: loc, Date: o.Date, Reason: o.Reason}, o.Now)
		if err != nil {
			return nil, nil, err
		}
		if err := appendLine(fsys, o.Registry, CancellationsFile, loc.String()+" "+base64URL.EncodeToString(env2)); err != nil {
			return nil, nil, err
		}
	}
	if done1 {
		return rev, nil, nil
	}
	env, err := signer.SignRevocation(rev, o.Now)
	if err != nil {
		return nil, nil, err
	}
	name := filepath.Join(o.Registry, record.RevocationsFile)
	old, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		return nil, nil, &RegistryError{Dir: o.Registry, Err: fmt.Errorf("%s 的最后一行不完整，拒绝追加", record.RevocationsFile)}
	}
	data := append(old, base64URL.EncodeToString(env)+"\n"...)
	if err := writeFile(fsys, name, data, 0o644); err != nil {
		return nil, nil, err
	}
	return rev, nil, fsys.SyncDir(o.Registry)
}

// cancellation is one line of cancellations.log.
type cancellation struct {
	Locator  record.Locator
	Envelope []byte
}

// readCancellations reads cancellations.log in append order.
func readCancellations(dir string) ([]cancellation, error) {
	data, err := os.ReadFile(filepath.Join(dir, CancellationsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s 的最后一行不完整（运行 qualbridge registry repair）", CancellationsFile)}
	}
	var out []cancellation
	for i, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l == "" {
			continue
		}
		a, b, _ := strings.Cut(l, " ")
		loc, err := parseLocator(a)
		env, err2 := base64URL.DecodeString(b)
		if err != nil || err2 != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s:%d: 无法读取", CancellationsFile, i+1)}
		}
		out = append(out, cancellation{loc, env})
	}
	return out, nil
}

// appendLine appends one line to a small registry file, rewriting it
// whole through a temporary file and a rename, with fsyncs.
func appendLine(fsys FS, dir, file, line string) error {
	name := filepath.Join(dir, file)
	old, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		return &RegistryError{Dir: dir, Err: fmt.Errorf("%s 的最后一行不完整，拒绝追加", file)}
	}
	if err := writeFile(fsys, name, append(old, line+"\n"...), 0o644); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}
