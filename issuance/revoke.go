package issuance

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
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
	if r, done := reg.Revocations[e.Token]; done {
		return nil, r, ErrAlreadyRevoked
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
