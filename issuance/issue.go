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
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// Options is one issue run.
type Options struct {
	Registry   string // registry directory (made by keygen)
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
	// Trust is the registry's root of trust ([OpenTrust]); a registry
	// that has one (trust init) issues only with it and its Pepper: each
	// certificate is then signed in version 2 too, by a key the
	// root-signed trust list lets sign now, and sealed twice (by token,
	// and for manual lookup, under the pepper OpenPepper returns, asked
	// for after the key) into the batch's .sealed file.
	Trust        *Trust
	OpenPepper   func() (seal.Pepper, error)
	LookupParams seal.Params // zero: seal.DefaultParams()
}

// Result is what an issue run did.
type Result struct {
	Batch        string // the batch file, relative to the registry: "certs/000001.certs"
	Certificates []Certificate
	// Again is set when this applicants file was issued before (as
	// Batch): nothing was signed, and the certificates were printed again.
	Again     bool
	Recovered []Action  // what recovery of an earlier, interrupted run did
	Notes     diag.List // rows skipped with SkipIssued, and other warnings
	IndexErr  error     // the batch is issued but issued.idx lags (the next run rebuilds it)
	Print     PrintInfo // set when printed
	Skipped   int       // rows skipped with SkipIssued
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
		for n := range st.reg.ByNumber {
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

	// 3. The key, and the duplicates only it can see.
	priv, err := o.OpenKey()
	if err != nil {
		return res, err
	}
	signer, err := SignerFor(st.reg.Trust, priv, o.Now)
	if err != nil {
		return res, err
	}
	var pepper seal.Pepper
	if HasTrust(o.Registry) && o.Trust == nil {
		return res, fmt.Errorf("登记库 %s 有根信任：签发须核对根签名的信任列表并封存证书", o.Registry)
	}
	if o.Trust != nil {
		if err := maySign(o.Trust.List, signer.KID(), trust.RoleSigning, o.Now); err != nil {
			return res, fmt.Errorf("拒绝签发：密钥 %s 此刻不得签名（不在根签名的信任列表 %s 中、已停用或不在可签名时间内）：%v", signer.KID(), ListFile, err)
		}
		if last := st.lastSigned(); o.Now.Before(last) {
			return res, fmt.Errorf("拒绝签发：本机时钟（%s）早于登记库最后一次签名的时间（%s）：先校准时钟", localTime(o.Now), localTime(last))
		}
		if o.OpenPepper == nil {
			return res, errors.New("签发需要人工查询的 pepper（OpenPepper）")
		}
		if pepper, err = o.OpenPepper(); err != nil {
			return res, err
		}
	}
	fpr := newFingerprinter(priv)
	if again != nil {
		return res, reissueFromInput(ctx, o, st, again, apps, fpr, cat, res)
	}
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
	for n := range st.reg.ByNumber {
		used[n] = true
	}
	for _, a := range kept {
		if a.Number != "" {
			used[a.Number] = true
		}
	}
	nb := newNumberer(o.Site, used)
	var personal, certs bytes.Buffer
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
		pub, env, err := signOne(signer, rnd, nb, a, issuer, o.Now)
		if err != nil {
			return res, fmt.Errorf("%s:%d: %w", o.Input, a.Line, err)
		}
		pb, err := a.Personal.MarshalBinary()
		if err != nil {
			return res, fmt.Errorf("%s:%d: %w", o.Input, a.Line, err)
		}
		fmt.Fprintf(&personal, "%s %s %s\n", pub.Token, pub.Number, base64URL.EncodeToString(pb))
		certs.WriteString(record.FormatEntry(record.Entry{Token: pub.Token, Number: pub.Number, Envelope: env}))
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
	m.CertsSHA256, m.PersonalSHA256 = sha256Hex(certs.Bytes()), sha256Hex(sealed.Bytes())
	var sealedFile []byte
	if o.Trust != nil {
		params := o.LookupParams
		if params == (seal.Params{}) {
			params = seal.DefaultParams()
		}
		lines, err := sealBatch(ctx, signer, rnd, res.Certificates, pepper, params, o.Now)
		if err != nil {
			return res, err
		}
		sealedFile = formatSealed(lines)
		m.SealedSHA256 = sha256Hex(sealedFile)
	}

	// 5. Commit.
	indexErr, err := commit(fsys, o.Registry, st, &pending{manifest: m, certs: certs.Bytes(), personal: sealed.Bytes(), sealed: sealedFile}, o.Now)
	if err != nil {
		res.Certificates = nil
		return res, err
	}
	res.IndexErr = indexErr
	res.Batch = path.Join(record.CertsDir, batchBase(m.Batch)+certsExt)

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

// reissueFromInput is the run of an applicants file issued before as
// batch m: it matches each row to its certificate by fingerprint and
// prints them again, from the signed records and the rows.
func reissueFromInput(ctx context.Context, o Options, st *state, m *Manifest, apps []*applicant, fpr *fingerprinter, cat *catalog.Catalog, res *Result) error {
	res.Again = true
	res.Batch = path.Join(record.CertsDir, batchBase(m.Batch)+certsExt)
	byFP := map[string]string{}
	for _, h := range m.Holders {
		byFP[h.KID+" "+h.Fingerprint] = h.Number
	}
	for _, a := range apps {
		kid, fp := fpr.of(a.Personal.IDNumber, a.Qual.ID)
		num, ok := byFP[kid+" "+fp]
		if !ok {
			continue // skipped in that run: issued in an earlier batch
		}
		e := st.reg.Entries[st.reg.ByNumber[num]]
		pub, err := st.reg.Trust.VerifyEntry(e)
		if err != nil {
			return &RegistryError{Dir: o.Registry, Err: fmt.Errorf("证书 %s 的签名无法核验：%v", num, err)}
		}
		res.Certificates = append(res.Certificates, Certificate{Public: pub, Personal: a.Personal, Verifier: m.Verifier, Skill: isSkill(cat.Qualification(pub.QualificationID), pub.Level)})
	}
	if o.Out != "" && len(res.Certificates) > 0 {
		var err error
		if res.Print, err = Print(ctx, o.Out, res.Certificates); err != nil {
			return &PrintError{Batch: res.Batch, Err: err}
		}
	}
	return nil
}

// signOne builds the two parts of a certificate and signs the public one.
func signOne(s *record.Signer, rnd io.Reader, nb *numberer, a *applicant, issuer string, now time.Time) (*record.Public, []byte, error) {
	tok, err := record.NewToken(rnd)
	if err != nil {
		return nil, nil, err
	}
	if _, err := io.ReadFull(rnd, a.Personal.Salt[:]); err != nil {
		return nil, nil, err
	}
	a.Personal.BirthDate = a.Personal.BirthDate.UTC()
	digest, err := a.Personal.Digest()
	if err != nil {
		return nil, nil, err
	}
	number := a.Number
	if number == "" {
		if number, err = nb.number(a.IssueDate.Year(), a.Level); err != nil {
			return nil, nil, err
		}
	}
	p := &record.Public{
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
		NameCheck:       record.NameCheck(tok, a.Personal.Name),
		PersonalDigest:  digest,
	}
	env, err := s.Sign(p, now)
	if err != nil {
		return nil, nil, err
	}
	// The envelope carries the signing time and kid; the printed copy
	// shows what the verifier will.
	p.SignedAt, p.KID = now.UTC().Truncate(time.Second), s.KID()
	return p, env, nil
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
