package verifier

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/text/language"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

// Config is the service's configuration.
type Config struct {
	// BaseURL is the public address of the verifier, as printed in the QR
	// codes (https://verify.example.org). Every page shows its host so a
	// reader can compare it with the address bar.
	BaseURL string
	// ScanLimit is the number of verification requests (/c/, /api/v1/verify/)
	// one client address may make per minute; 0 means no limit.
	ScanLimit int
	// LookupLimit is the number of manual lookups one client address may
	// make per minute; 0 means no limit. Keep it low: it is the only way
	// to guess at numbers and names.
	LookupLimit int
	// TrustedProxies lists the CIDR prefixes of proxies whose
	// X-Forwarded-For header names the client. Empty: the client is the
	// TCP peer.
	TrustedProxies []string
	// Now is the clock, for expiry dates and freshness; nil means time.Now.
	Now func() time.Time
	// Pepper is the manual lookup's secret; nil disables manual lookup
	// (it answers 503).
	Pepper *seal.Pepper
	// LookupParams are the lookup KDF's parameters; zero means
	// seal.DefaultParams, which the issuer seals with.
	LookupParams seal.Params
	// LookupSlots is how many lookup KDFs may run at once (each holds
	// LookupParams.Memory); 0 means 2. A lookup finding them all taken
	// answers 503.
	LookupSlots int
}

// Limits on requests, against slow and oversized clients.
const (
	MaxBody   = 64 << 10 // bytes of request body
	maxPath   = 512      // bytes of URL path and query
	maxNumber = 64       // bytes of a certificate number in a lookup
	maxName   = 64       // characters of a name in a lookup
)

// server is what every handler closes over.
type server struct {
	log     *slog.Logger
	cfg     Config
	store   *Store
	m       *Metrics
	pages   *pages
	text    [nLangs]*text
	matcher language.Matcher

	// Answers that are not about a record, rendered once like verdicts.
	malformed, unavailable *verdict

	skeletons sync.Map // shape → *skeleton, see render.go

	// kdfSlots holds one token per lookup KDF running; kdf is
	// seal.LookupKeys (a test counts and holds its runs).
	kdfSlots chan struct{}
	kdf      func(seal.Lookup, seal.Pepper, seal.Params) (record.Locator, seal.Key, error)
	// clock formats the time of the check; bodies are JSON answer
	// buffers, reused once written.
	clock  clock
	bodies sync.Pool

	// hdr holds header values shared by every answer; net/http never
	// writes into a header's slice, and len == cap makes an Add copy it.
	hdr struct{ vary, retryAfter, html, json, problem []string }
	// routes holds each route pattern's metric series, resolved once at
	// start-up: a WithLabelValues lookup hashes and locks per request.
	routes map[string]*routeMetrics
}

// NewServer returns the verifier's public service: scans, lookup,
// assets and /healthz. Metrics and readiness detail are on [NewAdmin].
func NewServer(log *slog.Logger, cfg Config, store *Store, m *Metrics) (http.Handler, error) {
	_, h, err := newServer(log, cfg, store, m)
	return h, err
}

func newServer(log *slog.Logger, cfg Config, store *Store, m *Metrics) (*server, http.Handler, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LookupParams == (seal.Params{}) {
		cfg.LookupParams = seal.DefaultParams()
	}
	if cfg.LookupSlots <= 0 {
		cfg.LookupSlots = 2
	}
	p, err := newPages(cfg.BaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("verifier: templates: %w", err)
	}
	s := &server{
		log: log, cfg: cfg, store: store, m: m, pages: p, text: texts(), kdfSlots: make(chan struct{}, cfg.LookupSlots), kdf: seal.LookupKeys,
		matcher:   language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.TraditionalChinese}),
		malformed: &verdict{outcome: Malformed}, unavailable: &verdict{outcome: Unavailable},
	}
	s.bodies.New = func() any { b := make([]byte, 0, 1024); return &b }
	r := chi.NewRouter()
	r.Use(s.observe, s.recoverer, securityHeaders(), s.limitRequest)
	if len(cfg.TrustedProxies) > 0 {
		// Behind proxies the client is named by X-Forwarded-For; else
		// clientKey takes the TCP peer, without this middleware's copy
		// of every request.
		r.Use(middleware.ClientIPFromXFF(cfg.TrustedProxies...))
	}
	addRoutes(r, s)
	one := func(v string) []string { return []string{v}[:1:1] }
	s.hdr.vary, s.hdr.retryAfter = one("Accept, Accept-Language"), one("30")
	s.hdr.html, s.hdr.json, s.hdr.problem = one("text/html; charset=utf-8"), one("application/json"), one("application/problem+json")
	s.routes = map[string]*routeMetrics{"unmatched": m.route("unmatched")}
	if err := chi.Walk(r, func(_, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		s.routes[route] = m.route(route)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("verifier: routes: %w", err)
	}
	return s, r, nil
}

