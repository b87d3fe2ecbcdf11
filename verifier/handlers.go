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
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/text/width"

	"github.com/qualbridge/qualbridge/verifier/record"
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
			s.writeVerdict(w, r, s.malformed, f, l, channel)
			return
		}
		info(w).token = tok
		snap := s.store.Current()
		if snap == nil {
			s.writeVerdict(w, r, s.unavailable, f, l, channel)
			return
		}
		v, fresh := snap.check(tok)
		s.checked(r, tok, v, fresh)
		s.writeVerdict(w, r, v, f, l, channel)
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
func (s *server) writeVerdict(w http.ResponseWriter, r *http.Request, v *verdict, f format, l lang, channel string) {
	a := newAnswer(s.text[l], v.outcome, v, s.cfg.Now())
	var body []byte
	if f == jsonFormat {
		body = a.appendJSON(make([]byte, 0, 1024))
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

// handleLookup answers POST /lookup: certificate number and full name.
// It answers with the same outcome pages as a scan, and unknown both for
// a number we do not hold and for a name that does not match.
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
		name := strings.TrimSpace(r.PostForm.Get("name"))
		if number == "" || name == "" || len(number) > maxNumber ||
			!utf8.ValidString(name) || utf8.RuneCountInString(name) > maxName {
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
		snap := s.store.Current()
		if snap == nil {
			s.writeVerdict(w, r, s.unavailable, f, l, "lookup")
			return
		}
		v, fresh := snap.lookup(number, name)
		if fresh {
			// The name is never logged; the number only as part of nothing.
			s.m.sigChecks.Inc()
		}
		s.writeVerdict(w, r, v, f, l, "lookup")
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

// readiness is the /readyz answer.
type readiness struct {
	Ready        bool    `json:"ready"`
	LoadedAt     string  `json:"loadedAt,omitempty"`
	AgeSeconds   float64 `json:"ageSeconds,omitempty"`
	Certificates int     `json:"certificates"`
	Revocations  int     `json:"revocations"`
	Keys         int     `json:"keys"`
}

// handleReadyz is readiness: a snapshot is loaded. It answers 503 before
// the first successful load, so a load balancer sends no scans here.
func handleReadyz(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		snap := s.store.Current()
		if snap == nil {
			b, _ := json.Marshal(readiness{})
			writeBody(w, "application/json", http.StatusServiceUnavailable, append(b, '\n'))
			return
		}
		b, _ := json.Marshal(readiness{
			Ready:        true,
			LoadedAt:     snap.LoadedAt().UTC().Format(time.RFC3339),
			AgeSeconds:   s.cfg.Now().Sub(snap.LoadedAt()).Round(time.Millisecond).Seconds(),
			Certificates: snap.Certificates(),
			Revocations:  snap.Revocations(),
			Keys:         snap.Keys(),
		})
		writeBody(w, "application/json", http.StatusOK, append(b, '\n'))
	})
}

// handleMetrics serves the Prometheus registry built in run.
func handleMetrics(s *server) http.Handler {
	return promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{})
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
