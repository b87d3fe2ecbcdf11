package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// centreName is the issuer the trust list and certificates name by default.
const centreName = "福建省（平潭）台胞职业资格考证认证一体化服务中心"

// passphraseEnv names the environment variable that holds the key's
// passphrase for unattended runs.
const passphraseEnv = "QUALBRIDGE_PASSPHRASE"

// keyFileHeader is the first line of a decrypted key file; the second
// is the base64 Ed25519 seed.
const keyFileHeader = "qualbridge signing key v1"

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// passphrase returns the passphrase from the environment or, on a
// terminal, from a prompt (twice when confirm is set, for a new key).
func (c *cli) passphrase(confirm bool) (string, error) {
	if p := c.getenv(passphraseEnv); p != "" {
		return p, nil
	}
	p, err := readPassphrase("passphrase for the signing key: ")
	if err != nil {
		return "", fmt.Errorf("no passphrase: set %s or run on a terminal (%v)", passphraseEnv, err)
	}
	if p == "" {
		return "", errors.New("empty passphrase")
	}
	if confirm {
		again, err := readPassphrase("the same passphrase again: ")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("the passphrases differ")
		}
	}
	return p, nil
}

// sealKey returns the key file: the seed, age-encrypted to recipients.
func sealKey(priv ed25519.PrivateKey, recipients []age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recipients...)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%s\n%s\n", keyFileHeader, base64.StdEncoding.EncodeToString(priv.Seed()))
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// openKey decrypts a key file with an identities file if one is given,
// else with the passphrase.
func (c *cli) openKey(keyFile, identityFile string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	var ids []age.Identity
	if identityFile != "" {
		ids, err = readIdentities(identityFile)
		if err != nil {
			return nil, err
		}
	} else {
		p, err := c.passphrase(false)
		if err != nil {
			return nil, err
		}
		id, err := age.NewScryptIdentity(p)
		if err != nil {
			return nil, err
		}
		ids = []age.Identity{id}
	}
	r, err := age.Decrypt(bytes.NewReader(data), ids...)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decrypt the signing key: %v", keyFile, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", keyFile, err)
	}
	head, seed64, _ := strings.Cut(strings.TrimSpace(string(plain)), "\n")
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(seed64))
	if head != keyFileHeader || err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a qualbridge signing key", keyFile)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func readIdentities(name string) ([]age.Identity, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return ids, nil
}

// parseRecipients reads -recipient values and -recipients-file files.
func parseRecipients(flags []string, files []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range flags {
		rs, err := age.ParseRecipients(strings.NewReader(s))
		if err != nil || len(rs) != 1 {
			return nil, fmt.Errorf("-recipient %q is not an age recipient (age1…)", s)
		}
		out = append(out, rs...)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		rs, err := age.ParseRecipients(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// signerFor checks that the registry's trust list lists the key as
// active and may sign at now, so that nothing is issued that the
// verifier would call not genuine.
func signerFor(tl *record.TrustList, priv ed25519.PrivateKey, now time.Time) (*record.Signer, error) {
	s := record.NewSigner(priv)
	k, ok := tl.Key(s.KID())
	switch {
	case !ok:
		return nil, fmt.Errorf("key %s is not in the registry's trust list", s.KID())
	case k.Status != record.KeyActive:
		return nil, fmt.Errorf("key %s is %s, not active", s.KID(), k.Status)
	case now.Before(k.NotBefore) || now.After(k.NotAfter):
		return nil, fmt.Errorf("key %s may sign only from %s to %s", s.KID(), k.NotBefore.Format(time.RFC3339), k.NotAfter.Format(time.RFC3339))
	}
	return s, nil
}

// The issued index (registry/issued.idx) remembers which (identity
// number, qualification) pairs have a certificate, so that issuing a
// batch twice is caught. It holds keyed fingerprints, never numbers: the
// HMAC key is derived from the signing key, so the index alone cannot be
// brute-forced over the small space of 8-digit permit numbers. Each line
// names the kid whose key made it; after a key rotation, lines of the old
// key can only be checked with the old key (issue says how many it
// could not check).
const indexFile = "issued.idx"

type issuedIndex struct {
	kid    string
	key    []byte
	own    map[string]bool // fingerprints made with this key
	others int             // lines of other keys
	lines  []string
}

func indexKey(priv ed25519.PrivateKey) []byte {
	m := hmac.New(sha256.New, priv.Seed())
	m.Write([]byte("qualbridge/issued-index/v1"))
	return m.Sum(nil)
}

func loadIndex(registry string, priv ed25519.PrivateKey) (*issuedIndex, error) {
	ix := &issuedIndex{kid: record.KeyID(priv.Public().(ed25519.PublicKey)), key: indexKey(priv), own: map[string]bool{}}
	f, err := os.Open(filepath.Join(registry, indexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return ix, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		kid, fp, ok := strings.Cut(line, " ")
		if !ok || len(fp) != 32 {
			return nil, fmt.Errorf("%s:%d: malformed index line", filepath.Join(registry, indexFile), n)
		}
		ix.lines = append(ix.lines, line)
		if kid == ix.kid {
			ix.own[fp] = true
		} else {
			ix.others++
		}
	}
	return ix, sc.Err()
}

func (ix *issuedIndex) fingerprint(idNumber, qualification string) string {
	m := hmac.New(sha256.New, ix.key)
	m.Write([]byte(idNumber))
	m.Write([]byte{0})
	m.Write([]byte(qualification))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

func (ix *issuedIndex) has(fp string) bool { return ix.own[fp] }

func (ix *issuedIndex) add(fp string) {
	ix.own[fp] = true
	ix.lines = append(ix.lines, ix.kid+" "+fp)
}

func (ix *issuedIndex) save(registry string) error {
	var b strings.Builder
	for _, l := range ix.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return record.WriteFileAtomic(filepath.Join(registry, indexFile), []byte(b.String()), 0o600)
}

// writeNew writes data to name only if name does not exist yet: a key
// file is never overwritten.
func writeNew(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}
