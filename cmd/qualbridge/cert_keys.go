package main

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/issuance"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

// passphraseEnv names the environment variable that holds the key's
// passphrase for unattended runs.
const passphraseEnv = "QUALBRIDGE_PASSPHRASE"

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
	p, err := readPassphrase("签名密钥的口令：")
	if err != nil {
		return "", fmt.Errorf("没有口令：请设置 %s，或在终端上运行（%v）", passphraseEnv, err)
	}
	if p == "" {
		return "", errors.New("口令为空")
	}
	if confirm {
		again, err := readPassphrase("再输入一次口令：")
		if err != nil {
			return "", err
		}
		if again != p {
			return "", errors.New("两次输入的口令不同")
		}
	}
	return p, nil
}

// identities returns the age identities of an identities file (and
// the passphrase's too, if $QUALBRIDGE_PASSPHRASE is set: one run may
// open a passphrase-protected key and personal records encrypted to the
// centre's identity), or the passphrase's alone when file is empty.
func (c *cli) identities(file string) ([]age.Identity, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		ids, err := age.ParseIdentities(strings.NewReader(string(data)))
		if err != nil {
			return nil, fmt.Errorf("%s：不是 age 身份文件：%v", file, err)
		}
		if p := c.getenv(passphraseEnv); p != "" {
			id, err := age.NewScryptIdentity(p)
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	p, err := c.passphrase(false)
	if err != nil {
		return nil, err
	}
	id, err := age.NewScryptIdentity(p)
	if err != nil {
		return nil, err
	}
	return []age.Identity{id}, nil
}

// keyOpener returns the function that opens the signing key, asked for
// only once it is needed: with the identity file, or the passphrase
// when there is none.
func (c *cli) keyOpener(keyFile, identityFile string) func() (ed25519.PrivateKey, error) {
	return c.keyOpenerAs(keyFile, identityFile, false)
}

// keyOpenerAs is keyOpener that, when either is set, also takes the
// passphrase for a key file encrypted to one (see identitiesFor).
func (c *cli) keyOpenerAs(keyFile, identityFile string, either bool) func() (ed25519.PrivateKey, error) {
	return func() (ed25519.PrivateKey, error) {
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, err
		}
		ids, err := c.identitiesFor(data, identityFile, either)
		if err != nil {
			return nil, err
		}
		return issuance.OpenKey(keyFile, data, ids...)
	}
}

// pepperOpener returns the function that opens the registry's lookup
// pepper, with the same identity as the signing key.
func (c *cli) pepperOpener(registry, identityFile string) func() (seal.Pepper, error) {
	return c.pepperOpenerAs(registry, identityFile, false)
}

// pepperOpenerAs is pepperOpener with either as in keyOpenerAs.
func (c *cli) pepperOpenerAs(registry, identityFile string, either bool) func() (seal.Pepper, error) {
	return func() (seal.Pepper, error) {
		data, err := os.ReadFile(filepath.Join(registry, issuance.PepperFile))
		if err != nil {
			return seal.Pepper{}, err
		}
		ids, err := c.identitiesFor(data, identityFile, either)
		if err != nil {
			return seal.Pepper{}, err
		}
		return issuance.OpenPepper(registry, ids...)
	}
}

// identitiesFor returns what opens the age file data: the identity
// file's identities, or the passphrase's when there is none, or (with
// either) when data is encrypted to a passphrase. So reissue's one
// -identity (which must open the personal records) serves a centre
// whose operational keys are encrypted to it (trust init -ops-recipient)
// as well as one whose keys are on the passphrase.
func (c *cli) identitiesFor(data []byte, identityFile string, either bool) ([]age.Identity, error) {
	if either && bytes.HasPrefix(data, []byte("age-encryption.org/v1\n-> scrypt ")) {
		identityFile = "" // a passphrase stanza is always alone, so first
	}
	return c.identities(identityFile)
}

// recipients reads -recipient values and -recipients-file files.
func recipients(values, files []string) ([]age.Recipient, error) {
	data := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		data[f] = b
	}
	return issuance.ParseRecipients(values, data)
}
