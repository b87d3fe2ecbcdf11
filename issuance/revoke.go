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
	"github.com/qualbridge/qualbridge/verifier/seal"
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
	Trust    *Trust // the registry's root of trust ([OpenTrust])
}

// Revocation is a certificate's revocation as cancellations.log holds
// it (by locator) and as the operator is told it (by number).
type Revocation struct {
	Number  string
	Locator record.Locator
	Date    time.Time
	Reason  record.Reason
}

// ErrAlreadyRevoked is returned by [Revoke] for a certificate revoked before.
var ErrAlreadyRevoked = errors.New("已撤销")

// Revoke appends a signed revocation of one certificate, by its
// locator, to the registry's cancellations.log (rewritten whole
// through a temporary file, fsynced, renamed, and the directory
// fsynced: it stays small), which publish puts in the snapshot. Only a
// certificate of the issuance log whose signature verifies against the
// root-signed trust list is revoked: one that does not verify is a
// problem to investigate, not to paper over. A certificate revoked
// before is not revoked again: the error is [ErrAlreadyRevoked] and the
// revocation returned is the earlier one.
func Revoke(o RevokeOptions) (*Revocation, error) {
	fsys := o.FS
	if fsys == nil {
		fsys = OS()
	}
	if o.Trust == nil {
		return nil, &NoTrustError{Dir: o.Registry}
	}
	unlock, err := Lock(o.Registry, "revoke", o.Now)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := recoverJournal(fsys, o.Registry); err != nil {
		return nil, err
	}
	st, err := loadState(o.Registry)
	if err != nil {
		return nil, err
	}
	all, err := readSealed(o.Registry, st)
	if err != nil {
		return nil, err
	}
	var i int
	if o.Token != "" {
		loc, _, err := seal.TokenKeys(o.Token)
		if err != nil {
			return nil, err
		}
		i = slices.IndexFunc(all, func(s Sealed) bool { return s.Locator == loc })
	} else {
		i = slices.IndexFunc(all, func(s Sealed) bool { return s.Number == o.Number })
	}
	if i < 0 {
		what := o.Number
		if o.Token != "" {
			what = "（按令牌查找）"
		}
		return nil, fmt.Errorf("登记库 %s 中没有证书 %s", o.Registry, what)
	}
	s := &all[i]
	if err := checkSealed(o.Trust.List, s); err != nil {
		return nil, &RegistryError{Dir: o.Registry, Err: fmt.Errorf("证书 %s 的签名无法核验：%v", s.Number, err)}
	}
	cert, err := record.DecodeCheckedCertificate(s.Envelope)
	if err != nil {
		return nil, err
	}
	cs, err := readCancellations(o.Registry)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Locator != s.Locator {
			continue
		}
		prev := &Revocation{Number: s.Number, Locator: s.Locator}
		if cn, err := record.OpenCancellation(c.Envelope, o.Trust.List.PublicKey(trust.RoleSigning)); err == nil {
			prev.Date, prev.Reason = cn.Date, cn.Reason
		}
		return prev, ErrAlreadyRevoked
	}
	if o.Date.Before(cert.IssueDate) {
		return nil, fmt.Errorf("撤销日期 %s 早于证书的签发日期 %s", o.Date.Format(time.DateOnly), cert.IssueDate.Format(time.DateOnly))
	}
	priv, err := o.OpenKey()
	if err != nil {
		return nil, err
	}
	signer, err := signerFor(o.Trust.List, priv, o.Now)
	if err != nil {
		return nil, fmt.Errorf("拒绝撤销：%w", err)
	}
	env, err := signer.SignCancellation(&record.Cancellation{Locator: s.Locator, Date: o.Date, Reason: o.Reason}, o.Now)
	if err != nil {
		return nil, err
	}
	if err := appendLine(fsys, o.Registry, CancellationsFile, s.Locator.String()+" "+base64URL.EncodeToString(env)); err != nil {
		return nil, err
	}
	return &Revocation{Number: s.Number, Locator: s.Locator, Date: o.Date, Reason: o.Reason}, nil
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

// appendLine appends one line to a small registry file ([appendLines]).
func appendLine(fsys FS, dir, file, line string) error {
	return appendLines(fsys, dir, file, []string{line})
}
