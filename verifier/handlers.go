package verifier

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/text/width"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

// handleVerify answers GET /c/{token}, the address in the QR code: an
// HTML page, or JSON when the client asks for it. forceJSON makes it the
// API route /api/v1/verify/{token}.
func handleVerify(s *server, forceJSON bool) http.Handler {
	channel := "scan"
	if forceJSON {
		channel = "api"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := htmlFormat
		if forceJSON || wantsJSON(r) {
			f = jsonFormat
		}
		l := s.lang(r)
		tok, err := record.ParseToken(chi.URLParam(r, "token"))
		if err != nil {
			s.writeVerdict(w, r, s.malformed, f, l, channel, s.store.Current(), s.cfg.Now())
			return
		}
		info(w).token = tok
		now := s.cfg.Now()
		snap := s.store.Current()
		if snap == nil || snap.Stale(now) {
			s.writeVerdict(w, r, s.unavailable, f, l, channel, snap, now)
			return
		}
		v, fresh := snap.check(tok, today(now))
		s.checked(r, tok, v, fresh)
		s.writeVerdict(w, r, v, f, l, channel, snap, now)
	})
}

// checked counts a paid signature check and logs why a record failed.
func (s *server) checked(r *http.Request, tok record.Token, v *verdict, fresh bool) {
	if !fresh {
		return
	}
	s.m.sigChecks.Inc()
	if v.err != nil {
		s.log.Warn("record failed verification", "token_hash", tok.Hash(), "outcome", string(v.outcome), "err", v.err)
	}
}

// writeVerdict writes v's answer in format f and script l. Bodies are
// built per request: memoising them per token measured ~600 MB for
// 100,000 certificates, far past the memory budget, and slower under it.
func (s *server) writeVerdict(w http.ResponseWriter, r *http.Request, v *verdict, f format, l lang, channel string, snap *Snapshot, now time.Time) {
	a := newAnswer(s.text[l], v.outcome, v, s.clock.checkedAt(now), snap)
	var body []byte
	if f == jsonFormat {
		bp := s.bodies.Get().(*[]byte)
		defer s.bodies.Put(bp)
		body = a.appendJSON((*bp)[:0])
		*bp = body
	} else {
		var err error
		if body, err = s.page(l, a); err != nil {
			s.log.Error("render", "err", err)
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
	}
	ct := s.hdr.html
	if f == jsonFormat {
		ct = s.hdr.json
		if v.outcome == Malformed || v.outcome == Unavailable {
			ct = s.hdr.problem
		}
	}
	h := w.Header()
	h["Vary"] = s.hdr.vary
	if v.outcome == Unavailable {
		h["Retry-After"] = s.hdr.retryAfter
	}
	s.m.outcome(channel, v.outcome).Inc()
	info(w).outcome = v.outcome
	h["Content-Type"] = ct
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(v.outcome.Status())
	w.Write(body)
}

// handleLookupForm answers GET /lookup (and /): the manual lookup form.
func handleLookupForm(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.lookupPage(w, r, s.lang(r), &lookupForm{}, http.StatusOK)
	})
}

func (s *server) lookupPage(w http.ResponseWriter, r *http.Request, l lang, form *lookupForm, status int) {
	if wantsJSON(r) && status != http.StatusOK {
		t := s.text[l]
		s.problem(w, r, status, "lookup-fields", t.LookupMissing, t.LookupMissing)
		return
	}
	body, err := s.pages.render("lookup", &pageData{T: s.text[l], Form: form, Limit: s.cfg.LookupLimit})
	if err != nil {
		s.log.Error("render", "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	writeBody(w, "text/html; charset=utf-8", status, body)
}

// handleLookup answers POST /lookup: certificate number, full name and
// identity document number, all printed on the certificate. It answers
// with the same outcome pages as a scan, and unknown for a triple that
// matches nothing. The KDF runs only here, after the rate limiter let
// the request through, and at most LookupSlots at once: a request that
// finds every slot taken answers 503 at once rather than queue.
func handleLookup(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := s.lang(r)
		if err := r.ParseForm(); err != nil {
			if isTooLarge(err) {
				s.tooLarge(w, r)
				return
			}
			s.lookupPage(w, r, l, &lookupForm{Missing: true}, http.StatusBadRequest)
			return
		}
		number := normalizeNumber(r.PostForm.Get("number"))
		name, id := r.PostForm.Get("name"), r.PostForm.Get("id")
		key, err := seal.Normalize(number, name, id)
		if err != nil || len(number) > maxNumber || utf8.RuneCountInString(name) > maxName {
			form := &lookupForm{Missing: true}
			if len(number) <= maxNumber && utf8.ValidString(number) {
				form.Number = number
			}
			s.lookupPage(w, r, l, form, http.StatusBadRequest)
			return
		}
		f := htmlFormat
		if wantsJSON(r) {
			f = jsonFormat
		}
		now := s.cfg.Now()
		snap := s.store.Current()
		if snap == nil || snap.Stale(now) || s.cfg.Pepper == nil {
			if s.cfg.Pepper == nil {
				s.m.lookups.WithLabelValues("disabled").Inc()
			}
			s.writeVerdict(w, r, s.unavailable, f, l, "lookup", snap, now)
			return
		}
		select {
		case s.kdfSlots <- struct{}{}:
		default:
			s.m.lookups.WithLabelValues("busy").Inc()
			s.writeVerdict(w, r, s.unavailable, f, l, "lookup", snap, now)
			return
		}
		loc, sk, err := s.kdf(key, *s.cfg.Pepper, s.cfg.LookupParams)
		<-s.kdfSlots
		s.m.lookups.WithLabelValues("derived").Inc()
		if err != nil {
			s.log.Error("lookup kdf", "err", err)
			s.writeVerdict(w, r, s.unavailable, f, l, "lookup", snap, now)
			return
		}
		v, fresh := snap.lookup(loc, sk, today(now))
		if fresh {
			// Nothing of the triple is ever logged.
			s.m.sigChecks.Inc()
		}
		s.writeVerdict(w, r, v, f, l, "lookup", snap, now)
	})
}

