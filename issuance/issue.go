package issuance

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

// Options is one issue run.
type Options struct {
	Registry   string // registry directory (made by trust init and keygen -root-key)
	FS         FS     // nil: [OS]
	Catalog    fs.FS  // repository root whose catalog/ names the qualifications
	Input      string // the applicants file's path, as shown in diagnostics
	Applicants []byte // its contents
	// OpenKey returns the signing key. It is called only once every row
	// has passed its checks, so that a bad batch never asks for a passphrase.
	OpenKey    func() (ed25519.PrivateKey, error)
	Recipients []age.Recipient // the personal records are encrypted to these
	Verifier   string          // verifier URL base; "" = verifier_url of catalog/site.toml
	Site       string          // 6-digit site serial of generated numbers
	Issuer     string          // "" = [CentreName]
	SkipIssued bool            // skip holders issued before instead of refusing the batch
	Out        string          // where to print; "" = do not print
	Today      time.Time       // the run's civil date: no issue or birth date may lie after it
	Now        time.Time       // the signing time
	Rand       io.Reader       // nil: crypto/rand
	// Trust is the registry's root of trust ([OpenTrust]), without which
	// nothing is issued: each certificate is signed in version 2 by a key
	// the root-signed trust list lets sign now, and sealed twice (by
	// token, and for manual lookup under the pepper OpenPepper returns,
	// asked for after the key) into the batch's issuance log.
	Trust        *Trust
	OpenPepper   func() (seal.Pepper, error)
	LookupParams seal.Params // zero: seal.DefaultParams()
	// Identities open the personal records. Only an applicants file run
	// again needs them, to print: the tokens its QR codes hold are kept
	// nowhere else.
	Identities []age.Identity
}

// Result is what an issue run did.
type Result struct {
	Batch        string // the issuance log, relative to the registry: "certs/000001.sealed"
	Certificates []Certificate
	// Again is set when this applicants file was issued before (as
	// Batch): nothing was signed, and the certificates were printed
	// again if Out and Identities were given. AgainCount is how many
	// certificates that batch holds.
	Again      bool
	AgainCount int
	Recovered  []Action  // what recovery of an earlier, interrupted run did
	Notes      diag.List // rows skipped with SkipIssued, and other warnings
	IndexErr   error     // the batch is issued but issued.idx lags (the next run rebuilds it)
	Print      PrintInfo // set when printed
	Skipped    int       // rows skipped with SkipIssued
}

