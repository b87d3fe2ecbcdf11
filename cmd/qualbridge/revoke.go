package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// runRevoke appends a signed revocation of one certificate to the
// registry's revocations.log.
func runRevoke(ctx context.Context, c *cli, args []string) error {
	reasons := make([]string, 0, 4)
	for _, r := range record.Reasons() {
		reasons = append(reasons, string(r))
	}
	flags := newFlags(c, "revoke", "-registry DIR -key FILE (-number N | -token T) -reason R [-date D]")
	registry := flags.String("registry", "", "registry `directory`")
	keyFile := flags.String("key", "", "age-encrypted signing key `file`")
	identity := flags.String("identity", "", "age identities `file` that opens the key (default: the passphrase)")
	number := flags.String("number", "", "certificate `number` to revoke")
	token := flags.String("token", "", "certificate `token` to revoke (from its QR code)")
	reason := flags.String("reason", "", "generic `reason`: "+strings.Join(reasons, ", "))
	date := flags.String("date", "", "revocation `date` (2006-01-02, default today)")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return c.usageErrorf(flags, "revoke takes no arguments, got %q", flags.Arg(0))
	}
	if *registry == "" || *keyFile == "" || *reason == "" || (*number == "") == (*token == "") {
		return c.usageErrorf(flags, "revoke needs -registry, -key, -reason and one of -number or -token")
	}
	why, err := record.ParseReason(*reason)
	if err != nil {
		return c.usageErrorf(flags, "-reason %q is not one of %s", *reason, strings.Join(reasons, ", "))
	}
	now := time.Now()
	day := today(now)
	if *date != "" {
		if day, err = time.Parse(time.DateOnly, *date); err != nil {
			return c.usageErrorf(flags, "-date %q is not a date (2006-01-02)", *date)
		}
	}

	unlock, err := lockRegistry(*registry)
	if err != nil {
		return err
	}
	defer unlock()
	reg, err := record.LoadRegistry(os.DirFS(*registry))
	if err != nil {
		return fmt.Errorf("registry %s: %w", *registry, err)
	}
	var e record.Entry
	var ok bool
	if *token != "" {
		t, err := record.ParseToken(*token)
		if err != nil {
			return c.usageErrorf(flags, "-token: %v", err)
		}
		e, ok = reg.Entries[t]
	} else {
		e, ok = reg.Entries[reg.ByNumber[*number]]
	}
	if !ok {
		c.errorf("no certificate %s%s in %s", *number, *token, *registry)
		return errReported
	}
	// Revoke only what the registry really signed: an index line whose
	// envelope does not verify is a problem to investigate, not to paper over.
	pub, err := reg.Trust.VerifyEntry(e)
	if err != nil {
		return fmt.Errorf("certificate %s does not verify: %w", e.Number, err)
	}
	if r, done := reg.Revocations[e.Token]; done {
		c.errorf("certificate %s is already revoked (%s, %s)", e.Number, r.Date.Format(time.DateOnly), r.Reason)
		return errReported
	}
	if day.Before(pub.IssueDate) {
		return c.usageErrorf(flags, "-date %s is before the certificate's issue date %s", day.Format(time.DateOnly), pub.IssueDate.Format(time.DateOnly))
	}

	priv, err := c.openKey(*keyFile, *identity)
	if err != nil {
		return err
	}
	signer, err := signerFor(reg.Trust, priv, now)
	if err != nil {
		return err
	}
	rev := &record.Revocation{Token: e.Token, Number: e.Number, Date: day, Reason: why}
	env, err := signer.SignRevocation(rev, now)
	if err != nil {
		return err
	}
	if err := record.AppendRevocation(*registry, env); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "revoked %s on %s: %s (%s)\n", e.Number, day.Format(time.DateOnly), string(why), why)
	return nil
}
