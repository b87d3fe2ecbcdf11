package remote_test

import (
	"context"
	"testing"

	"github.com/qualbridge/qualbridge/deploy"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// TestMissingObjectFetchedLater: an object missing at the first poll of
// a head (a store that lists late, a bad read) is fetched at a later poll
// of the same head, and the replica then switches to it (found by review:
// it used to wait for the next publish).
func TestMissingObjectFetchedLater(t *testing.T) {
	ctx := context.Background()
	url := fileURL(t.TempDir())
	s := newSnapshot(4, 2)
	s.publish(t, url)
	r := newReplica(t, url, s.b.Pin(), t.TempDir())
	if err := r.f.Poll(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	s.revoke(1)
	p := s.publish(t, url)
	b, _ := deploy.Open(ctx, url)
	defer b.Close()
	rev := trust.RevocationsFile(p.RevChain)
	data, _ := b.ReadAll(ctx, rev)
	b.Delete(ctx, rev) // not visible yet
	r.f.Poll(ctx, "test")
	b.WriteAll(ctx, rev, data, nil) // visible now
	for range 3 {
		r.f.Poll(ctx, "test")
	}
	if r.headSeq() != p.Seq || r.outcome(s.tok(1)) != "revoked" {
		t.Errorf("the store now holds head %d whole; the replica serves %d, tok(1) %s", p.Seq, r.headSeq(), r.outcome(s.tok(1)))
	}
}
