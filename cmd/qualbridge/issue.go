package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/verifier/record"
)

// runIssue signs a batch of applicants: it checks every row first and
// refuses the whole batch if one is wrong, then appends one batch to the
// registry and prints each certificate into -out.
func runIssue(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "issue", "-registry DIR -key FILE -recipient age1… [flags] APPLICANTS.csv|.toml")
	o := issueOptions{}
	flags.StringVar(&o.registry, "registry", "", "registry `directory` (made by keygen)")
	flags.StringVar(&o.keyFile, "key", "", "age-encrypted signing key `file`")
	flags.StringVar(&o.identity, "identity", "", "age identities `file` that opens the key (default: the passphrase, from $"+passphraseEnv+" or a prompt)")
	flags.Var(&o.recipients, "recipient", "age `recipient` the personal records are encrypted to (repeatable)")
	flags.Var(&o.recipientFiles, "recipients-file", "`file` of age recipients for the personal records (repeatable)")
	flags.StringVar(&o.catalog, "catalog", ".", "repository `root` whose catalog/ names the qualifications")
	flags.StringVar(&o.out, "out", "", "`directory` for the printed certificates and QR codes (default: none with -no-print)")
	flags.StringVar(&o.date, "date", "", "the issue run's `date` (2006-01-02, default today): no issue or birth date may lie after it")
	flags.StringVar(&o.verifier, "verifier", "", "https `URL` of the verifier (default: verifier_url of catalog/site.toml)")
	flags.StringVar(&o.site, "site", "000001", "6-digit site serial used in generated certificate `numbers`")
	flags.StringVar(&o.issuer, "issuer", centreName, "issuer `name` printed and signed on the certificates")
	flags.BoolVar(&o.skipIssued, "skip-issued", false, "skip rows whose holder already has a certificate for the qualification, instead of refusing the batch")
	flags.BoolVar(&o.noPrint, "no-print", false, "write only the registry batch: no QR codes or printable certificates")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return c.usageErrorf(flags, "issue takes one applicants file")
	}
	o.input = flags.Arg(0)
	if o.registry == "" || o.keyFile == "" {
		return c.usageErrorf(flags, "issue needs -registry and -key")
	}
	if len(o.recipients) == 0 && len(o.recipientFiles) == 0 {
		return c.usageErrorf(flags, "issue needs -recipient or -recipients-file: the personal records are only stored encrypted")
	}
	if !o.noPrint && o.out == "" {
		return c.usageErrorf(flags, "issue needs -out (or -no-print)")
	}
	if len(o.site) != 6 || !allDigits(o.site) {
		return c.usageErrorf(flags, "-site must be 6 digits, got %q", o.site)
	}
	now := time.Now()
	o.today = today(now)
	if o.date != "" {
		d, err := time.Parse(time.DateOnly, o.date)
		if err != nil {
			return c.usageErrorf(flags, "-date %q is not a date (2006-01-02)", o.date)
		}
		o.today = d
	}
	return issue(ctx, c, &o, now)
}

type issueOptions struct {
	registry, keyFile, identity string
	recipients, recipientFiles  stringList
	catalog, out, date          string
	verifier, site, issuer      string
	input                       string
	skipIssued, noPrint         bool
	today                       time.Time
}

// issued is one signed certificate.
type issued struct {
	app      *applicant
	public   *record.Public
	envelope []byte
}

