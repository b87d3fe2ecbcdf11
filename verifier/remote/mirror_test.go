package remote_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/deploy"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

func fileURL(dir string) string { return "file://" + filepath.ToSlash(dir) }

// TestFollowFile: a replica on a file:// store is not ready before
// anything is published, loads the first publish on its next poll, reads
// only the head's attributes when nothing changed, sees a revocation on
// the poll after its publish, keeps only two heads' objects in its
// cache, and after a restart serves its cache before any poll.
func TestFollowFile(t *testing.T) {
	store := t.TempDir()
	url := fileURL(store)
	s := newSnapshot(4, 2)
	state := t.TempDir()
	r := newReplica(t, url, s.b.Pin(), state)
	ctx := context.Background()

	if err := r.f.Poll(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if code, rd := r.ready(); code != 503 || rd["reason"] != "no snapshot loaded: the snapshot store holds none yet" ||
		!strings.Contains(rd["source"].(map[string]any)["error"].(string), "nothing is published") {
		t.Fatalf("readyz before any publish: %d %v", code, rd)
	}
	h1 := s.publish(t, url)
	if err := r.f.Poll(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if got := r.outcome(s.tok(0)); got != "valid" {
		t.Fatalf("after the first publish: %s, want valid", got)
	}
	if code, _ := r.ready(); code != 200 {
		t.Fatalf("readyz after the first publish: %d", code)
	}
	before := r.metric(t, "verifier_snapshot_polls_total", "result=unchanged")
	r.f.Poll(ctx, "test")
	if n := r.metric(t, "verifier_snapshot_polls_total", "result=unchanged") - before; n != 1 {
		t.Errorf("a poll with nothing published counted %v unchanged polls, want 1", n)
	}
	if n := r.metric(t, "verifier_reloads_total", "result=ok"); n != 1 {
		t.Errorf("%v loads, want 1: an unchanged head must not reload", n)
	}

	s.revoke(1)
	h2 := s.publish(t, url)
	r.f.Poll(ctx, "test")
	if got := r.outcome(s.tok(1)); got != "revoked" {
		t.Fatalf("after the revocation's publish: %s, want revoked", got)
	}
	s.revoke(2)
	h3 := s.publish(t, url)
	r.f.Poll(ctx, "test")
	if got := r.outcome(s.tok(2)); got != "revoked" || h3.Seq <= h2.Seq || h2.Seq <= h1.Seq {
		t.Fatalf("third publish: %s, heads %d %d %d", got, h1.Seq, h2.Seq, h3.Seq)
	}
	// The store and the cache hold what the last two heads name.
	want := []string{trust.HeadFile}
	for _, p := range append(trust.Objects(h2.Head), trust.Objects(h3.Head)...) {
		if !slices.Contains(want, p) {
			want = append(want, p)
		}
	}
	slices.Sort(want)
	for _, dir := range []string{store, filepath.Join(state, "mirror")} {
		have, _ := trust.Folder(dir).List(ctx)
		var got []string
		for p := range have {
			if !strings.Contains(p, ".attrs") {
				got = append(got, p)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s holds\n%v\nwant\n%v", dir, got, want)
		}
	}

	// A restart: the cache serves at once, checked against the marks.
	r2 := newReplica(t, url, s.b.Pin(), state)
	r2.rl.Reload("start")
	if got := r2.outcome(s.tok(2)); got != "revoked" {
		t.Errorf("restarted on the cache: %s, want revoked", got)
	}
}

// TestPublishSequence: a registry that forgot its sequence (restored
// from an older backup) still publishes above the store's head.
func TestPublishSequence(t *testing.T) {
	url := fileURL(t.TempDir())
	s := newSnapshot(2, 0)
	s.publish(t, url)
	s.publish(t, url)
	h := s.publish(t, url)
	s.b.Seq = 0
	if again := s.publish(t, url); again.Seq <= h.Seq || again.PrevSeq != h.Seq {
		t.Errorf("head %d (previous %d) published over head %d", again.Seq, again.PrevSeq, h.Seq)
	}
}

// TestRefusalsFile runs the refusals on a file:// store.
func TestRefusalsFile(t *testing.T) { testRefusals(t, fileURL(t.TempDir())) }

// testRefusals: a corrupt head, an older head and a head naming an
// object the store lacks, each put into the store, are refused with
// their reason in the log and the metric; the snapshot in force keeps
// answering; a good publish afterwards is taken.
func testRefusals(t *testing.T, url string) {
	ctx := context.Background()
	s := newSnapshot(6, 2)
	first := s.publish(t, url)
	s.revoke(1)
	s.publish(t, url)
	r := newReplica(t, url, s.b.Pin(), t.TempDir())
	if err := r.f.Poll(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if r.outcome(s.tok(1)) != "revoked" {
		t.Fatal("the replica did not load the snapshot")
	}
	b, err := deploy.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	firstHead := func() []byte {
		// The first head, re-signed as it was: the builder signs the
		// same bytes for the same inputs.
		dir := t.TempDir()
		seq := s.b.Seq
		s2 := newSnapshot(6, 2)
		s2.b.Seq = first.Seq - 1
		if _, err := s2.b.Publish(dir, first.SignedAt, lifetime); err != nil {
			t.Fatal(err)
		}
		s.b.Seq = seq
		hb, _ := os.ReadFile(filepath.Join(dir, trust.HeadFile))
		return hb
	}
	for _, tc := range []struct {
		name   string
		reason trust.Reason
		head   func() []byte
	}{
		{"corrupt head", trust.ReasonHead, func() []byte {
			hb, _ := b.ReadAll(ctx, trust.HeadFile)
			hb[len(hb)-5] ^= 1 // in the signature
			return hb
		}},
		{"rolled-back head", trust.ReasonRollback, firstHead},
		{"head naming a missing object", trust.ReasonMismatch, func() []byte {
			// A genuine head over one more certificate, put in without
			// the pack that holds it.
			i := s.n
			s.n++
			if _, err := s.b.Add(s.tok(i), trusttest.Cert(fmt.Sprintf("TEST-%06d", i+1), holder, issued), nil, s.b.Signing, signedAt); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if _, err := s.b.Publish(dir, time.Now().Add(-time.Minute), lifetime); err != nil {
				t.Fatal(err)
			}
			hb, _ := os.ReadFile(filepath.Join(dir, trust.HeadFile))
			return hb
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hb := tc.head()
			seq := r.headSeq()
			before := r.metric(t, "verifier_snapshot_refused_total", "reason="+string(tc.reason))
			if err := b.WriteAll(ctx, trust.HeadFile, hb, nil); err != nil {
				t.Fatal(err)
			}
			r.f.Poll(ctx, "test")
			if n := r.metric(t, "verifier_snapshot_refused_total", "reason="+string(tc.reason)) - before; n != 1 {
				t.Errorf("refusals for %s: %v, want 1\n%s", tc.reason, n, r.logs.String())
			}
			if !strings.Contains(r.logs.String(), `"reason":"`+string(tc.reason)+`"`) {
				t.Errorf("no log line with reason %s", tc.reason)
			}
			if r.headSeq() != seq || r.outcome(s.tok(0)) != "valid" || r.outcome(s.tok(1)) != "revoked" {
				t.Errorf("the snapshot in force changed: head %d (was %d), %s, %s", r.headSeq(), seq, r.outcome(s.tok(0)), r.outcome(s.tok(1)))
			}
			// The centre publishes again: taken.
			good := s.publish(t, url)
			if err := r.f.Poll(ctx, "test"); err != nil {
				t.Fatal(err)
			}
			if r.headSeq() != good.Seq {
				t.Errorf("a good publish after the %s: head %d, want %d\n%s", tc.name, r.headSeq(), good.Seq, r.logs.String())
			}
		})
	}
}

// TestForgedHeadFetchesNoPacks: a head not signed by a timestamp key of
// the pinned root's trust list gets none of its packs fetched, even
// ones the store holds (an attacker with write access to the store
// cannot fill a replica's disk), and is refused as a head.
func TestForgedHeadFetchesNoPacks(t *testing.T) {
	ctx := context.Background()
	url := fileURL(t.TempDir())
	s := newSnapshot(4, 2)
	s.publish(t, url)
	state := t.TempDir()
	r := newReplica(t, url, s.b.Pin(), state)
	if err := r.f.Poll(ctx, "test"); err != nil || r.outcome(s.tok(0)) != "valid" {
		t.Fatalf("first poll: %v", err)
	}
	// The attacker's snapshot: one more record, its pack in the store,
	// the head re-signed with the attacker's key.
	s.b.Filler(1)
	scratch := t.TempDir()
	h, err := s.b.Publish(scratch, time.Now().Add(-time.Minute), lifetime)
	if err != nil {
		t.Fatal(err)
	}
	b, err := deploy.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	last := h.Packs[len(h.Packs)-1].Name
	pack, _ := os.ReadFile(filepath.Join(scratch, "records", last))
	if err := b.WriteAll(ctx, trust.PackFile(last), pack, nil); err != nil {
		t.Fatal(err)
	}
	forged, err := h.Sign(trusttest.Key("attacker"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, trust.HeadFile, forged, nil); err != nil {
		t.Fatal(err)
	}
	r.f.Poll(ctx, "test")
	if n := r.metric(t, "verifier_snapshot_refused_total", "reason=head"); n != 1 {
		t.Errorf("refusals for head: %v, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(state, "mirror", "records", last)); err == nil {
		t.Error("the forged head's pack was fetched into the cache")
	}
	if r.outcome(s.tok(0)) != "valid" {
		t.Error("the snapshot in force stopped answering")
	}
}
