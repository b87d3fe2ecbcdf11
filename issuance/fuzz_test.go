package issuance

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/qualbridge/qualbridge/verifier/trust"
)

// FuzzParseApplicants feeds the applicants parser (it reads files from
// outside) anything at all. The property: it never panics, and every
// diagnostic points inside the file (a line that exists, a column on
// it), with a message in Chinese, so the operator can act on it.
func FuzzParseApplicants(f *testing.F) {
	f.Add("x.csv", string(fictionalBatch(0, 2)))
	f.Add("x.csv", "name,sex\n\"a,b\n")
	f.Add("x.toml", "[[applicant]]\nname = \"林测试\"\nid_number = 1\nbirth_date = 1990-01-01T10:00:00\n")
	f.Add("x.toml", "applicant = [{name = \"x\"}]\nfoo = 1\n")
	f.Fuzz(func(t *testing.T, name, data string) {
		if !strings.HasSuffix(name, ".csv") && !strings.HasSuffix(name, ".toml") {
			name += ".csv"
		}
		rows, ds := ParseApplicants(name, []byte(data))
		lines := strings.Count(data, "\n") + 1
		for _, d := range ds {
			if d.Pos.File != name || d.Pos.Line < 0 || d.Pos.Line > lines {
				t.Errorf("diagnostic outside the file (%d lines): %s", lines, d)
			}
			if !hasHan(d.Message) {
				t.Errorf("message not in Chinese: %s", d)
			}
		}
		for _, r := range rows {
			if r.Line < 1 || r.Line > lines {
				t.Errorf("row at line %d of %d", r.Line, lines)
			}
		}
	})
}

// FuzzRegistryFiles feeds the readers of the registry's own files (the
// manifest, the issuance log, the journal) anything at all: a registry
// copied from a damaged disk, or edited by someone. The property: none
// panics; an error names a line that exists; and what one reads, written
// back in its one form and read again, writes the same bytes (so a
// file the registry accepts means one thing).
func FuzzRegistryFiles(f *testing.F) {
	tr := newTrustedRegistry(f, fictionalBatch(0, 2))
	mustIssue(f, tr.Options)
	for _, name := range []string{"000001.batch", "000001.sealed"} {
		f.Add(string(mustRead(f, filepath.Join(tr.Registry, CertsDir, name))))
	}
	f.Add(string((&journal{Batch: 2, Count: 3, InputSHA256: strings.Repeat("0", 64), Started: testToday, PID: 1}).format()))
	f.Add("qualbridge batch v2\ncount 1\nholder a b 0123456789abcdef0123456789abcdef\n")
	f.Fuzz(func(t *testing.T, data string) {
		lines := strings.Count(data, "\n") + 1
		lineOK := func(err error) {
			var le *lineError
			if errors.As(err, &le) && (le.line < 1 || le.line > lines) {
				t.Fatalf("error on line %d of a %d-line file: %v", le.line, lines, err)
			}
		}
		if m, err := parseManifest(1, []byte(data)); err != nil {
			lineOK(err)
		} else {
			again, err := parseManifest(1, m.format())
			if err != nil || !bytes.Equal(again.format(), m.format()) || !reflect.DeepEqual(again.Holders, m.Holders) {
				t.Fatalf("manifest does not read back: %v\n%+v\n%+v", err, m, again)
			}
		}
		if ls, err := parseSealed([]byte(data)); err != nil {
			lineOK(err)
		} else {
			again, err := parseSealed(formatSealed(ls))
			if err != nil || !bytes.Equal(formatSealed(again), formatSealed(ls)) || len(again) != len(ls) {
				t.Fatalf("issuance log does not read back: %v", err)
			}
		}
		if j, err := parseJournal([]byte(data)); err == nil {
			again, err := parseJournal(j.format())
			if err != nil || !bytes.Equal(again.format(), j.format()) {
				t.Fatalf("journal does not read back: %v\n%+v\n%+v", err, j, again)
			}
		}
	})
}

// FuzzRevocationList feeds registry recover's reader of a snapshot's
// revocation list (outside input: the store) a list of envelopes and one
// byte changed anywhere in its file. The property: the list as written
// reads back as exactly those envelopes, and a changed file is refused,
// never read as another list that passes for the head's.
func FuzzRevocationList(f *testing.F) {
	f.Add([]byte("one\x00two\x00three"), 0, byte(1))
	f.Add([]byte(""), 3, byte(0x80))
	f.Add([]byte("\x00\x00"), 9, byte(0xff))
	f.Fuzz(func(t *testing.T, joined []byte, at int, xor byte) {
		var envs [][]byte
		if len(joined) > 0 {
			envs = bytes.Split(joined, []byte{0})
		}
		file := append([]byte("QBV2"), binary.BigEndian.AppendUint32(nil, uint32(len(envs)))...)
		for _, e := range envs {
			file = binary.AppendUvarint(file, uint64(len(e)))
			file = append(file, e...)
		}
		h := &trust.Head{Revocations: uint32(len(envs)), RevChain: trust.Chain(envs)[len(envs)]}
		dir := t.TempDir()
		name := filepath.Join(dir, filepath.FromSlash(trust.RevocationsFile(h.RevChain)))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, file, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := readRevocationList(dir, h)
		if err != nil || len(got) != len(envs) {
			t.Fatalf("the list as written: %d envelopes, %v; want %d", len(got), err, len(envs))
		}
		for i := range envs {
			if !bytes.Equal(got[i], envs[i]) {
				t.Fatalf("envelope %d: %q, want %q", i, got[i], envs[i])
			}
		}
		if xor == 0 {
			return
		}
		if at < 0 {
			at = -at
		}
		file[at%len(file)] ^= xor
		if err := os.WriteFile(name, file, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := readRevocationList(dir, h); err == nil {
			t.Fatalf("a changed list read as %d envelopes", len(got))
		}
	})
}