// Issue signs a batch of applicants into the registry, exactly once:
// every row is checked first and the whole batch refused ([BatchError])
// if one is wrong; the batch is committed by the protocol of the
// package doc; and the same applicants file run again — after a crash,
// or by mistake — signs nothing new but prints the batch again.
func Issue(ctx context.Context, o Options) (*Result, error) {
	fsys := o.FS
	if fsys == nil {
		fsys = OS()
	}
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	issuer := o.Issuer
	if issuer == "" {
		issuer = CentreName
	}
	if len(o.Site) != 6 || !allDigits(o.Site) {
		return nil, fmt.Errorf("站点序号须为 6 位数字，而不是 %q", o.Site)
	}

	cat, cds := catalog.Load(o.Catalog, catalog.Options{BuildDate: catalog.DateOf(o.Today)})
	if cds.Err() != nil {
		return nil, &BatchError{Summary: "目录有错误，不能据此签发证书", Hint: "先在仓库根目录运行 qualbridge check，改正后再签发"}
	}
	base := o.Verifier
	if base == "" {
		base = cat.Site.VerifierURL
	}
	if !verifierURLOK(base) {
		return nil, &BatchError{Summary: fmt.Sprintf("核验地址 %q 不是 https 地址", base),
			Hint: "在 catalog/site.toml 中设置 verifier_url，或传 -verifier https://…（只有 localhost 可用 http，供演示）"}
	}

	// 1. Every row, checked before anything is decrypted or written.
	rows, ds := ParseApplicants(o.Input, o.Applicants)
	p := &problems{file: o.Input, list: ds}
	chk := &checker{p: p, cat: cat, today: o.Today}
	var apps []*applicant
	seen := map[string]int{} // id number + qualification → line
	for i := range rows {
		a := chk.check(&rows[i])
		if a == nil {
			continue
		}
		k := a.Personal.IDNumber + "\x00" + a.Qual.ID
		if first, dup := seen[k]; dup {
			chk.errorf(&rows[i], "id_number", "同一人同一采信项目只签发一份证书：删去其中一行", "与第 %d 行是同一持证人和采信项目", first)
			continue
		}
		seen[k] = a.Line
		apps = append(apps, a)
	}
	if len(p.list) == 0 && len(rows) == 0 {
		p.add(1, 0, "", "文件中没有申请人")
	}

	if o.Trust == nil {
		if HasTrust(o.Registry) {
			return nil, fmt.Errorf("登记库 %s 有根信任：签发须核对根签名的信任列表并封存证书", o.Registry)
		}
		nt := &NoTrustError{Dir: o.Registry}
		return nil, &BatchError{Summary: nt.Error() + "，拒绝签发：未签发任何证书", Hint: nt.Hint()}
	}
	if o.OpenPepper == nil {
		return nil, errors.New("签发需要人工查询的 pepper（OpenPepper）")
	}

	unlock, err := Lock(o.Registry, "issue", o.Now)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res := &Result{}
	if res.Recovered, err = recoverJournal(fsys, o.Registry); err != nil {
		return res, err
	}
	st, err := loadState(o.Registry)
	if err != nil {
		return res, err
	}

	// 2. The same file issued before: finish its job, sign nothing.
	digest := sha256Hex(o.Applicants)
	var again *Manifest
	for _, m := range st.manifests {
		if m.InputSHA256 == digest {
			again = m
		}
	}
	if again == nil {
		used := map[string]bool{}
		for n := range st.numbers {
			used[n] = true
		}
		for _, a := range apps {
			if a.Number != "" && used[a.Number] {
				p.add(a.Line, 0, "留空 number 列则自动编号", "证书编号 %s 已被使用", a.Number)
			}
			used[a.Number] = true
		}
	}
	if err := refuse(p.list, "处问题"); err != nil {
		return res, err
	}

	if again != nil {
		// Nothing to sign, so no key to open.
		return res, issuedBefore(ctx, o, st, again, cat, res)
	}

	// 3. The key, and the duplicates only it can see.
	priv, err := o.OpenKey()
	if err != nil {
		return res, err
	}
	signer, err := signerFor(o.Trust.List, priv, o.Now)
	if err != nil {
		return res, fmt.Errorf("拒绝签发：%w", err)
	}
	if last := st.lastSigned(); o.Now.Before(last) {
		return res, fmt.Errorf("拒绝签发：本机时钟（%s）早于登记库最后一次签名的时间（%s）：先校准时钟", localTime(o.Now), localTime(last))
	}
	pepper, err := o.OpenPepper()
	if err != nil {
		return res, err
	}
	fpr := newFingerprinter(priv)
	issued := st.issuedSet()
	others := 0
	for l := range issued {
		if !strings.HasPrefix(l, fpr.kid+" ") {
			others++
		}
	}
	if others > 0 {
		res.Notes = append(res.Notes, diag.Diagnostic{Pos: diag.Pos{File: path.Join(o.Registry, IndexFile)}, Severity: diag.Warning,
			Message: fmt.Sprintf("此前有 %d 份证书由其他密钥签发，用本密钥无法核对其是否重复", others)})
	}
	dups := &problems{file: o.Input}
	kept := apps[:0]
	for _, a := range apps {
		kid, fp := fpr.of(a.Personal.IDNumber, a.Qual.ID)
		a.holder = Holder{KID: kid, Fingerprint: fp}
		if !issued[kid+" "+fp] {
			kept = append(kept, a)
			continue
		}
		if o.SkipIssued {
			res.Skipped++
			res.Notes = append(res.Notes, diag.Diagnostic{Pos: diag.Pos{File: o.Input, Line: a.Line}, Severity: diag.Warning,
				Message: fmt.Sprintf("已跳过：持证人 %s 已持有 %s 的证书", record.MaskID(a.Personal.IDNumber), a.Qual.ID)})
			continue
		}
		dups.add(a.Line, 0, "", "持证人 %s 已持有 %s 的证书", record.MaskID(a.Personal.IDNumber), a.Qual.ID)
	}
	if len(dups.list) > 0 {
		return res, &BatchError{Problems: dups.list,
			Summary: fmt.Sprintf("批次被拒绝：%d 行此前已签发，未签发任何证书", len(dups.list)),
			Hint:    "传 -skip-issued 只签发其中的新行"}
	}
	if len(kept) == 0 {
		return res, nil
	}

	// 4. Sign.
	used := map[string]bool{}
	for n := range st.numbers {
		used[n] = true
	}
	for _, a := range kept {
		if a.Number != "" {
			used[a.Number] = true
		}
	}
	nb := newNumberer(o.Site, used)
	var personal bytes.Buffer
	personal.WriteString("# qualbridge personal records v1: <token> <number> <base64url(record)>\n")
	m := &Manifest{Batch: st.last + 1, InputSHA256: digest, Verifier: base, IssuedAt: o.Now}
	if m.Batch > 999999 {
		return res, fmt.Errorf("登记库已有 999999 个批次，不能再增加")
	}
	res.Certificates = make([]Certificate, 0, len(kept))
	for _, a := range kept {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		pub, err := newPublic(signer, rnd, nb, a, issuer, o.Now)
		if err != nil {
			return res, fmt.Errorf("%s:%d: %w", o.Input, a.Line, err)
		}
		pb, err := a.Personal.MarshalBinary()
		if err != nil {
			return res, fmt.Errorf("%s:%d: %w", o.Input, a.Line, err)
		}
		fmt.Fprintf(&personal, "%s %s %s\n", pub.Token, pub.Number, base64URL.EncodeToString(pb))
		m.Holders = append(m.Holders, Holder{pub.Number, a.holder.KID, a.holder.Fingerprint})
		res.Certificates = append(res.Certificates, Certificate{Public: pub, Personal: a.Personal, Verifier: base, Skill: isSkill(a.Qual, pub.Level)})
	}
	var sealed bytes.Buffer
	w, err := age.Encrypt(&sealed, o.Recipients...)
	if err != nil {
		return res, err
	}
	if _, err := w.Write(personal.Bytes()); err != nil {
		return res, err
	}
	if err := w.Close(); err != nil {
		return res, err
	}
	params := o.LookupParams
	if params == (seal.Params{}) {
		params = seal.DefaultParams()
	}
	lines, err := sealBatch(ctx, signer, rnd, res.Certificates, pepper, params, o.Now)
	if err != nil {
		return res, err
	}
	sealedFile := formatSealed(lines)
	m.PersonalSHA256, m.SealedSHA256 = sha256Hex(sealed.Bytes()), sha256Hex(sealedFile)

	// 5. Commit.
	indexErr, err := commit(fsys, o.Registry, st, &pending{manifest: m, personal: sealed.Bytes(), sealed: sealedFile}, o.Now)
	if err != nil {
		res.Certificates = nil
		return res, err
	}
	res.IndexErr = indexErr
	res.Batch = batchRel(m.Batch)

	// 6. Print: a separate step, repeatable by running the same command again.
	if o.Out != "" {
		if res.Print, err = Print(ctx, o.Out, res.Certificates); err != nil {
			return res, &PrintError{Batch: res.Batch, Err: err}
		}
	}
	return res, nil
}

