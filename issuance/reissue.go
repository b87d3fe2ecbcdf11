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
	"strings"
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
	KID        string // re-sign every certificate and revocation this key signed last
	Trust      *Trust
	Identities []age.Identity // open the personal records (for the token and the lookup triple)
	OpenKey    func() (ed25519.PrivateKey, error)
	OpenPepper func() (seal.Pepper, error)
	// Approve is shown what would be re-signed, and what is skipped,
	// and says whether to go on (the command asks a person, or takes
	// -yes).
	Approve      func(*ReissuePlan) bool
	Now          time.Time
	LookupParams seal.Params // zero: seal.DefaultParams()
	Rand         io.Reader   // nil: crypto/rand
}

// ReissuePlan is what a [Reissue] run re-signs, shown for approval
// before any key is opened; after the run, what it did.
type ReissuePlan struct {
	// Certificates are the certificates of the issuance log that KID
	// signed last and that are not revoked: each is re-signed at the
	// next generation under the same token.
	Certificates []Sealed
	// Revocations are the revocations of cancellations.log that KID
	// signed and that no other key (not compromised) has signed for the
	// same certificate: each is signed again, same locator, date and
	// reason, and appended to the log.
	Revocations []ReissuedRevocation
	// Skipped are certificates KID signed that the registry has revoked
	// (by any key): they are never signed again.
	Skipped []Sealed
}

// ReissuedRevocation is one revocation signed again.
type ReissuedRevocation struct {
	Number string // the revoked certificate's number, from the issuance log
	Old    *record.Cancellation
}

// Reissue re-signs, with the active key OpenKey returns, what KID (a
// retired or compromised key) signed:
//
//   - every certificate of the issuance log whose current signature is
//     by KID and that the registry has not revoked: the same locator (the
//     same token, so the printed QR code stays good), the same content,
//     the generation one higher, sealed again, in a new
//     reissued/NNNNNN.sealed file written at once (temporary file, fsync,
//     rename, directory fsync);
//   - every revocation of cancellations.log signed by KID (and by no
//     other key that is not compromised), appended to the log signed by
//     the new key, so that a verifier, which skips what a
//     compromised key signed, still finds the certificate revoked, and
//     the revocation chain only grows.
//
// A certificate the registry has revoked is never re-signed (it would
// answer valid again wherever the revocation is not trusted); it is
// listed in [ReissuePlan.Skipped]. Only entries of the issuance log are
// ever signed, each checked against its personal record (token →
// locator, digest) first, and only revocations of certificates in the
// log. Running it again after a crash re-signs only what is left.
func Reissue(ctx context.Context, o ReissueOptions) (*ReissuePlan, error) {
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
	cs, err := readCancellations(o.Registry)
	if err != nil {
		return nil, err
	}
	if k, ok := o.Trust.List.Key(o.KID); ok && k.Status == trust.Active {
		return nil, fmt.Errorf("密钥 %s 仍在使用：先用 qualbridge trust retire 或 compromise 标记它", o.KID)
	}
	plan := planReissue(o.Trust.List, o.KID, all, cs)
	if len(plan.Certificates) == 0 && len(plan.Revocations) == 0 {
		if len(plan.Skipped) > 0 {
			return nil, fmt.Errorf("由密钥 %s 签名的 %d 份证书都已撤销，撤销记录也已由其他密钥签署：没有要重新签名的", o.KID, len(plan.Skipped))
		}
		return nil, fmt.Errorf("签发日志中没有由密钥 %s 签名的证书或撤销记录", o.KID)
	}
	if !o.Approve(plan) {
		return nil, ErrNotApproved
	}
	sel := plan.Certificates
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
	out, err := resignCertificates(ctx, o, signer, sel, rnd)
	if err != nil {
		return nil, err
	}
	// The revocations, once every certificate is signed in memory: a run
	// stopped after them re-signs only the certificates when run again.
	if len(plan.Revocations) > 0 {
		lines := make([]string, 0, len(plan.Revocations))
		for _, r := range plan.Revocations {
			env, err := signer.SignCancellation(&record.Cancellation{Locator: r.Old.Locator, Date: r.Old.Date, Reason: r.Old.Reason}, o.Now)
			if err != nil {
				return nil, err
			}
			lines = append(lines, r.Old.Locator.String()+" "+base64URL.EncodeToString(env))
		}
		if err := appendLine(OS(), o.Registry, CancellationsFile, strings.Join(lines, "\n")); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return plan, nil
	}
	plan.Certificates = out
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
	return plan, fsys.SyncDir(o.Registry)
}