// NewAdmin returns the admin service, for a loopback or internal
// address: /readyz with the snapshot's age and expiry, /metrics from
// gather, /healthz.
func NewAdmin(store *Store, gather prometheus.Gatherer, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	r := chi.NewRouter()
	r.Use(securityHeaders())
	addAdminRoutes(r, store, gather, now)
	return r
}

// reqInfo is what a handler tells the request log about the request.
type reqInfo struct {
	token   record.Token // logged as its hash only
	outcome Outcome
}

// statusWriter records the status and size of an answer, and carries
// the handler's reqInfo back to observe (cheaper than a context value,
// which would copy every request).
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	info   reqInfo
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// info returns the request's log record; a no-op record when w is not
// from observe (handlers called directly).
func info(w http.ResponseWriter) *reqInfo {
	if sw, ok := w.(*statusWriter); ok {
		return &sw.info
	}
	return &reqInfo{}
}

// clientKey is the rate limits' key: the client address, IPv6 by /64.
func clientKey(r *http.Request) (string, error) {
	ip := middleware.GetClientIP(r.Context())
	if ip == "" {
		ip = r.RemoteAddr
		if host, _, err := net.SplitHostPort(ip); err == nil {
			ip = host
		}
	}
	return httprate.CanonicalizeIP(ip), nil
}

// observe logs every request and counts it in the metrics. The log holds
// the route pattern, never the path: the path holds the token.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := &statusWriter{ResponseWriter: w}
		ri := &ww.info
		next.ServeHTTP(ww, r)
		took := time.Since(start)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		status := ww.status
		if status == 0 {
			status = http.StatusOK
		}
		if rm := s.routes[route]; rm != nil {
			rm.duration.Observe(took.Seconds())
			if status == http.StatusOK {
				rm.ok.Inc()
			} else {
				s.m.requests.WithLabelValues(route, statusText(status)).Inc()
			}
		} else {
			s.m.requests.WithLabelValues(route, statusText(status)).Inc()
			s.m.duration.WithLabelValues(route).Observe(took.Seconds())
		}
		// A valid verification is logged at debug, not info: at tens of
		// thousands of scans a second one log line each costs more CPU
		// than the answer (encoding, a lock, a write), and a valid scan
		// is counted in the metrics anyway. What an operator must see
		// stays at info: every other outcome (revoked, unknown, not
		// genuine, malformed, unavailable), every error status, and every
		// route other than the verdicts.
		level := slog.LevelInfo
		switch {
		case route == "/healthz", route == "/static/*":
			level = slog.LevelDebug
		case ri.outcome == Valid && status == http.StatusOK:
			level = slog.LevelDebug
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("ms", float64(took.Microseconds())/1000),
			slog.Int("bytes", ww.bytes),
		}
		if ri.token != "" {
			// Hashed only here, when the line is written: never the token.
			attrs = append(attrs, slog.String("token_hash", ri.token.Hash()))
		}
		if ri.outcome != "" {
			attrs = append(attrs, slog.String("outcome", string(ri.outcome)))
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// statusText is strconv.Itoa without an allocation for the usual codes.
func statusText(code int) string {
	switch code {
	case 200:
		return "200"
	case 400:
		return "400"
	case 404:
		return "404"
	case 422:
		return "422"
	case 429:
		return "429"
	case 503:
		return "503"
	}
	return strconv.Itoa(code)
}

// recoverer turns a panic into a 500 with nothing of it shown.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "value", fmt.Sprint(v))
				s.problem(w, r, http.StatusInternalServerError, "internal", s.text[s.lang(r)].Title[Unavailable], s.text[s.lang(r)].Detail[Unavailable])
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows the stylesheet and images of this origin
// and nothing else: no script at all, no inline style, no framing.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders returns the middleware that sets the headers of every
// answer. Answers are never cached (a revocation must show at once, and
// nothing of a holder may stay in a shared cache); only /static/
// overrides Cache-Control. The header values are built once and shared
// by every answer: net/http replaces a header's slice on Set, never
// writes into it, and each has len == cap, so an Add copies it.
func securityHeaders() func(http.Handler) http.Handler {
	one := func(v string) []string { return []string{v}[:1:1] }
	csp, noStore, noRef, noIndex, nosniff, same := one(contentSecurityPolicy), one("no-store"),
		one("no-referrer"), one("noindex"), one("nosniff"), one("same-origin")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Content-Security-Policy"] = csp
			h["Cache-Control"] = noStore
			h["Referrer-Policy"] = noRef
			h["X-Robots-Tag"] = noIndex
			h["X-Content-Type-Options"] = nosniff
			h["Cross-Origin-Opener-Policy"] = same
			h["Cross-Origin-Resource-Policy"] = same
			next.ServeHTTP(w, r)
		})
	}
}