// normalizeNumber folds what phones type into a certificate number:
// fullwidth digits and letters from a Chinese keyboard, lower case,
// spaces.
func normalizeNumber(s string) string {
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
	return s
}

// handleHealthz is liveness: the process answers.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeBody(w, "text/plain; charset=utf-8", http.StatusOK, []byte("ok\n"))
	})
}

// readiness is the /readyz answer (on the admin address).
type readiness struct {
	Ready            bool    `json:"ready"`
	Reason           string  `json:"reason,omitempty"`
	LoadedAt         string  `json:"loadedAt,omitempty"`
	HeadSeq          uint64  `json:"headSequence,omitempty"`
	DataAt           string  `json:"dataAt,omitempty"`
	DataAgeSeconds   float64 `json:"dataAgeSeconds,omitempty"`
	HeadExpires      string  `json:"headExpires,omitempty"`
	TrustListSeq     uint64  `json:"trustListSequence,omitempty"`
	TrustListExpires string  `json:"trustListExpires,omitempty"`
	TrustListDays    int     `json:"trustListDaysLeft,omitempty"`
	Records          int     `json:"records"`
	Revocations      int     `json:"revocations"`
	Untrusted        int     `json:"untrustedRevocations"`
	Keys             int     `json:"keys"`
	// Source is the snapshot store's polling, for a verifier that
	// follows one: how stale this replica is while the store is down.
	Source *sourceReadiness `json:"source,omitempty"`
}

// handleReadyz is readiness: a snapshot is in force and fresh. It
// answers 503 before the first successful load and once the head or the
// trust list has expired, so a load balancer sends no scans here.
func handleReadyz(store *Store, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		snap := store.Current()
		if snap == nil {
			rd := readiness{Reason: "no snapshot loaded", Source: sourceOf(store.Source(), now())}
			switch {
			case rd.Source == nil || rd.Source.Error == "":
			case rd.Source.Failures > 0:
				rd.Reason = "no snapshot loaded: the snapshot store is unreachable"
			default:
				rd.Reason = "no snapshot loaded: the snapshot store holds none yet"
			}
			b, _ := json.Marshal(rd)
			writeBody(w, "application/json", http.StatusServiceUnavailable, append(b, '\n'))
			return
		}
		t := now()
		h, l := snap.Head(), snap.List()
		rd := readiness{
			Ready:            !snap.Stale(t),
			LoadedAt:         snap.LoadedAt().UTC().Format(time.RFC3339),
			HeadSeq:          h.Seq,
			DataAt:           h.SignedAt.UTC().Format(time.RFC3339),
			DataAgeSeconds:   t.Sub(h.SignedAt).Round(time.Second).Seconds(),
			HeadExpires:      h.Expires.UTC().Format(time.RFC3339),
			TrustListSeq:     l.Seq,
			TrustListExpires: l.Expires.UTC().Format(time.RFC3339),
			TrustListDays:    int(l.Expires.Sub(t).Hours() / 24),
			Records:          snap.Records(),
			Revocations:      snap.Revocations(),
			Untrusted:        snap.UntrustedRevocations(),
			Keys:             snap.Keys(),
			Source:           sourceOf(store.Source(), t),
		}
		status := http.StatusOK
		if !rd.Ready {
			rd.Reason, status = "the head or the trust list has expired", http.StatusServiceUnavailable
		}
		b, _ := json.Marshal(rd)
		writeBody(w, "application/json", status, append(b, '\n'))
	})
}

// handleMetrics serves the Prometheus registry built in run.
func handleMetrics(gather prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(gather, promhttp.HandlerOpts{})
}

// handleStatic serves the stylesheet and icon. Their URLs carry a hash
// of the content, so they may be cached for long.
func handleStatic(s *server) http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(s.pages.static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if name == "" || strings.HasSuffix(name, "/") || !fs.ValidPath(name) {
			s.notFound(w, r)
			return
		}
		if _, err := fs.Stat(s.pages.static, name); err != nil {
			s.notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	t := s.text[s.lang(r)]
	s.problem(w, r, http.StatusNotFound, "not-found", t.NotFound, t.NotFound)
}

func handleNotFound(s *server) http.HandlerFunc {
	return s.notFound
}

func handleMethodNotAllowed(s *server) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := s.text[s.lang(r)]
		s.problem(w, r, http.StatusMethodNotAllowed, "method-not-allowed", t.BadMethod, t.BadMethod)
	}
}
