package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// runKeygen creates a signing key: the private key goes only into an
// age-encrypted file, the public key into the registry's trust list.
func runKeygen(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "keygen", "-registry DIR -key FILE [-recipient age1…] [-not-before DATE] [-not-after DATE]")
	registry := flags.String("registry", "", "registry `directory` whose trust.json gets the public key (created if missing)")
	keyFile := flags.String("key", "", "`file` to write the age-encrypted private key to; never overwritten")
	var recipients stringList
	flags.Var(&recipients, "recipient", "encrypt the key to this age `recipient` instead of a passphrase (repeatable)")
	notBefore := flags.String("not-before", "", "start of the window in which the key may sign (`date` or RFC 3339; default now)")
	notAfter := flags.String("not-after", "", "end of the window (`date` or RFC 3339; default five years after its start)")
	issuer := flags.String("issuer", centreName, "the body the key signs for")
	workFactor := flags.Int("scrypt-work-factor", 18, "log2 of the scrypt work factor for a passphrase (lower it only in tests)")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if *registry == "" || *keyFile == "" {
		return c.usageErrorf(flags, "keygen needs -registry and -key")
	}
	if flags.NArg() > 0 {
		return c.usageErrorf(flags, "keygen takes no arguments, got %q", flags.Arg(0))
	}

	now := time.Now().UTC().Truncate(time.Second)
	from, until := now, time.Time{}
	var err error
	if *notBefore != "" {
		if from, err = parseWhen(*notBefore); err != nil {
			return c.usageErrorf(flags, "-not-before: %v", err)
		}
	}
	until = from.AddDate(5, 0, 0)
	if *notAfter != "" {
		if until, err = parseWhen(*notAfter); err != nil {
			return c.usageErrorf(flags, "-not-after: %v", err)
		}
	}
	if !from.Before(until) {
		return c.usageErrorf(flags, "the window %s .. %s is empty", from.Format(time.RFC3339), until.Format(time.RFC3339))
	}

	// Everything that can fail is checked before the key exists.
	if _, err := os.Stat(*keyFile); err == nil {
		return fmt.Errorf("%s exists already; a key file is never overwritten", *keyFile)
	}
	trustPath := filepath.Join(*registry, record.TrustFile)
	tl := &record.TrustList{}
	if data, err := os.ReadFile(trustPath); err == nil {
		if tl, err = record.ParseTrustList(data); err != nil {
			return fmt.Errorf("%s: %w", trustPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var rcpts []age.Recipient
	if len(recipients) > 0 {
		if rcpts, err = parseRecipients(recipients, nil); err != nil {
			return err
		}
	} else {
		p, err := c.passphrase(true)
		if err != nil {
			return err
		}
		r, err := age.NewScryptRecipient(p)
		if err != nil {
			return err
		}
		r.SetWorkFactor(*workFactor)
		rcpts = []age.Recipient{r}
	}

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	sealed, err := sealKey(priv, rcpts)
	if err != nil {
		return err
	}
	kid := record.KeyID(pub)
	tl.Keys = append(tl.Keys, record.TrustedKey{KID: kid, PublicKey: pub, NotBefore: from, NotAfter: until, Status: record.KeyActive, Issuer: *issuer})
	trust, err := tl.Marshal()
	if err != nil {
		return err
	}
	if dir := filepath.Dir(*keyFile); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	if err := writeNew(*keyFile, sealed, 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(*registry, 0o755); err != nil {
		return err
	}
	if err := record.WriteFileAtomic(trustPath, trust, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created signing key %s\n", kid)
	fmt.Fprintf(c.stdout, "private key (age-encrypted): %s\n", *keyFile)
	fmt.Fprintf(c.stdout, "trust list: %s (may sign %s .. %s)\n", trustPath, from.Format(time.RFC3339), until.Format(time.RFC3339))
	return nil
}