var base64URL = base64.RawURLEncoding

// PrintError is a print run that failed after its batch was issued.
type PrintError struct {
	Batch string
	Err   error
}

func (e *PrintError) Error() string {
	return fmt.Sprintf("批次 %s 已签发，但打印失败：%v", e.Batch, e.Err)
}

func (e *PrintError) Unwrap() error { return e.Err }

func refuse(list diag.List, what string) error {
	if list.Count(diag.Error) == 0 {
		return nil
	}
	list.Sort()
	return &BatchError{Problems: list, Summary: fmt.Sprintf("批次被拒绝：%d %s，未签发任何证书", list.Count(diag.Error), what)}
}

// issuedBefore is the run of an applicants file issued before as batch
// m: nothing is signed; the batch is printed again when asked to, from
// its issuance log and its personal records, which alone hold the
// tokens the QR codes print.
func issuedBefore(ctx context.Context, o Options, st *state, m *Manifest, cat *catalog.Catalog, res *Result) error {
	res.Again, res.AgainCount = true, len(m.Holders)
	res.Batch = batchRel(m.Batch)
	if o.Out == "" {
		return nil
	}
	if len(o.Identities) == 0 {
		return &AgainError{Batch: res.Batch, Count: len(m.Holders), Number: m.Batch}
	}
	certs, err := batchCertificates(o.Registry, st, o.Trust.List, m.Batch, o.Identities, cat, "")
	if err != nil {
		return err
	}
	res.Certificates = certs
	if res.Print, err = Print(ctx, o.Out, res.Certificates); err != nil {
		return &PrintError{Batch: res.Batch, Err: err}
	}
	return nil
}

