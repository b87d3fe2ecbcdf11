package trust_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// files lists a folder's files, slash-separated, temporary files left out.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// TestLayout: every object but the head is named by what the head pins;
// a publish keeps what the previous head names (a reader may be fetching
// it) and prunes the rest; an old head put back still finds its objects
// until the next publish.
func TestLayout(t *testing.T) {
	b, toks := builder(t, 3)
	b.PackSize = 2
	dir := t.TempDir()
	h1, err := b.Publish(dir, now.Add(-3*time.Hour), lifetime)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{trust.HeadFile}, trust.Objects(h1)...)
	slices.Sort(want)
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Fatalf("folder after one publish:\n%v\nwant\n%v", got, want)
	}
	if o := trust.Objects(h1); len(o) != 5 || o[0] != "roots/000001.root" || o[1] != trust.ListFile(h1.ListHash) ||
		o[2] != trust.RevocationsFile(h1.RevChain) || o[3] != "records/"+h1.Packs[0].Name {
		t.Fatalf("Objects = %v", o)
	}
	head1, _ := os.ReadFile(filepath.Join(dir, trust.HeadFile))

	if err := b.Revoke(toks[0], issued.AddDate(0, 1, 0), record.Withdrawn, b.Signing, signedAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h2, err := b.Publish(dir, now.Add(-2*time.Hour), lifetime)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range trust.Objects(h1) {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("the previous head's %s was pruned: %v", p, err)
		}
	}
	// A reader still holding the old head loads it whole.
	old := t.TempDir()
	os.CopyFS(old, os.DirFS(dir))
	os.WriteFile(filepath.Join(old, trust.HeadFile), head1, 0o644)
	if s, _, err := load(old, b.Pin(), trust.Marks{}); err != nil || s.Head.Seq != h1.Seq {
		t.Fatalf("the old head beside the new objects: %v", err)
	}

	// The registry forgot its sequence (restored from an old backup):
	// the head still goes above the folder's.
	b.Seq = 0
	h3, err := b.Publish(dir, now.Add(-time.Hour), lifetime)
	if err != nil {
		t.Fatal(err)
	}
	if h3.Seq <= h2.Seq {
		t.Errorf("head %d published over head %d", h3.Seq, h2.Seq)
	}
	want = []string{trust.HeadFile}
	for _, h := range []*trust.Head{h2, h3} {
		for _, p := range trust.Objects(h) {
			if !slices.Contains(want, p) {
				want = append(want, p)
			}
		}
	}
	slices.Sort(want)
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Errorf("folder after three publishes:\n%v\nwant what the last two heads name:\n%v", got, want)
	}
	if _, _, err := load(dir, b.Pin(), trust.Marks{}); err != nil {
		t.Fatal(err)
	}
}

// TestMissingObject: a head whose trust list or revocation list is not
// there is a mismatch, as a missing pack is.
func TestMissingObject(t *testing.T) {
	for _, which := range []func(*trust.Head) string{trusttest.List, trusttest.Revocations} {
		b, _ := builder(t, 1)
		dir := t.TempDir()
		publish(t, b, dir, now.Add(-time.Hour))
		os.Remove(trusttest.Object(t, dir, which))
		if _, _, err := load(dir, b.Pin(), trust.Marks{}); trust.ReasonOf(err) != trust.ReasonMismatch {
			t.Errorf("object missing: %v, want a mismatch", err)
		}
	}
}
