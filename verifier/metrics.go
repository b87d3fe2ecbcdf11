package verifier

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualbridge/qualbridge/verifier/trust"
)

// Metrics are the service's Prometheus collectors. They are registered on
// a registry the caller builds (in cmd/verifier's run), never on the
// global default one.
type Metrics struct {
	requests   *prometheus.CounterVec   // route, code
	duration   *prometheus.HistogramVec // route
	outcomes   *prometheus.CounterVec   // channel, outcome
	sigChecks  prometheus.Counter
	reloads    *prometheus.CounterVec // result
	loadedAt   prometheus.Gauge
	certs      prometheus.Gauge
	revs       prometheus.Gauge
	loadTime   prometheus.Gauge
	rateLimits *prometheus.CounterVec // limit
	refusals   *prometheus.CounterVec // reason
	headSeq    prometheus.Gauge
	headSigned prometheus.Gauge
	headExpiry prometheus.Gauge
	listExpiry prometheus.Gauge
	listSeq    prometheus.Gauge
	lookups    *prometheus.CounterVec // result: derived, busy, disabled
	source     sourceMetrics

	// byOutcome holds the outcomes series per channel and outcome,
	// resolved once: the verify handlers count one per request.
	byOutcome [3][8]prometheus.Counter
}

// channels and outcomes index Metrics.byOutcome; functions rather than
// package variables, which would be mutable state.
func channels() [3]string { return [...]string{"scan", "api", "lookup"} }

func outcomes() [8]Outcome {
	return [...]Outcome{Valid, Expired, Revoked, Unknown, NotGenuine, KeyCompromised, Malformed, Unavailable}
}

// routeMetrics is one route pattern's series, resolved once.
type routeMetrics struct {
	duration prometheus.Observer
	ok       prometheus.Counter // status 200; other codes are rare and looked up
}

func (m *Metrics) route(pattern string) *routeMetrics {
	return &routeMetrics{duration: m.duration.WithLabelValues(pattern), ok: m.requests.WithLabelValues(pattern, "200")}
}

// outcome returns the series of one verification answer.
func (m *Metrics) outcome(channel string, o Outcome) prometheus.Counter {
	for i, c := range channels() {
		if c != channel {
			continue
		}
		for j, oc := range outcomes() {
			if oc == o {
				return m.byOutcome[i][j]
			}
		}
	}
	return m.outcomes.WithLabelValues(channel, string(o))
}

// NewMetrics creates the collectors and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verifier_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "verifier_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verifier_verifications_total",
			Help: "Verification answers by channel (scan, api, lookup) and outcome.",
		}, []string{"channel", "outcome"}),
		sigChecks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "verifier_signature_checks_total",
			Help: "Record signatures checked (once per token and snapshot; later answers are memoised).",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verifier_reloads_total",
			Help: "Snapshot loads by result: ok, unchanged, or refused (the previous snapshot kept serving).",
		}, []string{"result"}),
		loadedAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verifier_snapshot_loaded_timestamp_seconds",
			Help: "When the snapshot in force was loaded (Unix time).",
		}),
		certs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verifier_snapshot_certificates",
			Help: "Sealed records (token and lookup copies) in the snapshot in force.",
		}),
		revs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verifier_snapshot_revocations",
			Help: "Revocations in the snapshot in force.",
		}),
		loadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "verifier_snapshot_load_seconds",
			Help: "How long the last successful registry load took.",
		}),
		rateLimits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "verifier_rate_limited_total",
			Help: "Requests refused by a per-address rate limit, by limit (scan, lookup).",
		}, []string{"limit"}),
	}
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "verifier_snapshot_refused_total",
		Help: "Snapshots refused, by reason (another root, rollback, expired, mismatch, …); the previous snapshot kept serving.",
	}, []string{"reason"})
	m.headSeq = prometheus.NewGauge(prometheus.GaugeOpts{Name: "verifier_head_sequence", Help: "Sequence of the head in force."})
	m.headSigned = prometheus.NewGauge(prometheus.GaugeOpts{Name: "verifier_head_signed_timestamp_seconds", Help: "When the head in force was signed: the data's time (Unix time)."})
	m.headExpiry = prometheus.NewGauge(prometheus.GaugeOpts{Name: "verifier_head_expiry_timestamp_seconds", Help: "When the head in force expires; past it every answer is 503 (Unix time)."})
	m.listExpiry = prometheus.NewGauge(prometheus.GaugeOpts{Name: "verifier_trust_list_expiry_timestamp_seconds", Help: "When the trust list in force expires (Unix time); alert 30, 14 and 7 days before."})
	m.listSeq = prometheus.NewGauge(prometheus.GaugeOpts{Name: "verifier_trust_list_sequence", Help: "Sequence of the trust list in force."})
	m.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "verifier_lookup_kdf_total",
		Help: "Manual lookups by result: derived (the KDF ran), busy (503, all KDF slots taken), disabled (no pepper).",
	}, []string{"result"})
	reg.MustRegister(m.requests, m.duration, m.outcomes, m.sigChecks, m.reloads,
		m.loadedAt, m.certs, m.revs, m.loadTime, m.rateLimits, m.refusals,
		m.headSeq, m.headSigned, m.headExpiry, m.listExpiry, m.listSeq, m.lookups)
	m.source = newSourceMetrics()
	reg.MustRegister(m.source.polls, m.source.lastSuccess, m.source.lastChange)
	for _, r := range []string{"changed", "unchanged", "error"} {
		m.source.polls.WithLabelValues(r)
	}
	for _, r := range trust.Reasons() {
		m.refusals.WithLabelValues(string(r))
	}
	for _, r := range []string{"derived", "busy", "disabled"} {
		m.lookups.WithLabelValues(r)
	}
	m.reloads.WithLabelValues("unchanged")
	// Zero series exist from the start, so dashboards and alerts on
	// refused reloads see 0 rather than nothing.
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("refused")
	for i, c := range channels() {
		for j, o := range outcomes() {
			m.byOutcome[i][j] = m.outcomes.WithLabelValues(c, string(o))
		}
	}
	return m
}

func (m *Metrics) snapshot(s *Snapshot, seconds float64) {
	m.loadedAt.Set(float64(s.LoadedAt().UnixNano()) / 1e9)
	m.certs.Set(float64(s.Records()))
	m.revs.Set(float64(s.Revocations()))
	m.loadTime.Set(seconds)
	h, l := s.Head(), s.List()
	m.headSeq.Set(float64(h.Seq))
	m.headSigned.Set(float64(h.SignedAt.Unix()))
	m.headExpiry.Set(float64(h.Expires.Unix()))
	m.listExpiry.Set(float64(l.Expires.Unix()))
	m.listSeq.Set(float64(l.Seq))
}
