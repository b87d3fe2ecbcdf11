package remote_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/internal/weedtest"
	"github.com/qualbridge/qualbridge/verifier/remote"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// BenchmarkPublish100k publishes a snapshot of 100,000 certificates (a
// token copy each and a random stand-in for each lookup copy: 200,000
// sealed records, 13 packs, 115 MB) to a local SeaweedFS, first into an
// empty bucket, then again with nothing changed (a new head only):
//
//	go test -run '^$' -bench Publish100k -benchtime 1x ./verifier/remote
func BenchmarkPublish100k(b *testing.B) {
	srv := weedtest.Start(b)
	s := &snapshot{b: trusttest.New("bench")}
	for i := range 100000 {
		if _, err := s.b.Add(s.tok(i), trusttest.Cert(fmt.Sprintf("TEST-%06d", i+1), holder, issued), nil, s.b.Signing, signedAt); err != nil {
			b.Fatal(err)
		}
	}
	s.b.Filler(100000)
	for i := 0; b.Loop(); i++ {
		bk := srv.Bucket(b, fmt.Sprintf("publish-%d", i))
		ctx := context.Background()
		bucket := func() *remote.Bucket { return remote.NewBucket(bk.Open(b)) }
		start := time.Now()
		first, err := s.b.PublishTo(ctx, bucket(), time.Now().Add(-time.Minute), lifetime)
		if err != nil {
			b.Fatal(err)
		}
		firstTook := time.Since(start)
		start = time.Now()
		again, err := s.b.PublishTo(ctx, bucket(), time.Now().Add(-time.Minute), lifetime)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("first publish: %d objects, %.1f MB in %v; no change: %d written (%d bytes), %d unchanged in %v",
			first.Written, float64(first.Bytes)/1e6, firstTook.Round(time.Millisecond), again.Written, again.Bytes, again.Unchanged, time.Since(start).Round(time.Millisecond))
	}
}
