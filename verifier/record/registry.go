package record

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Registry file names, relative to the registry directory.
const (
	TrustFile       = "trust.json"
	CertsDir        = "certs"
	RevocationsFile = "revocations.log"
)

// Entry is one line of a batch file: the unsigned index (token, number)
// and the signed envelope. [TrustList.VerifyEntry] re-checks the index
// against the signed payload.
type Entry struct {
	Token    Token
	Number   string
	Envelope []byte
}

// Registry is a loaded registry directory:
//
//	trust.json                 the trust list
//	certs/NNNNNN.certs         one batch per file, never rewritten: one line per certificate,
//	                           "<TOKEN> <NUMBER> <base64url(envelope) without padding>\n"
//	certs/NNNNNN.personal.age  the batch's Personal records, age-encrypted to the centre's recipients
//	revocations.log            one line per revocation, "<base64url(envelope)>\n", append-only
type Registry struct {
	Trust       *TrustList
	Entries     map[Token]Entry
	ByNumber    map[string]Token
	Revocations map[Token]*Revocation // verified at load
	// Untrusted counts revocations skipped because their key is now
	// marked compromised: they may be forgeries, and refusing the whole
	// registry for them would keep a verifier on its old snapshot, so
	// marking a key compromised would never take effect. The centre
	// re-signs the revocations it stands by with a trusted key.
	Untrusted int
}

var b64 = base64.RawURLEncoding

// FormatEntry returns e's batch-file line, with its final newline.
func FormatEntry(e Entry) string {
	return string(e.Token) + " " + e.Number + " " + b64.EncodeToString(e.Envelope) + "\n"
}

// LoadRegistry reads a registry directory WITHOUT verifying certificate
// signatures (that is the verifier's per-request, cached job) but
// verifies every revocation. Any malformed line or file is an error
// naming file:line, so that a bad registry is refused as a whole and the
// verifier keeps its old snapshot. Files in certs/ other than
// NNNNNN.certs (the .personal.age files, temporary files) are ignored.
func LoadRegistry(fsys fs.FS) (*Registry, error) {
	data, err := fs.ReadFile(fsys, TrustFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TrustFile, err)
	}
	tl, err := ParseTrustList(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TrustFile, err)
	}
	r := &Registry{Trust: tl, Entries: map[Token]Entry{}, ByNumber: map[string]Token{}, Revocations: map[Token]*Revocation{}}

	names, err := BatchFiles(fsys)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if err := r.loadBatch(fsys, name); err != nil {
			return nil, err
		}
	}

	data, err = fs.ReadFile(fsys, RevocationsFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", RevocationsFile, err)
	}
	if err := eachLine(RevocationsFile, data, func(line int, s []byte) error {
		env, err := b64.DecodeString(string(s))
		if err != nil {
			return fmt.Errorf("%w: not base64url", ErrMalformed)
		}
		rev, err := tl.VerifyRevocation(env)
		if errors.Is(err, ErrKeyCompromised) {
			r.Untrusted++
			return nil
		}
		if err != nil {
			return err
		}
		e, ok := r.Entries[rev.Token]
		if !ok {
			return fmt.Errorf("revocation of token %s, which is in no batch", rev.Token.Hash())
		}
		if e.Number != rev.Number {
			return fmt.Errorf("revocation names certificate %s but the token is certificate %s", rev.Number, e.Number)
		}
		if _, dup := r.Revocations[rev.Token]; dup {
			return fmt.Errorf("certificate %s revoked twice", rev.Number)
		}
		r.Revocations[rev.Token] = rev
		return nil
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// BatchFiles returns the batch files of the registry in fsys
// ("certs/000001.certs", …), sorted.
func BatchFiles(fsys fs.FS) ([]string, error) {
	des, err := fs.ReadDir(fsys, CertsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CertsDir, err)
	}
	var names []string
	for _, de := range des {
		if _, ok := batchNumber(de.Name()); ok && de.Type().IsRegular() {
			names = append(names, path.Join(CertsDir, de.Name()))
		}
	}
	sort.Strings(names)
	return names, nil
}

// batchNumber parses "000042.certs".
func batchNumber(name string) (int, bool) {
	base, ok := strings.CutSuffix(name, ".certs")
	if !ok || len(base) != 6 {
		return 0, false
	}
	n, err := strconv.Atoi(base)
	return n, err == nil && base[0] != '-' && base[0] != '+'
}

func (r *Registry) loadBatch(fsys fs.FS, name string) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return eachLine(name, data, func(line int, s []byte) error {
		e, err := ParseEntry(s)
		if err != nil {
			return err
		}
		if _, dup := r.Entries[e.Token]; dup {
			return fmt.Errorf("duplicate token %s", e.Token.Hash())
		}
		if _, dup := r.ByNumber[e.Number]; dup {
			return fmt.Errorf("duplicate certificate number %s", e.Number)
		}
		r.Entries[e.Token] = e
		r.ByNumber[e.Number] = e.Token
		return nil
	})
}

