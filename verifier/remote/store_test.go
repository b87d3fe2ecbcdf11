package remote_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/deploy"
	"github.com/qualbridge/qualbridge/internal/weedtest"
	"github.com/qualbridge/qualbridge/verifier/remote"
)

// killedSnapshot is version v of the snapshot a child process publishes:
// version 0 grown by 100 certificates a version (new packs to upload
// every time) and, from version 1, a revocation.
func killedSnapshot(v int) *snapshot {
	s := newSnapshot(1000+100*v, 32)
	if v > 0 {
		s.revoke(1)
	}
	return s
}

// TestMain lets the test binary stand in for "qualbridge publish -to" in a
// child process, which testKilled kills at random moments.
func TestMain(m *testing.M) {
	if url := os.Getenv("QUALBRIDGE_TEST_PUBLISH_TO"); url != "" {
		b, err := deploy.Open(context.Background(), url)
		if err == nil {
			v, _ := strconv.Atoi(os.Getenv("QUALBRIDGE_TEST_PUBLISH_VERSION"))
			_, err = killedSnapshot(v).b.PublishTo(context.Background(), announce{remote.NewBucket(b)}, time.Now().Add(-time.Minute), lifetime)
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// announce prints a line on stdout before each write, for the parent to
// kill the publish after a chosen number of writes.
type announce struct{ *remote.Bucket }

func (a announce) Write(ctx context.Context, path string, data []byte) error {
	fmt.Println("write", path)
	return a.Bucket.Write(ctx, path, data)
}

// TestStore runs publishing and following against a real S3-compatible
// store, one server for most, a bucket each.
func TestStore(t *testing.T) {
	srv := weedtest.Start(t)
	t.Run("Replicas", func(t *testing.T) { testReplicas(t, srv.Bucket(t, "replicas").URL()) })
	t.Run("Refusals", func(t *testing.T) { testRefusals(t, srv.Bucket(t, "refusals").URL()) })
	t.Run("Killed", func(t *testing.T) { testKilled(t, srv.Bucket(t, "killed").URL()) })
	t.Run("DownAtStart", testDownAtStart)
}

// testReplicas: three replicas, each with its own state and cache, on one
// URL converge on a revocation within one poll interval of its publish.
func testReplicas(t *testing.T, url string) {
	const poll = time.Second
	s := newSnapshot(300, 64)
	s.publish(t, url)
	var rs []*replica
	for range 3 {
		r := newReplica(t, url, s.b.Pin(), t.TempDir())
		r.start(t, poll)
		rs = append(rs, r)
	}
	for i, r := range rs {
		if !eventually(5*time.Second, func() bool { return r.outcome(s.tok(1)) == "valid" }) {
			t.Fatalf("replica %d never loaded the first publish:\n%s", i, r.logs.String())
		}
	}
	s.revoke(1)
	s.publish(t, url)
	published := time.Now()
	for i, r := range rs {
		// One poll interval, and the time to fetch and check the snapshot.
		if !eventually(poll+time.Second-time.Since(published), func() bool { return r.outcome(s.tok(1)) == "revoked" }) {
			t.Fatalf("replica %d not revoked %v after the publish:\n%s", i, time.Since(published), r.logs.String())
		}
	}
	t.Logf("three replicas revoked %v after the publish (poll %v)", time.Since(published).Round(time.Millisecond), poll)
	for i, r := range rs {
		if n := r.refusals(t); n != 0 {
			t.Errorf("replica %d refused %v snapshots", i, n)
		}
	}
}

// testKilled: a publish killed at random points leaves the store's old
// head with all its objects: a replica polling meanwhile sees the old
// snapshot or the new, never refuses one; the publish run again
// completes.
func testKilled(t *testing.T, url string) {
	s := killedSnapshot(0)
	first := s.publish(t, url)
	r := newReplica(t, url, s.b.Pin(), t.TempDir())
	r.start(t, 100*time.Millisecond)
	if !eventually(5*time.Second, func() bool { return r.headSeq() == first.Seq }) {
		t.Fatalf("the replica did not load the first publish:\n%s", r.logs.String())
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(12, 2))
	lastSeq := first.Seq
	b, err := deploy.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bucket := remote.NewBucket(b)
	objects := func() int {
		have, err := bucket.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(have)
	}
	midUpload, completed := 0, 0 // rounds killed between uploads and the head; rounds that ran to the end
	for round := range 8 {
		had, headBefore := objects(), r.headSeq()
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "QUALBRIDGE_TEST_PUBLISH_TO="+url, fmt.Sprint("QUALBRIDGE_TEST_PUBLISH_VERSION=", round+1))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Killed after a random number of writes: version v+1 adds about
		// 7 packs to version v, and the head is the last write.
		after := 1 + rng.IntN(9)
		lines := bufio.NewScanner(out)
		for n := 0; n < after && lines.Scan(); n++ {
		}
		cmd.Process.Kill()
		io.Copy(io.Discard, out)
		if err := cmd.Wait(); err == nil {
			completed++
		} else if !strings.Contains(err.Error(), "killed") {
			t.Fatalf("round %d: publish failed: %v\n%s", round, err, stderr.String())
		}
		time.Sleep(300 * time.Millisecond) // polls in between
		if objects() > had && r.headSeq() == headBefore {
			midUpload++
		}
		if n := r.refusals(t); n != 0 {
			t.Fatalf("round %d: the replica refused a snapshot of a killed publish:\n%s", round, r.logs.String())
		}
		if got := r.outcome(s.tok(0)); got != "valid" {
			t.Fatalf("round %d: %s, want valid", round, got)
		}
		if seq := r.headSeq(); seq < lastSeq {
			t.Fatalf("round %d: head %d after head %d", round, seq, lastSeq)
		} else {
			lastSeq = seq
		}
	}
	again := killedSnapshot(9)
	p := again.publish(t, url)
	if !eventually(5*time.Second, func() bool { return r.headSeq() == p.Seq }) || r.outcome(s.tok(1)) != "revoked" {
		t.Fatalf("after the re-run: head %d, want %d; %s\n%s", r.headSeq(), p.Seq, r.outcome(s.tok(1)), r.logs.String())
	}
	if n := r.refusals(t); n != 0 {
		t.Errorf("%v refusals", n)
	}
	t.Logf("8 publishes killed after 1 to 9 writes: %d between uploads and the head, %d after the head; the re-run wrote %d objects, found %d in place",
		midUpload, completed, p.Written, p.Unchanged)
}

// testDownAtStart: a replica started while the store is down, with no
// cache, is not ready and says why; it becomes ready on its own once the
// store is up and holds a snapshot; when the store goes away again it
// keeps serving and readiness says since when it has not reached it.
func testDownAtStart(t *testing.T) {
	srv := weedtest.New(t)
	url := weedtest.Bucket{Endpoint: srv.Endpoint, Name: "later"}.URL()
	s := newSnapshot(20, 0)
	r := newReplica(t, url, s.b.Pin(), t.TempDir())
	r.f.Timeout = 2 * time.Second
	r.start(t, 300*time.Millisecond)
	if !eventually(5*time.Second, func() bool { return r.metric(t, "verifier_snapshot_polls_total", "result=error") >= 2 }) {
		t.Fatal("no failed polls while the store is down")
	}
	code, rd := r.ready()
	if code != 503 || rd["reason"] != "no snapshot loaded: the snapshot store is unreachable" || rd["source"] == nil || rd["source"].(map[string]any)["error"] == "" {
		t.Fatalf("readyz with the store down: %d %v", code, rd)
	}
	if got := r.outcome(s.tok(0)); got != "unavailable" {
		t.Errorf("a scan with the store down and no cache: %s, want unavailable", got)
	}
	// The log does not promise a snapshot the replica does not have.
	if l := r.logs.String(); !strings.Contains(l, "no snapshot to serve, not ready until it answers") || strings.Contains(l, "serving the snapshot in force") {
		t.Errorf("log with the store down and no snapshot:\n%s", l)
	}

	srv.Start(t)
	srv.Bucket(t, "later")
	s.publish(t, url)
	if !eventually(10*time.Second, func() bool { code, _ := r.ready(); return code == 200 }) {
		t.Fatalf("not ready after the store came up:\n%s", r.logs.String())
	}
	if got := r.outcome(s.tok(0)); got != "valid" {
		t.Errorf("after the store came up: %s, want valid", got)
	}

	srv.Stop()
	before := r.metric(t, "verifier_snapshot_polls_total", "result=error")
	if !eventually(10*time.Second, func() bool { return r.metric(t, "verifier_snapshot_polls_total", "result=error") > before }) {
		t.Fatal("no failed poll after the store went away")
	}
	code, rd = r.ready()
	src, _ := rd["source"].(map[string]any)
	if code != 200 || src == nil || src["error"] == "" || src["lastSuccess"] == "" {
		t.Errorf("readyz with the store gone: %d %v; want ready, with the error and the last success", code, rd)
	}
	if got := r.outcome(s.tok(0)); got != "valid" {
		t.Errorf("with the store gone: %s, want valid (the snapshot in force)", got)
	}
	if !strings.Contains(r.logs.String(), "snapshot store unreachable: serving the snapshot in force") {
		t.Error("no log line saying the store is unreachable and the snapshot in force serves")
	}
}