func issue(ctx context.Context, c *cli, o *issueOptions, now time.Time) error {
	rcpts, err := parseRecipients(o.recipients, o.recipientFiles)
	if err != nil {
		return err
	}

	cat, diags := catalog.Load(os.DirFS(o.catalog), catalog.Options{BuildDate: catalog.DateOf(o.today)})
	if diags.Err() != nil {
		c.errorf("the catalog in %s has errors; no certificate is issued from it", o.catalog)
		c.hintf("run 'qualbridge check' there and fix them first")
		return errReported
	}
	base := o.verifier
	if base == "" {
		base = cat.Site.VerifierURL
	}
	if !verifierURLOK(base) {
		c.errorf("the verifier URL %q is not an https URL", base)
		c.hintf("set verifier_url in catalog/site.toml or pass -verifier https://… (http only for localhost, in demos)")
		return errReported
	}

	// 1. Every row, checked before anything is decrypted or written.
	data, err := os.ReadFile(o.input)
	if err != nil {
		return err
	}
	rows, errs := readApplicants(o.input, data)
	chk := &batchChecker{file: o.input, cat: cat, today: o.today, errs: errs}
	var apps []*applicant
	seen := map[string]int{} // id number + qualification → line
	for i := range rows {
		a := chk.check(&rows[i])
		if a == nil {
			continue
		}
		k := a.personal.IDNumber + "\x00" + a.qual.ID
		if first, dup := seen[k]; dup {
			chk.errorf(&rows[i], "id_number", "the same holder and qualification as line %d", first)
			continue
		}
		seen[k] = a.line
		apps = append(apps, a)
	}
	if len(chk.errs) == 0 && len(rows) == 0 {
		chk.errs.add(o.input, 1, 0, "no applicants")
	}

	unlock, err := lockRegistry(o.registry)
	if err != nil {
		return err
	}
	defer unlock()
	// 2. The registry: numbers must be new.
	reg, err := record.LoadRegistry(os.DirFS(o.registry))
	if err != nil {
		return fmt.Errorf("registry %s: %w", o.registry, err)
	}
	used := map[string]bool{}
	for n := range reg.ByNumber {
		used[n] = true
	}
	for _, a := range apps {
		if a.number == "" {
			continue
		}
		if used[a.number] {
			chk.errs.add(o.input, a.line, 0, "certificate number %s is taken", a.number)
		}
		used[a.number] = true
	}
	if len(chk.errs) > 0 {
		for _, e := range chk.errs.sorted() {
			c.errorf("%s", e)
		}
		c.errorf("batch refused: %s; nothing was issued", plural(len(chk.errs), "problem"))
		return errReported
	}

	// 3. The key, and the duplicates only it can see.
	priv, err := c.openKey(o.keyFile, o.identity)
	if err != nil {
		return err
	}
	signer, err := signerFor(reg.Trust, priv, now)
	if err != nil {
		return err
	}
	ix, err := loadIndex(o.registry, priv)
	if err != nil {
		return err
	}
	if ix.others > 0 {
		c.errorf("note: %d earlier certificates were recorded under other keys and cannot be checked for duplicates with this key", ix.others)
	}
	kept := apps[:0]
	var dupErrs rowErrors
	for _, a := range apps {
		if ix.has(ix.fingerprint(a.personal.IDNumber, a.qual.ID)) {
			if o.skipIssued {
				c.errorf("%s:%d: skipped: holder %s already has a certificate for %s", o.input, a.line, record.MaskID(a.personal.IDNumber), a.qual.ID)
				continue
			}
			dupErrs.add(o.input, a.line, 0, "holder %s already has a certificate for %s", record.MaskID(a.personal.IDNumber), a.qual.ID)
			continue
		}
		kept = append(kept, a)
	}
	if len(dupErrs) > 0 {
		for _, e := range dupErrs {
			c.errorf("%s", e)
		}
		c.errorf("batch refused: %s issued before; nothing was issued", plural(len(dupErrs), "row"))
		c.hintf("pass -skip-issued to issue only the new rows")
		return errReported
	}
	if len(kept) == 0 {
		fmt.Fprintln(c.stdout, "nothing to issue: every row was issued before")
		return nil
	}

	// 4. Sign.
	nb := newNumberer(o.site, used)
	certs := make([]issued, 0, len(kept))
	var personal bytes.Buffer
	personal.WriteString("# qualbridge personal records v1: <token> <number> <base64url(record)>\n")
	entries := make([]record.Entry, 0, len(kept))
	for _, a := range kept {
		if err := ctx.Err(); err != nil {
			return err
		}
		cert, err := signOne(signer, nb, a, o.issuer, now)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", o.input, a.line, err)
		}
		pb, err := cert.app.personal.MarshalBinary()
		if err != nil {
			return fmt.Errorf("%s:%d: %w", o.input, a.line, err)
		}
		fmt.Fprintf(&personal, "%s %s %s\n", cert.public.Token, cert.public.Number, b64url(pb))
		entries = append(entries, record.Entry{Token: cert.public.Token, Number: cert.public.Number, Envelope: cert.envelope})
		certs = append(certs, cert)
	}
	var sealed bytes.Buffer
	w, err := age.Encrypt(&sealed, rcpts...)
	if err != nil {
		return err
	}
	if _, err := w.Write(personal.Bytes()); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}

	// 5. Write: the batch, then the index (a crash between the two can
	// only leave a certificate that the index misses, never an index
	// entry without a certificate).
	batch, err := record.WriteBatch(o.registry, entries, sealed.Bytes())
	if err != nil {
		return err
	}
	for _, a := range kept {
		ix.add(ix.fingerprint(a.personal.IDNumber, a.qual.ID))
	}
	if err := ix.save(o.registry); err != nil {
		return fmt.Errorf("batch %s written, but the issued index was not: %w", batch, err)
	}
	fmt.Fprintf(c.stdout, "issued %s: %s\n", plural(len(certs), "certificate"), filepath.Join(o.registry, batch))

	// 6. Print.
	if o.noPrint {
		return nil
	}
	if err := printAll(ctx, o.out, base, certs); err != nil {
		return err
	}
	q, err := newQR(certs[0].public.Token.URL(base))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "qr: version %d, level Q, %d modules with quiet zone, %.2f mm per module at %g mm\n",
		q.version, q.modules(), q.moduleMM(), qrPrintMM)
	for _, cert := range certs {
		fmt.Fprintf(c.stdout, "%s %s\n", cert.public.Number, filepath.Join(o.out, cert.public.Number+".html"))
	}
	return nil
}

