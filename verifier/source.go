package verifier

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SourceStatus is how a verifier that follows a snapshot store (package
// remote) last fared polling it. Readiness shows it, so that an operator
// sees how stale a replica is while the store is unreachable: the
// replica keeps serving the snapshot in force until its head expires.
type SourceStatus struct {
	URL         string    // the store, without its query
	LastPoll    time.Time // the last poll, successful or not
	LastSuccess time.Time // the last poll that reached the store; zero: never
	LastChange  time.Time // the last poll that found a new head
	Err         string    // the last poll's error; "" when it succeeded
	Failures    int       // polls failed in a row
}

// SetSource records the latest poll of the snapshot store.
func (st *Store) SetSource(s SourceStatus) { st.source.Store(&s) }

// Source returns the latest poll of the snapshot store, or nil when the
// verifier reads a folder.
func (st *Store) Source() *SourceStatus { return st.source.Load() }

// sourceMetrics are the snapshot store's poll series.
type sourceMetrics struct {
	polls       *prometheus.CounterVec // result: changed, unchanged, error
	lastSuccess prometheus.Gauge
	lastChange  prometheus.Gauge
}

func newSourceMetrics() sourceMetrics {
	return sourceMetrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verifier_snapshot_polls_total",
			Help: "Polls of the snapshot store's head, by result: changed (a new head fetched), unchanged, error (store unreachable or an object unreadable).",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verifier_snapshot_last_poll_success_timestamp_seconds",
			Help: "When a poll last reached the snapshot store (Unix time); alert when it falls behind by several poll intervals.",
		}),
		lastChange: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verifier_snapshot_last_change_timestamp_seconds",
			Help: "When a poll last found a new head in the snapshot store (Unix time).",
		}),
	}
}

// Polled counts one poll of the snapshot store: "changed", "unchanged"
// or "error", with its status.
func (m *Metrics) Polled(result string, s SourceStatus) {
	m.source.polls.WithLabelValues(result).Inc()
	if !s.LastSuccess.IsZero() {
		m.source.lastSuccess.Set(float64(s.LastSuccess.UnixNano()) / 1e9)
	}
	if !s.LastChange.IsZero() {
		m.source.lastChange.Set(float64(s.LastChange.UnixNano()) / 1e9)
	}
}

// sourceReadiness is the snapshot store's part of /readyz.
type sourceReadiness struct {
	URL                string  `json:"url"`
	LastPoll           string  `json:"lastPoll,omitempty"`
	LastSuccess        string  `json:"lastSuccess,omitempty"`
	SinceSuccessSecond float64 `json:"secondsSinceLastSuccess,omitempty"`
	LastChange         string  `json:"lastChange,omitempty"`
	Error              string  `json:"error,omitempty"`
	Failures           int     `json:"failuresInARow,omitempty"`
}

func sourceOf(s *SourceStatus, now time.Time) *sourceReadiness {
	if s == nil {
		return nil
	}
	f := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	r := &sourceReadiness{URL: s.URL, LastPoll: f(s.LastPoll), LastSuccess: f(s.LastSuccess), LastChange: f(s.LastChange),
		Error: s.Err, Failures: s.Failures}
	if !s.LastSuccess.IsZero() {
		r.SinceSuccessSecond = now.Sub(s.LastSuccess).Round(time.Second).Seconds()
	}
	return r
}
