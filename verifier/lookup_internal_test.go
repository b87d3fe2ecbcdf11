package verifier

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// countingKDF stands in for argon2id: it counts its runs, the most at
// once, and holds each until release is closed.
type countingKDF struct {
	running, most, runs atomic.Int32
	entered             chan struct{}
	release             chan struct{}
}

func (k *countingKDF) kdf(seal.Lookup, seal.Pepper, seal.Params) (record.Locator, seal.Key, error) {
	n := k.running.Add(1)
	for m := k.most.Load(); n > m && !k.most.CompareAndSwap(m, n); m = k.most.Load() {
	}
	k.runs.Add(1)
	k.entered <- struct{}{}
	<-k.release
	k.running.Add(-1)
	return record.Locator{}, seal.Key{}, nil
}

func lookupServer(t *testing.T, cfg Config, k *countingKDF) http.Handler {
	t.Helper()
	store := &Store{}
	store.Set(memoSnapshot(t, trusttest.New("lookup"), nil))
	p := trusttest.Pepper()
	cfg.Pepper, cfg.Now = &p, func() time.Time { return memoNow }
	s, h, err := newServer(slog.New(slog.NewTextHandler(io.Discard, nil)), cfg, store, NewMetrics(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	s.kdf = k.kdf
	return h
}

func lookupRequest(addr string) *http.Request {
	form := url.Values{"number": {"TEST-000001"}, "name": {"测甲乙"}, "id": {"90000001"}}
	req := httptest.NewRequest("POST", "/lookup", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr + ":1234"
	return req
}

// TestLookupFloodBound: a flood of lookups from many addresses runs at
// most LookupSlots KDFs at once; every other lookup answers 503 at once,
// without waiting for a slot.
func TestLookupFloodBound(t *testing.T) {
	const slots, flood = 2, 16
	k := &countingKDF{entered: make(chan struct{}, flood), release: make(chan struct{})}
	h := lookupServer(t, Config{LookupSlots: slots, LookupLimit: 5}, k)
	codes := make(chan int, flood)
	for i := range flood {
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, lookupRequest(fmt.Sprintf("198.51.100.%d", i+1)))
			codes <- rec.Code
		}()
	}
	for range slots {
		<-k.entered
	}
	// The slots are held: every other lookup must answer, and 503.
	for range flood - slots {
		select {
		case c := <-codes:
			if c != http.StatusServiceUnavailable {
				t.Errorf("a lookup past the slots answered %d, want 503", c)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a lookup waits for a KDF slot instead of answering 503")
		}
	}
	close(k.release)
	for range slots {
		if c := <-codes; c != http.StatusNotFound {
			t.Errorf("a lookup with a slot answered %d, want 404 (nothing under the stand-in's locator)", c)
		}
	}
	if most := k.most.Load(); most != slots {
		t.Errorf("%d KDFs at once, want at most (and here exactly) %d", most, slots)
	}
}

// TestLookupLimitBeforeKDF: the rate limiter is consulted before the
// KDF: a client over its limit costs no argon2id.
func TestLookupLimitBeforeKDF(t *testing.T) {
	k := &countingKDF{entered: make(chan struct{}, 16), release: make(chan struct{})}
	close(k.release)
	h := lookupServer(t, Config{LookupLimit: 3}, k)
	var got []int
	for range 6 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, lookupRequest("203.0.113.7"))
		got = append(got, rec.Code)
	}
	if fmt.Sprint(got) != "[404 404 404 429 429 429]" {
		t.Errorf("six lookups under a limit of 3: %v", got)
	}
	if n := k.runs.Load(); n != 3 {
		t.Errorf("%d KDF runs for six lookups under a limit of 3, want 3", n)
	}
}
