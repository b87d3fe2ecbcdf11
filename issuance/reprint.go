package issuance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// ReprintOptions selects already-issued certificates to print again.
type ReprintOptions struct {
	Registry   string
	Identities []age.Identity // open the batches' personal records
	Number     string         // one certificate, or
	Batch      int            // every certificate of one batch
	Out        string
	Catalog    fs.FS // for the certificate category; nil: inferred from the level
}

// Reprint prints already-issued certificates again: the token and the
// personal record decrypted from the batch's personal records (the only
// place the token is kept), the certificate from the issuance log, its
// signature checked against the root-signed trust list and its digest
// against the personal record, and the verifier URL the batch was
// issued with, so the QR code holds exactly the bytes it held the first
// time.
func Reprint(ctx context.Context, o ReprintOptions) ([]Certificate, PrintInfo, error) {
	t, err := OpenTrust(o.Registry)
	if err != nil {
		return nil, PrintInfo{}, err
	}
	st, err := loadState(o.Registry)
	if err != nil {
		return nil, PrintInfo{}, err
	}
	var cat *catalog.Catalog
	if o.Catalog != nil {
		if c, ds := catalog.Load(o.Catalog, catalog.Options{}); ds.Err() == nil {
			cat = c
		}
	}
	batch := o.Batch
	if o.Number != "" {
		var ok bool
		if batch, ok = st.numbers[o.Number]; !ok {
			return nil, PrintInfo{}, fmt.Errorf("登记库 %s 中没有证书 %s", o.Registry, o.Number)
		}
	}
	if st.manifests[batch] == nil {
		return nil, PrintInfo{}, fmt.Errorf("登记库 %s 中没有批次 %s", o.Registry, batchBase(batch))
	}
	certs, err := batchCertificates(o.Registry, st, t.List, batch, o.Identities, cat, o.Number)
	if err != nil {
		return nil, PrintInfo{}, err
	}
	info, err := Print(ctx, o.Out, certs)
	return certs, info, err
}

// batchCertificates are the certificates of batch n (or only number) as
// printing needs them, each as it now stands (re-signed ones at their
// new generation): token and personal record from the personal records,
// opened with ids; the signed certificate from the issuance log, found
// by the token's locator and checked against the trust list and the
// personal record's digest.
func batchCertificates(dir string, st *state, l *trust.List, n int, ids []age.Identity, cat *catalog.Catalog, number string) ([]Certificate, error) {
	m := st.manifests[n]
	all, err := readSealed(dir, st)
	if err != nil {
		return nil, err
	}
	byLoc := map[record.Locator]*Sealed{}
	for i := range all {
		if all[i].batch == n {
			byLoc[all[i].Locator] = &all[i]
		}
	}
	personal, err := openPersonal(dir, n, ids)
	if err != nil {
		return nil, err
	}
	var certs []Certificate
	for _, pr := range personal {
		if number != "" && pr.number != number {
			continue
		}
		loc, _, err := seal.TokenKeys(pr.token)
		if err != nil {
			return nil, err
		}
		s, ok := byLoc[loc]
		if !ok || s.Number != pr.number {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("批次 %s 的个人信息中的证书 %s 不在其签发日志中", batchBase(n), pr.number)}
		}
		if err := checkSealed(l, s); err != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("证书 %s 的签名无法核验：%v", pr.number, err)}
		}
		c, err := record.DecodeCheckedCertificate(s.Envelope)
		if err != nil {
			return nil, err
		}
		if d, err := pr.personal.Digest(); err != nil || d != c.PersonalDigest {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("证书 %s 的个人信息与签名记录不符", pr.number)}
		}
		var q *catalog.Qualification
		if cat != nil {
			q = cat.Qualification(c.QualificationID)
		}
		certs = append(certs, Certificate{Public: publicOf(c, pr.token), Personal: pr.personal, Verifier: m.Verifier, Skill: isSkill(q, c.Level)})
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("批次 %s 的个人信息中没有证书 %s", batchBase(n), number)
	}
	return certs, nil
}

// publicOf is what a signed certificate and its token show on paper.
func publicOf(c *record.Certificate, tok record.Token) *record.Public {
	return &record.Public{Token: tok, Number: c.Number, HolderMasked: c.HolderMasked, BirthYear: c.BirthYear, IDType: c.IDType,
		IDMasked: c.IDMasked, TaiwanName: c.TaiwanName, TaiwanGrade: c.TaiwanGrade, OccupationCode: c.OccupationCode,
		OccupationName: c.OccupationName, Level: c.Level, QualificationID: c.QualificationID, Issuer: c.Issuer,
		IssueDate: c.IssueDate, ValidUntil: c.ValidUntil, SignedAt: c.SignedAt, KID: c.KID, PersonalDigest: c.PersonalDigest}
}

type personalRecord struct {
	token    record.Token
	number   string
	personal record.Personal
}

// openPersonal decrypts batch n's personal records.
func openPersonal(dir string, n int, ids []age.Identity) ([]personalRecord, error) {
	name, _, _ := batchPaths(dir, n)
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), ids...)
	if err != nil {
		return nil, fmt.Errorf("%s：无法解密个人信息（身份文件不是中心的接收者之一？）", name)
	}
	var out []personalRecord
	sc := bufio.NewScanner(io.LimitReader(r, 1<<30))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s（解密后）第 %d 行格式错误", name, line)
		}
		raw, err := base64URL.DecodeString(f[2])
		var p record.Personal
		if err == nil {
			err = p.UnmarshalBinary(raw)
		}
		if err != nil {
			return nil, fmt.Errorf("%s（解密后）第 %d 行无法读取：%v", name, line, err)
		}
		out = append(out, personalRecord{token: record.Token(f[0]), number: f[1], personal: p})
	}
	return out, sc.Err()
}