// limitRequest refuses over-long URLs and bodies before any handler runs,
// and caps what a handler can read.
func (s *server) limitRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.URL.EscapedPath())+len(r.URL.RawQuery) > maxPath {
			t := s.text[s.lang(r)]
			s.problem(w, r, http.StatusRequestURITooLong, "uri-too-long", t.Title[Malformed], t.Detail[Malformed])
			return
		}
		if r.ContentLength > MaxBody {
			s.tooLarge(w, r)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) tooLarge(w http.ResponseWriter, r *http.Request) {
	t := s.text[s.lang(r)]
	// The rest of the body is not read: close rather than drain it.
	w.Header().Set("Connection", "close")
	s.problem(w, r, http.StatusRequestEntityTooLarge, "too-large", t.TooLarge, t.TooLarge)
}

// rateLimit returns a per-client-address limit of n requests a minute, or
// a pass-through when n is 0.
func (s *server) rateLimit(name string, n int) func(http.Handler) http.Handler {
	if n <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return httprate.LimitBy(n, time.Minute,
		clientKey,
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			s.m.rateLimits.WithLabelValues(name).Inc()
			t := s.text[s.lang(r)]
			s.problem(w, r, http.StatusTooManyRequests, "rate-limited", t.TooMany, t.TooMany)
		}),
		httprate.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.Error("rate limiter", "err", err)
			t := s.text[s.lang(r)]
			s.problem(w, r, http.StatusServiceUnavailable, "unavailable", t.Title[Unavailable], t.Detail[Unavailable])
		}),
	)
}

// lang picks the script: ?lang= first, then Accept-Language (zh-TW,
// zh-HK and zh-Hant choose Traditional), else Simplified.
func (s *server) lang(r *http.Request) lang {
	var q string
	if r.URL.RawQuery != "" {
		q = r.URL.Query().Get("lang")
	}
	switch q {
	case "zh-Hant", "zh-hant", "zh-TW", "zh-HK":
		return hant
	case "zh-Hans", "zh-hans", "zh-CN":
		return hans
	}
	al := r.Header.Get("Accept-Language")
	if al == "" || len(al) > 256 {
		return hans
	}
	tags, _, err := language.ParseAcceptLanguage(al)
	if err != nil || len(tags) == 0 {
		return hans
	}
	_, i, conf := s.matcher.Match(tags...)
	if conf != language.No && i == 1 {
		return hant
	}
	return hans
}

// wantsJSON reports whether the Accept header prefers JSON to HTML.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if accept == "" || len(accept) > 1024 {
		return false
	}
	qJSON, qHTML := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/json", "application/problem+json":
			qJSON = max(qJSON, q)
		case "text/html", "application/xhtml+xml":
			qHTML = max(qHTML, q)
		}
	}
	return qJSON > 0 && qJSON > qHTML
}

// problem writes an answer that is not a verdict (413, 414, 429, 404 of
// a route, 405, 500) as problem JSON or a plain HTML page.
func (s *server) problem(w http.ResponseWriter, r *http.Request, status int, kind, title, detail string) {
	at := s.clock.checkedAt(s.cfg.Now())
	a := &answer{Type: problemBase + kind, Status: status, Title: title, Detail: detail, CheckedAt: at.text, CheckedAtText: at.page}
	if snap := s.store.Current(); snap != nil {
		a.DataAt, a.DataAtText, a.HeadSeq = snap.dataAt, snap.dataAtPage, snap.headSeq
	}
	if status == http.StatusServiceUnavailable {
		a.Outcome = Unavailable
		w.Header().Set("Retry-After", "30")
	}
	if wantsJSON(r) || strings.HasPrefix(r.URL.Path, "/api/") {
		writeBody(w, "application/problem+json", status, marshal(a))
		return
	}
	body, err := s.pages.render("page", &pageData{T: s.text[s.lang(r)], A: a})
	if err != nil {
		s.log.Error("render", "err", err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	writeBody(w, "text/html; charset=utf-8", status, body)
}

func writeBody(w http.ResponseWriter, contentType string, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// isTooLarge reports whether err comes from reading past MaxBody.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