// signOne builds the two parts of a certificate and signs the public one.
func signOne(s *record.Signer, nb *numberer, a *applicant, issuer string, now time.Time) (issued, error) {
	tok, err := record.NewToken(rand.Reader)
	if err != nil {
		return issued{}, err
	}
	if _, err := rand.Read(a.personal.Salt[:]); err != nil {
		return issued{}, err
	}
	a.personal.BirthDate = a.personal.BirthDate.UTC()
	digest, err := a.personal.Digest()
	if err != nil {
		return issued{}, err
	}
	number := a.number
	if number == "" {
		if number, err = nb.number(a.issueDate.Year(), a.level); err != nil {
			return issued{}, err
		}
	}
	p := &record.Public{
		Token:           tok,
		Number:          number,
		HolderMasked:    record.MaskName(a.personal.Name),
		BirthYear:       a.personal.BirthDate.Year(),
		IDType:          a.personal.IDType,
		IDMasked:        record.MaskID(a.personal.IDNumber),
		TaiwanName:      a.taiwanName,
		TaiwanGrade:     a.taiwanGrade,
		OccupationCode:  a.qual.Occupation,
		OccupationName:  a.occupationName,
		Level:           string(a.level),
		QualificationID: a.qual.ID,
		Issuer:          issuer,
		IssueDate:       a.issueDate,
		ValidUntil:      a.validUntil,
		NameCheck:       record.NameCheck(tok, a.personal.Name),
		PersonalDigest:  digest,
	}
	env, err := s.Sign(p, now)
	if err != nil {
		return issued{}, err
	}
	return issued{app: a, public: p, envelope: env}, nil
}

// printAll writes <number>.png, .svg and .html per certificate. QR and
// PNG encoding cost far more than signing, so the work is spread over
// the CPUs.
func printAll(ctx context.Context, out, base string, certs []issued) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tpl, err := newCertTemplate()
	if err != nil {
		return err
	}
	work := make(chan issued)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc := &pngEncoder{}
			for cert := range work {
				if err := printOne(out, base, tpl, enc, cert); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, cert := range certs {
		if ctx.Err() != nil || len(errs) > 0 {
			break
		}
		work <- cert
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}

func printOne(out, base string, tpl *template.Template, enc *pngEncoder, cert issued) error {
	p, a := cert.public, cert.app
	link := p.Token.URL(base)
	q, err := newQR(link)
	if err != nil {
		return err
	}
	pngData, err := q.PNG(enc)
	if err != nil {
		return err
	}
	taiwan := p.TaiwanName
	if p.TaiwanGrade != "" {
		taiwan += "（" + p.TaiwanGrade + "）"
	}
	view := certView{
		Number:         p.Number,
		Name:           a.personal.Name,
		Sex:            a.personal.Sex,
		Birth:          chineseDate(a.personal.BirthDate),
		IDLabel:        idLabel(a.personal.IDType),
		IDNumber:       a.personal.IDNumber,
		TaiwanQual:     taiwan,
		OccupationName: p.OccupationName,
		OccupationCode: p.OccupationCode,
		Level:          p.Level,
		Issuer:         p.Issuer,
		IssueDate:      chineseDate(p.IssueDate),
		Token:          string(p.Token),
		URL:            link,
		QR:             template.HTML(q.SVG(true)),
	}
	if !p.ValidUntil.IsZero() {
		view.ValidUntil = chineseDate(p.ValidUntil)
	}
	var html bytes.Buffer
	if err := tpl.Execute(&html, view); err != nil {
		return err
	}
	stem := filepath.Join(out, p.Number)
	for _, f := range []struct {
		ext  string
		data []byte
	}{{".png", pngData}, {".svg", []byte(q.SVG(false))}, {".html", html.Bytes()}} {
		// Printed files are regenerable, so no fsync/rename here: they
		// were a quarter of a 10,000-certificate run.
		if err := os.WriteFile(stem+f.ext, f.data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

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