// resignCertificates signs sel again with signer, at the next
// generation, and seals both copies; nothing is written.
func resignCertificates(ctx context.Context, o ReissueOptions, signer *record.Signer, sel []Sealed, rnd io.Reader) ([]Sealed, error) {
	if len(sel) == 0 {
		return nil, nil
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
	return out, nil
}

// planReissue picks what a run re-signs for kid. A revocation is read
// with the trust list's signing keys (a compromised key's still open:
// the list keeps its public key); one that does not open, or names no
// certificate of the issuance log, is left alone.
func planReissue(l *trust.List, kid string, all []Sealed, cs []cancellation) *ReissuePlan {
	number := make(map[record.Locator]string, len(all))
	for _, s := range all {
		number[s.Locator] = s.Number
	}
	revoked := map[record.Locator]bool{}
	covered := map[record.Locator]bool{} // revoked by a key other than kid, not compromised
	var byKID []*record.Cancellation
	for _, c := range cs {
		revoked[c.Locator] = true
		rc, err := record.OpenCancellation(c.Envelope, l.PublicKey(trust.RoleSigning))
		if err != nil || rc.Locator != c.Locator {
			continue
		}
		if rc.KID == kid {
			byKID = append(byKID, rc)
			continue
		}
		if k, ok := l.Key(rc.KID); ok && k.Status != trust.Compromised {
			covered[rc.Locator] = true
		}
	}
	plan := &ReissuePlan{}
	for _, rc := range byKID {
		n, ok := number[rc.Locator]
		if !ok || covered[rc.Locator] {
			continue
		}
		covered[rc.Locator] = true // once per certificate
		plan.Revocations = append(plan.Revocations, ReissuedRevocation{Number: n, Old: rc})
	}
	for _, s := range all {
		switch {
		case s.KID != kid:
		case revoked[s.Locator]:
			plan.Skipped = append(plan.Skipped, s)
		default:
			plan.Certificates = append(plan.Certificates, s)
		}
	}
	return plan
}

// withdrawn returns the certificates of all whose record no verifier
// may see any more: signed by a key the trust list marks compromised,
// and revoked by a revocation the list trusts (one [Reissue] signed
// again, say). [Reissue] never re-signs a revoked certificate, so its
// record stays signed by the compromised key, and a verifier would
// answer "key compromised" for it rather than "revoked"; without the
// record, it answers "revoked" from the revocation alone. (A manual
// lookup of it answers unknown either way: a compromised key's record
// is never shown.)
func withdrawn(l *trust.List, all []Sealed, cs []cancellation) map[record.Locator]bool {
	out := map[record.Locator]bool{}
	trusted := map[record.Locator]bool{}
	for _, c := range cs {
		rc, err := record.OpenCancellation(c.Envelope, l.PublicKey(trust.RoleSigning))
		if err == nil && rc.Locator == c.Locator && l.May(rc.KID, trust.RoleSigning, rc.SignedAt) == nil {
			trusted[rc.Locator] = true
		}
	}
	for _, s := range all {
		if k, ok := l.Key(s.KID); ok && k.Status == trust.Compromised && trusted[s.Locator] {
			out[s.Locator] = true
		}
	}
	return out
}

// standing is all without the [withdrawn] certificates: what publish
// puts in a snapshot.
func standing(dir string, l *trust.List, all []Sealed) ([]Sealed, error) {
	cs, err := readCancellations(dir)
	if err != nil {
		return nil, err
	}
	w := withdrawn(l, all, cs)
	if len(w) == 0 {
		return all, nil
	}
	out := make([]Sealed, 0, len(all)-len(w))
	for _, s := range all {
		if !w[s.Locator] {
			out = append(out, s)
		}
	}
	return out, nil
}