// ParseEntry parses one line of a batch file, without its newline:
// "<TOKEN> <NUMBER> <base64url(envelope)>". It checks the framing only;
// [TrustList.VerifyEntry] checks the signature.
func ParseEntry(s []byte) (Entry, error) {
	a, rest, ok1 := bytes.Cut(s, []byte{' '})
	num, enc, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 {
		return Entry{}, fmt.Errorf("%w: want \"<token> <number> <envelope>\"", ErrMalformed)
	}
	t, err := ParseToken(string(a))
	if err != nil {
		return Entry{}, err
	}
	if len(num) == 0 || format().CheckString("number", string(num)) != nil || bytes.ContainsRune(num, ' ') {
		return Entry{}, fmt.Errorf("%w: bad certificate number", ErrMalformed)
	}
	if len(enc) > b64.EncodedLen(maxEnvelope) {
		return Entry{}, fmt.Errorf("%w: envelope is not base64url", ErrMalformed)
	}
	env := make([]byte, b64.DecodedLen(len(enc)))
	n, err := b64.Decode(env, enc)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: envelope is not base64url", ErrMalformed)
	}
	return Entry{Token: t, Number: string(num), Envelope: env[:n]}, nil
}

// BatchNumber parses a batch file's base name, "000042.certs".
func BatchNumber(name string) (int, bool) { return batchNumber(name) }

// eachLine calls fn for every line of data, which must end in a newline
// (a missing one means a torn write); errors are prefixed name:line.
func eachLine(name string, data []byte, fn func(line int, s []byte) error) error {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return fmt.Errorf("%s: %w: last line has no newline (torn write?)", name, ErrMalformed)
	}
	line := 0
	for len(data) > 0 {
		line++
		s, rest, _ := bytes.Cut(data, []byte{'\n'})
		data = rest
		if err := fn(line, s); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	return nil
}

// WriteFileAtomic writes data to name through a temporary file in the
// same directory, fsynced, and a rename, so that a reader (the verifier's
// file watcher) never sees half a file and a crash leaves the old file or
// the new. The directory is fsynced after the rename, so that once it
// returns the new file survives a power loss too: package trust writes
// its snapshot files (objects before the head) and the verifier's
// high-water marks with it, and both rely on that order.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(name))
}

// syncDir fsyncs the directory dir, making the renames in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteBatch adds a new batch to the registry directory dir, for tests
// and benchmarks that need a registry quickly. The centre's registry is
// written by package issuance, whose commit adds a manifest, a journal
// and the directory fsyncs that make a batch survive a crash. This
// writes the encrypted personal records first, then the batch file,
// each written atomically under the next free batch number. Existing batches are
// never touched; a batch whose number is taken meanwhile is refused, not
// overwritten. It returns the batch file's path relative to dir.
func WriteBatch(dir string, entries []Entry, personalAge []byte) (string, error) {
	certs := filepath.Join(dir, CertsDir)
	if err := os.MkdirAll(certs, 0o755); err != nil {
		return "", err
	}
	names, err := BatchFiles(os.DirFS(dir))
	if err != nil {
		return "", err
	}
	next := 1
	if len(names) > 0 {
		n, _ := batchNumber(path.Base(names[len(names)-1]))
		next = n + 1
	}
	if next > 999999 {
		return "", errors.New("registry holds 999999 batches already")
	}
	base := fmt.Sprintf("%06d", next)
	var buf strings.Builder
	for _, e := range entries {
		buf.WriteString(FormatEntry(e))
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{base + ".personal.age", personalAge}, {base + ".certs", []byte(buf.String())}} {
		p := filepath.Join(certs, f.name)
		if _, err := os.Lstat(p); err == nil {
			return "", fmt.Errorf("%s exists already; refusing to overwrite a batch", filepath.Join(CertsDir, f.name))
		}
		if err := WriteFileAtomic(p, f.data, 0o644); err != nil {
			return "", err
		}
	}
	return path.Join(CertsDir, base+".certs"), nil
}

// AppendRevocation appends a signed revocation to dir's revocations.log.
// The whole log is rewritten through a temporary file and a rename (it
// stays small), so that a reader never sees a torn line.
func AppendRevocation(dir string, envelope []byte) error {
	name := filepath.Join(dir, RevocationsFile)
	old, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		return fmt.Errorf("%s: last line has no newline; refusing to append", RevocationsFile)
	}
	data := append(old, b64.EncodeToString(envelope)+"\n"...)
	return WriteFileAtomic(name, data, 0o644)
}