// AgainError is an applicants file issued before, run again to print,
// without the identity that opens its personal records: the tokens the
// QR codes hold are kept only there, encrypted.
type AgainError struct {
	Batch  string // "certs/000001.sealed"
	Number int
	Count  int
}

func (e *AgainError) Error() string {
	return fmt.Sprintf("该申请人文件此前已签发为 %s（%d 份），本次未重复签发；重新打印须解密个人信息（二维码中的令牌只保存在那里）", e.Batch, e.Count)
}

// newPublic draws a certificate's token and salt and builds what the
// certificate shows; it is signed (in version 2) by [sealBatch].
func newPublic(s *record.Signer, rnd io.Reader, nb *numberer, a *applicant, issuer string, now time.Time) (*record.Public, error) {
	tok, err := record.NewToken(rnd)
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(rnd, a.Personal.Salt[:]); err != nil {
		return nil, err
	}
	a.Personal.BirthDate = a.Personal.BirthDate.UTC()
	digest, err := a.Personal.Digest()
	if err != nil {
		return nil, err
	}
	number := a.Number
	if number == "" {
		if number, err = nb.number(a.IssueDate.Year(), a.Level); err != nil {
			return nil, err
		}
	}
	return &record.Public{
		Token:           tok,
		Number:          number,
		HolderMasked:    record.MaskName(a.Personal.Name),
		BirthYear:       a.Personal.BirthDate.Year(),
		IDType:          a.Personal.IDType,
		IDMasked:        record.MaskID(a.Personal.IDNumber),
		TaiwanName:      a.TaiwanName,
		TaiwanGrade:     a.TaiwanGrade,
		OccupationCode:  a.Qual.Occupation,
		OccupationName:  a.OccupationName,
		Level:           string(a.Level),
		QualificationID: a.Qual.ID,
		Issuer:          issuer,
		IssueDate:       a.IssueDate,
		ValidUntil:      a.ValidUntil,
		PersonalDigest:  digest,
		SignedAt:        now.UTC().Truncate(time.Second),
		KID:             s.KID(),
	}, nil
}

// verifierURLOK accepts an https URL without query or fragment, or plain
// http to the loopback host for a local demo of the verifier.
func verifierURLOK(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(base, " ?#") {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		return h == "localhost" || h == "127.0.0.1" || h == "::1"
	}
	return false
}
