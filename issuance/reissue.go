package issuance

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// ReissuedDir holds the certificates re-signed by [Reissue], one file
// per run: reissued/NNNNNN.sealed, in the format of a batch's .sealed.
const ReissuedDir = "reissued"

// ErrNotApproved is returned by [Reissue] when the person shown the list
// did not approve it.
var ErrNotApproved = errors.New("未经确认，没有重新签名任何证书")

// ReissueOptions is one re-signing run.
type ReissueOptions struct {
	Registry   string
	KID        string // re-sign every certificate this key signed last
	Trust      *Trust
	Identities []age.Identity // open the personal records (for the token and the lookup triple)
	OpenKey    func() (ed25519.PrivateKey, error)
	OpenPepper func() (seal.Pepper, error)
	// Approve is shown the certificates that would be re-signed and says
	// whether to go on (the command asks a person, or takes -yes).
	Approve      func([]Sealed) bool
	Now          time.Time
	LookupParams seal.Params // zero: seal.DefaultParams()
	Rand         io.Reader   // nil: crypto/rand
}

// Reissue re-signs, with the active key OpenKey returns, every
// certificate of the issuance log whose current signature is by KID (a
// retired or compromised key): the same locator (the same token, so the
// printed QR code stays good), the same content, the generation one
// higher, sealed again, in a new reissued/NNNNNN.sealed file written at
// once (temporary file, fsync, rename, directory fsync). Only entries of
// the issuance log are ever signed, each checked against its personal
// record (token → locator, digest) first. It returns what it re-signed.
func Reissue(ctx context.Context, o ReissueOptions) ([]Sealed, error) {
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	unlock, err := Lock(o.Registry, "reissue", o.Now)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := recoverJournal(OS(), o.Registry); err != nil {
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
	var sel []Sealed
	for _, s := range all {
		if s.KID == o.KID {
			sel = append(sel, s)
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("签发日志中没有由密钥 %s 签名的证书", o.KID)
	}
	if k, ok := o.Trust.List.Key(o.KID); ok && k.Status == trust.Active {
		return nil, fmt.Errorf("密钥 %s 仍在使用：先用 qualbridge trust retire 或 compromise 标记它", o.KID)
	}
	if !o.Approve(sel) {
		return nil, ErrNotApproved
	}
	priv, err := o.OpenKey()
	if err != nil {
		return nil, err
	}
	signer := record.NewSigner(priv)
	if signer.KID() == o.KID {
		return nil, fmt.Errorf("不能用密钥 %s 重新签署它自己签的证书", o.KID)
	}
	if err := maySign(o.Trust.List, signer.KID(), trust.RoleSigning, o.Now); err != nil {
		return nil, fmt.Errorf("拒绝重新签名：密钥 %s 此刻不得签名：%v", signer.KID(), err)
	}
	pepper, err := o.OpenPepper()
	if err != nil {
		return nil, err
	}
	params := o.LookupParams
	if params == (seal.Params{}) {
		params = seal.DefaultParams()
	}
	// The personal records: the token and the lookup triple of each.
	personal := map[string]personalRecord{}
	opened := map[int]bool{}
	for _, s := range sel {
		if opened[s.batch] {
			continue
		}
		opened[s.batch] = true
		prs, err := openPersonal(o.Registry, s.batch, o.Identities)
		if err != nil {
			return nil, err
		}
		for _, pr := range prs {
			personal[pr.number] = pr
		}
	}
	out := make([]Sealed, 0, len(sel))
	for _, s := range sel {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		old, err := record.DecodeCheckedCertificate(s.Envelope)
		if err != nil {
			return nil, fmt.Errorf("证书 %s：签名记录无法读取：%v", s.Number, err)
		}
		pr, ok := personal[s.Number]
		if !ok {
			return nil, fmt.Errorf("证书 %s：个人信息中没有它", s.Number)
		}
		loc, key, err := seal.TokenKeys(pr.token)
		if err != nil || loc != s.Locator {
			return nil, fmt.Errorf("证书 %s：个人信息中的令牌与签发日志的定位符不符，拒绝重新签名", s.Number)
		}
		if d, err := pr.personal.Digest(); err != nil || d != old.PersonalDigest {
			return nil, fmt.Errorf("证书 %s：个人信息与签名的摘要不符，拒绝重新签名", s.Number)
		}
		c := *old
		c.Generation = s.Generation + 1
		env, err := signer.SignCertificate(&c, o.Now)
		if err != nil {
			return nil, err
		}
		l, err := seal.Normalize(s.Number, pr.personal.Name, pr.personal.IDNumber)
		if err != nil {
			return nil, err
		}
		lloc, lkey, err := seal.LookupKeys(l, pepper, params)
		if err != nil {
			return nil, err
		}
		byToken, err := seal.Seal(rnd, key, loc, seal.ByToken, c.Generation, env)
		if err != nil {
			return nil, err
		}
		byLookup, err := seal.Seal(rnd, lkey, lloc, seal.ByLookup, c.Generation, env)
		if err != nil {
			return nil, err
		}
		out = append(out, Sealed{Number: s.Number, Locator: loc, KID: signer.KID(), Generation: c.Generation,
			SignedAt: o.Now.UTC().Truncate(time.Second), Envelope: env, ByToken: byToken, LookupLocator: lloc, ByLookup: byLookup})
	}
	dir := filepath.Join(o.Registry, ReissuedDir)
	names, _ := filepath.Glob(filepath.Join(dir, "*"+sealedExt))
	fsys := OS()
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := filepath.Join(dir, fmt.Sprintf("%06d%s", len(names)+1, sealedExt))
	if _, err := os.Stat(name); err == nil {
		return nil, fmt.Errorf("%s 已存在", rel(o.Registry, name))
	}
	if err := writeFile(fsys, name, formatSealed(out), 0o644); err != nil {
		return nil, err
	}
	if err := fsys.SyncDir(dir); err != nil {
		return nil, err
	}
	return out, fsys.SyncDir(o.Registry)
}
