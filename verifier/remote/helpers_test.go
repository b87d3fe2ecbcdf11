package remote_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualbridge/qualbridge/deploy"
	"github.com/qualbridge/qualbridge/verifier"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/remote"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

var (
	issued   = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	signedAt = issued.Add(9 * time.Hour)
	lifetime = 7 * 24 * time.Hour
	holder   = trusttest.Holder{Name: "林试明", IDNumber: "80736152", BirthYear: 1990}
)

// snapshot is a TEST-ONLY snapshot of n certificates, n ≥ 2: tok(0) stays
// valid, tok(1) is the one the tests revoke.
type snapshot struct {
	b *trusttest.Builder
	n int
}

// newSnapshot is deterministic: a test and its child process (which
// publishes the same snapshot, to be killed) build the same bytes.
func newSnapshot(n, packSize int) *snapshot {
	s := &snapshot{b: trusttest.New("remote"), n: n}
	s.b.PackSize = packSize
	for i := range n {
		if _, err := s.b.Add(s.tok(i), trusttest.Cert(fmt.Sprintf("TEST-%06d", i+1), holder, issued), nil, s.b.Signing, signedAt); err != nil {
			panic(err)
		}
	}
	return s
}

func (s *snapshot) tok(i int) record.Token { return trusttest.Token(fmt.Sprint("remote ", i)) }

func (s *snapshot) revoke(i int) {
	if err := s.b.Revoke(s.tok(i), issued.AddDate(0, 1, 0), record.Withdrawn, s.b.Signing, signedAt.Add(time.Hour)); err != nil {
		panic(err)
	}
}

// publish publishes to the store at url, signed now.
func (s *snapshot) publish(t testing.TB, url string) *trust.Published {
	t.Helper()
	b, err := deploy.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := s.b.PublishTo(context.Background(), remote.NewBucket(b), time.Now().Add(-time.Minute), lifetime)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// syncBuffer is a log sink read while replicas write to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// replica is one verifier following a store, in process: its own state
// folder (marks, kept snapshot, cache), metrics and logs, as
// cmd/verifier wires them.
type replica struct {
	store  *verifier.Store
	reg    *prometheus.Registry
	logs   *syncBuffer
	rl     *verifier.Reloader
	f      *remote.Follower
	h      http.Handler
	admin  http.Handler
	state  string
	cancel context.CancelFunc
	done   chan struct{}
}

func newReplica(t testing.TB, url string, pin *trust.Pin, state string) *replica {
	t.Helper()
	r := &replica{store: &verifier.Store{}, reg: prometheus.NewRegistry(), logs: &syncBuffer{}, state: state}
	log := slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := verifier.NewMetrics(r.reg)
	b, err := deploy.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	cache := filepath.Join(state, "mirror")
	mirror, err := remote.NewMirror(b, cache, pin, trust.Options{}, log)
	if err != nil {
		t.Fatal(err)
	}
	r.rl = verifier.NewReloader(verifier.ReloaderConfig{Dir: cache, StateDir: state, Pin: pin}, r.store, log, m)
	r.f = &remote.Follower{Mirror: mirror, Reloader: r.rl, Store: r.store, Metrics: m, Log: log, URL: deploy.Redact(url), Timeout: 20 * time.Second}
	p := trusttest.Pepper()
	if r.h, err = verifier.NewServer(log, verifier.Config{BaseURL: "https://verify.test.invalid", Pepper: &p}, r.store, m); err != nil {
		t.Fatal(err)
	}
	r.admin = verifier.NewAdmin(r.store, r.reg, time.Now)
	return r
}

// start reloads the cache (as cmd/verifier does at a start with one) and
// follows the store every poll until t ends.
func (r *replica) start(t testing.TB, poll time.Duration) {
	if _, err := os.Stat(filepath.Join(r.f.Mirror.Dir(), trust.HeadFile)); err == nil {
		r.rl.Reload("start")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() { defer close(r.done); r.f.Run(ctx, poll, nil) }()
	t.Cleanup(r.stop)
}

func (r *replica) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
		r.cancel = nil
	}
}

// outcome is the JSON verdict on tok.
func (r *replica) outcome(tok record.Token) string {
	w := httptest.NewRecorder()
	r.h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/verify/"+string(tok), nil))
	var a struct{ Outcome string }
	json.NewDecoder(w.Body).Decode(&a)
	return a.Outcome
}

// ready is /readyz: the status and the decoded answer.
func (r *replica) ready() (int, map[string]any) {
	w := httptest.NewRecorder()
	r.admin.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	var a map[string]any
	json.NewDecoder(w.Body).Decode(&a)
	return w.Code, a
}

func (r *replica) headSeq() uint64 {
	if s := r.store.Current(); s != nil {
		return s.Head().Seq
	}
	return 0
}

// metric is the value of the series name with the labels of label
// ("reason=mismatch"), 0 when absent.
func (r *replica) metric(t testing.TB, name, label string) float64 {
	t.Helper()
	mfs, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			k, v, _ := strings.Cut(label, "=")
			match := label == ""
			for _, l := range m.GetLabel() {
				match = match || l.GetName() == k && l.GetValue() == v
			}
			if !match {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
	}
	return 0
}

// refusals is the replica's refused snapshots of every reason.
func (r *replica) refusals(t testing.TB) float64 {
	var n float64
	for _, reason := range trust.Reasons() {
		n += r.metric(t, "verifier_snapshot_refused_total", "reason="+string(reason))
	}
	return n
}

// eventually polls cond every 20 ms until it holds or d has passed.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
