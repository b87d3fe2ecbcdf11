package verifier_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualbridge/qualbridge/verifier"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/registrytest"
)

// The fixture is TEST-ONLY: keys from fixed seeds (registrytest.Key), a
// fictional holder and made-up certificate numbers.
var (
	notBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter  = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	signedAt  = time.Date(2025, 12, 1, 9, 30, 0, 0, time.UTC)
	testNow   = time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)

	// holder is fictional. Every string of it but the masked name must
	// never appear in any answer; the masked name only in valid ones.
	holder = registrytest.Holder{
		Name: "林试明", Sex: "女", BirthDate: time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC),
		IDType: record.Permit, IDNumber: "80736152",
	}
	holderSecrets = []string{"林试明", "1990-05-17", "19900517", "80736152"}
	holderMasked  = []string{"林*明", "****6152"}
)

type fixture struct {
	dir    string
	active ed25519.PrivateKey
	tokens map[verifier.Outcome][]record.Token
	valid  record.Entry
}

// newFixture writes a registry with one certificate for every verdict.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	active, retired, compromised, stranger := registrytest.Key("active"), registrytest.Key("retired"), registrytest.Key("compromised"), registrytest.Key("stranger")
	if err := registrytest.WriteTrust(dir,
		registrytest.Trusted(active, notBefore, notAfter, record.KeyActive),
		registrytest.Trusted(retired, notBefore.AddDate(-1, 0, 0), notBefore, record.KeyRetired),
		registrytest.Trusted(compromised, notBefore, notAfter, record.KeyCompromised),
	); err != nil {
		t.Fatal(err)
	}
	mk := func(label, number string, priv ed25519.PrivateKey) record.Entry {
		p, err := registrytest.Public(registrytest.Token(label), number, holder, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		e, err := registrytest.Sign(priv, p, signedAt)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	valid := mk("valid", "TEST-000001", active)
	revoked := mk("revoked", "TEST-000002", active)
	tampered := mk("tampered", "TEST-000003", active)
	tampered.Envelope = bytes.Clone(tampered.Envelope)
	tampered.Envelope[len(tampered.Envelope)/2] ^= 0x01
	moved := record.Entry{Token: registrytest.Token("moved"), Number: "TEST-000004", Envelope: valid.Envelope}
	unknownKey := mk("stranger", "TEST-000005", stranger)
	outside := mk("outside", "TEST-000006", retired)
	badKey := mk("compromised", "TEST-000007", compromised)
	entries := []record.Entry{valid, revoked, tampered, moved, unknownKey, outside, badKey}
	if _, err := record.WriteBatch(dir, entries, []byte(registrytest.Placeholder)); err != nil {
		t.Fatal(err)
	}
	if err := registrytest.Revoke(dir, active, revoked, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), record.Superseded, signedAt.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	return &fixture{
		dir: dir, active: active, valid: valid,
		tokens: map[verifier.Outcome][]record.Token{
			verifier.Valid:          {valid.Token},
			verifier.Revoked:        {revoked.Token},
			verifier.NotGenuine:     {tampered.Token, moved.Token, unknownKey.Token, outside.Token},
			verifier.KeyCompromised: {badKey.Token},
			verifier.Unknown:        {registrytest.Token("never issued")},
		},
	}
}

// syncBuffer is a log sink the tests read while the server writes.
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

type env struct {
	h     http.Handler
	store *verifier.Store
	reg   *prometheus.Registry
	m     *verifier.Metrics
	logs  *syncBuffer
	log   *slog.Logger
}

func newEnv(t testing.TB, cfg verifier.Config, dir string) *env {
	t.Helper()
	e := &env{store: &verifier.Store{}, reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	e.log = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.m = verifier.NewMetrics(e.reg)
	if dir != "" {
		s, err := verifier.LoadSnapshot(os.DirFS(dir), testNow)
		if err != nil {
			t.Fatal(err)
		}
		e.store.Set(s)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://verify.test.invalid"
	}
	h, err := verifier.NewServer(e.log, cfg, e.store, e.m, e.reg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

func (e *env) do(req *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Result()
}

func readBody(t testing.TB, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "no-referrer",
		"X-Robots-Tag":            "noindex",
		"X-Content-Type-Options":  "nosniff",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// TestOutcomes is the table of every outcome, in HTML and JSON.
func TestOutcomes(t *testing.T) {
	fx := newFixture(t)
	full := newEnv(t, verifier.Config{}, fx.dir)
	empty := newEnv(t, verifier.Config{}, "") // no snapshot: a storage fault

	type tcase struct {
		name    string
		e       *env
		token   string
		outcome verifier.Outcome
		status  int
		title   string
	}
	var cases []tcase
	add := func(name string, e *env, token string, o verifier.Outcome, status int, title string) {
		cases = append(cases, tcase{name, e, token, o, status, title})
	}
	for _, o := range []verifier.Outcome{verifier.Valid, verifier.Revoked, verifier.NotGenuine, verifier.KeyCompromised, verifier.Unknown} {
		for i, tok := range fx.tokens[o] {
			status := map[verifier.Outcome]int{verifier.Valid: 200, verifier.Revoked: 200, verifier.NotGenuine: 422, verifier.KeyCompromised: 422, verifier.Unknown: 404}[o]
			title := map[verifier.Outcome]string{verifier.Valid: "证书真实有效", verifier.Revoked: "证书已注销", verifier.NotGenuine: "证书未通过核验", verifier.KeyCompromised: "无法确认证书真伪", verifier.Unknown: "查无此证书"}[o]
			add(string(o)+"/"+string(rune('a'+i)), full, string(tok), o, status, title)
		}
	}
	add("malformed", full, "not-a-token", verifier.Malformed, 400, "核验码无法识别")
	add("malformed/lowercase", full, strings.ToLower(string(fx.valid.Token)), verifier.Malformed, 400, "核验码无法识别")
	add("unavailable", empty, string(fx.valid.Token), verifier.Unavailable, 503, "暂时无法核验")

	for _, tc := range cases {
		for _, mode := range []string{"html", "accept-json", "api"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				// Twice: the first answer is rendered, the second memoised.
				var first string
				for round := 0; round < 2; round++ {
					path := "/c/" + tc.token
					req := httptest.NewRequest("GET", path, nil)
					switch mode {
					case "accept-json":
						req.Header.Set("Accept", "application/json")
					case "api":
						req = httptest.NewRequest("GET", "/api/v1/verify/"+tc.token, nil)
					}
					res := tc.e.do(req)
					body := readBody(t, res)
					if res.StatusCode != tc.status {
						t.Fatalf("status %d, want %d\n%s", res.StatusCode, tc.status, body)
					}
					checkHeaders(t, res)
					ct := res.Header.Get("Content-Type")
					if mode == "html" {
						if ct != "text/html; charset=utf-8" {
							t.Errorf("Content-Type %q", ct)
						}
						if !strings.Contains(body, "<h1 id=\"verdict\">"+tc.title+"</h1>") {
							t.Errorf("page lacks the title %q:\n%s", tc.title, body)
						}
						if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
							t.Errorf("inline script or style in the page")
						}
					} else {
						wantCT := "application/json"
						if tc.outcome == verifier.Malformed || tc.outcome == verifier.Unavailable {
							wantCT = "application/problem+json"
						}
						if ct != wantCT {
							t.Errorf("Content-Type %q, want %q", ct, wantCT)
						}
						var a map[string]any
						if err := json.Unmarshal([]byte(body), &a); err != nil {
							t.Fatal(err)
						}
						if a["outcome"] != string(tc.outcome) || a["status"] != float64(tc.status) || a["title"] != tc.title {
							t.Errorf("answer %v", a)
						}
						if wantCT == "application/problem+json" && (a["type"] == "" || a["detail"] == "") {
							t.Errorf("problem lacks type or detail: %v", a)
						}
					}
					for _, s := range holderSecrets {
						if strings.Contains(body, s) {
							t.Errorf("answer shows holder data %q", s)
						}
					}
					for _, s := range holderMasked {
						if got := strings.Contains(body, s); got != (tc.outcome == verifier.Valid) {
							t.Errorf("masked holder field %q shown: %v, want %v", s, got, tc.outcome == verifier.Valid)
						}
					}
					if tc.outcome == verifier.Valid {
						for _, s := range []string{"TEST-000001", "照顾服务员", "养老护理员", "4-10-01-05", "四级", registrytest.Issuer, "2025-12-01", "1990"} {
							if !strings.Contains(body, s) {
								t.Errorf("valid answer lacks %q", s)
							}
						}
					}
					if tc.outcome == verifier.Revoked {
						for _, s := range []string{"TEST-000002", "2026-01-15", "已换发新证"} {
							if !strings.Contains(body, s) {
								t.Errorf("revoked answer lacks %q", s)
							}
						}
					}
					if round == 0 {
						first = body
					} else if body != first {
						t.Errorf("memoised answer differs from the first")
					}
				}
			})
		}
	}

	// Logs hold token hashes, never tokens, paths or holder data.
	logs := full.logs.String() + empty.logs.String()
	for _, toks := range fx.tokens {
		for _, tok := range toks {
			if strings.Contains(logs, string(tok)) {
				t.Errorf("logs hold a token")
			}
		}
	}
	for _, s := range append(holderSecrets, holderMasked...) {
		if strings.Contains(logs, s) {
			t.Errorf("logs hold holder data %q", s)
		}
	}
	if !strings.Contains(logs, `"token_hash":"`+fx.valid.Token.Hash()+`"`) {
		t.Errorf("logs lack the token hash")
	}
	if n := counter(t, full.reg, "verifier_signature_checks_total"); n != 7 {
		t.Errorf("signature checks = %v, want 7 (once per stored token, then memoised)", n)
	}
}

// counter sums the series of a counter in reg.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestLang checks both scripts and how they are chosen.
func TestLang(t *testing.T) {
	fx := newFixture(t)
	e := newEnv(t, verifier.Config{}, fx.dir)
	path := "/c/" + string(fx.valid.Token)
	tests := []struct {
		name, query, acceptLang, want, wantLang string
	}{
		{"default", "", "", "证书真实有效", `lang="zh-Hans"`},
		{"query", "?lang=zh-Hant", "", "證書真實有效", `lang="zh-Hant"`},
		{"zh-TW", "", "zh-TW,zh;q=0.9,en;q=0.8", "證書真實有效", `lang="zh-Hant"`},
		{"zh-HK", "", "zh-HK", "證書真實有效", `lang="zh-Hant"`},
		{"zh-CN", "", "zh-CN,zh;q=0.9", "证书真实有效", `lang="zh-Hans"`},
		{"query wins", "?lang=zh-Hans", "zh-TW", "证书真实有效", `lang="zh-Hans"`},
		{"english", "", "en-US", "证书真实有效", `lang="zh-Hans"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", path+tt.query, nil)
			if tt.acceptLang != "" {
				req.Header.Set("Accept-Language", tt.acceptLang)
			}
			body := readBody(t, e.do(req))
			if !strings.Contains(body, tt.want) || !strings.Contains(body, "<html "+tt.wantLang) {
				t.Errorf("want %q and %s in\n%s", tt.want, tt.wantLang, body)
			}
		})
	}
}

func postLookup(e *env, number, name string, accept string) *http.Response {
	form := url.Values{"number": {number}, "name": {name}}
	req := httptest.NewRequest("POST", "/lookup", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return e.do(req)
}

// TestLookup checks the manual lookup and that it cannot enumerate.
func TestLookup(t *testing.T) {
	fx := newFixture(t)
	e := newEnv(t, verifier.Config{}, fx.dir)
	tests := []struct {
		name, number, holderName string
		status                   int
		want                     string
	}{
		{"match", "TEST-000001", "林试明", 200, "证书真实有效"},
		{"fullwidth and spaces", " ｔｅｓｔ－０００００１ ", " 林试明 ", 200, "证书真实有效"},
		{"revoked", "TEST-000002", "林试明", 200, "证书已注销"},
		{"wrong name", "TEST-000001", "林试", 404, "查无此证书"},
		{"wrong number", "TEST-999999", "林试明", 404, "查无此证书"},
		{"not genuine hides", "TEST-000003", "林试明", 404, "查无此证书"},
		{"missing name", "TEST-000001", "", 400, "请填写证书编号和持证人全名"},
		{"missing number", "", "林试明", 400, "请填写证书编号和持证人全名"},
		{"over-long name", "TEST-000001", strings.Repeat("林", 65), 400, "请填写"},
	}
	bodies := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := postLookup(e, tt.number, tt.holderName, "")
			body := readBody(t, res)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("status %d, want %d with %q:\n%s", res.StatusCode, tt.status, tt.want, body)
			}
			checkHeaders(t, res)
			bodies[tt.name] = body
		})
	}
	if bodies["wrong name"] != bodies["wrong number"] {
		t.Errorf("a wrong name and a wrong number answer differently: the form would enumerate numbers")
	}
	res := postLookup(e, "TEST-000001", "林试明", "application/json")
	var a map[string]any
	json.Unmarshal([]byte(readBody(t, res)), &a)
	if a["outcome"] != "valid" {
		t.Errorf("JSON lookup: %v", a)
	}
	if logs := e.logs.String(); strings.Contains(logs, "林试明") || strings.Contains(logs, "TEST-000001") {
		t.Errorf("logs hold what was looked up")
	}
}

// TestHostile sends what a scanner, a fuzzer or an attacker might.
func TestHostile(t *testing.T) {
	fx := newFixture(t)
	e := newEnv(t, verifier.Config{}, fx.dir)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	tok := string(fx.valid.Token)
	fullwidth := strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r - 'A' + 'Ａ'
		}
		return r
	}, tok)
	tests := []struct {
		name, path string
		status     int
	}{
		{"empty", "/c/", 404},
		{"no slash", "/c", 404},
		{"short", "/c/" + tok[:31], 400},
		{"long", "/c/" + tok + "A", 400},
		{"over-long", "/c/" + strings.Repeat("A", 5000), 414},
		{"lowercase", "/c/" + strings.ToLower(tok), 400},
		{"padding", "/c/" + tok[:24] + "========", 400},
		{"digit outside alphabet", "/c/" + tok[:31] + "1", 400},
		{"nul", "/c/" + tok[:31] + "%00", 400},
		{"nul after", "/c/" + tok + "%00", 400},
		{"escaped slash", "/c/" + tok[:16] + "%2F" + tok[16:], 400},
		{"dot dot", "/c/../etc/passwd", 404},
		{"dot dot escaped", "/c/..%2Fetc%2Fpasswd", 400},
		{"fullwidth", "/c/" + url.PathEscape(fullwidth), 400},
		{"trailing path", "/c/" + tok + "/x", 404},
		{"api lowercase", "/api/v1/verify/" + strings.ToLower(tok), 400},
		{"unknown route", "/wp-login.php", 404},
		{"static dir", "/static/", 404},
		{"static escape", "/static/../verifier.go", 404},
		{"bad escape", "/c/%zz", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A raw request line: an HTTP client would clean or refuse
			// some of these paths before sending them.
			conn, err := netDial(srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", tt.path)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, res)
			if res.StatusCode != tt.status {
				t.Errorf("GET %.60s: status %d, want %d\n%.300s", tt.path, res.StatusCode, tt.status, body)
			}
		})
	}

	t.Run("methods", func(t *testing.T) {
		req, _ := http.NewRequest("DELETE", srv.URL+"/c/"+tok, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 405 {
			t.Errorf("DELETE: %d", res.StatusCode)
		}
	})
	for _, path := range []string{"/lookup", "/c/" + tok} {
		t.Run("1MB body "+path, func(t *testing.T) {
			body := strings.Repeat("number=1&", 1<<20/9)
			res, err := http.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 413 {
				t.Errorf("status %d, want 413", res.StatusCode)
			}
		})
	}
	t.Run("1MB chunked body", func(t *testing.T) {
		// No Content-Length: the limit must hold while reading.
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte("number="))
			pw.Write(bytes.Repeat([]byte("1"), 1<<20))
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", srv.URL+"/lookup", pr)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Errorf("status %d, want 413", res.StatusCode)
		}
	})
}

// TestRateLimits checks that lookups are limited far harder than scans.
func TestRateLimits(t *testing.T) {
	fx := newFixture(t)
	e := newEnv(t, verifier.Config{ScanLimit: 20, LookupLimit: 5}, fx.dir)
	for i := 1; i <= 6; i++ {
		res := postLookup(e, "TEST-999999", "某人", "")
		res.Body.Close()
		want := 404
		if i == 6 {
			want = 429
		}
		if res.StatusCode != want {
			t.Fatalf("lookup %d: status %d, want %d", i, res.StatusCode, want)
		}
		if want == 429 && res.Header.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	// Scans from the same address still pass, until their own limit.
	for i := 1; i <= 21; i++ {
		res := e.do(httptest.NewRequest("GET", "/c/"+string(fx.valid.Token), nil))
		res.Body.Close()
		want := 200
		if i == 21 {
			want = 429
		}
		if res.StatusCode != want {
			t.Fatalf("scan %d: status %d, want %d", i, res.StatusCode, want)
		}
	}
	// Another address is not limited.
	req := httptest.NewRequest("GET", "/c/"+string(fx.valid.Token), nil)
	req.RemoteAddr = "192.0.2.99:1234"
	if res := e.do(req); res.StatusCode != 200 {
		t.Errorf("other address: %d", res.StatusCode)
	}
}

// TestSlowClient checks that a client that never finishes its headers
// is cut off.
func TestSlowClient(t *testing.T) {
	e := newEnv(t, verifier.Config{}, "")
	srv := httptest.NewUnstartedServer(e.h)
	srv.Config.ReadHeaderTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	conn, err := netDial(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")) // and never the final CRLF
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	b, _ := io.ReadAll(conn)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("connection still open after %v", took)
	}
	if len(b) > 0 && !strings.HasPrefix(string(b), "HTTP/1.1 408") {
		t.Errorf("answer to a slow client: %q", b)
	}
}

// TestProbes checks /healthz, /readyz and /metrics.
func TestProbes(t *testing.T) {
	fx := newFixture(t)
	for _, tt := range []struct {
		name   string
		dir    string
		status int
		want   string
	}{
		{"loaded", fx.dir, 200, `"ready":true`},
		{"none", "", 503, `"ready":false`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, verifier.Config{}, tt.dir)
			if res := e.do(httptest.NewRequest("GET", "/healthz", nil)); res.StatusCode != 200 {
				t.Errorf("/healthz: %d", res.StatusCode)
			}
			res := e.do(httptest.NewRequest("GET", "/readyz", nil))
			body := readBody(t, res)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("/readyz: %d %s", res.StatusCode, body)
			}
			if tt.dir != "" && !strings.Contains(body, `"certificates":7,"revocations":1,"keys":3`) {
				t.Errorf("/readyz counts: %s", body)
			}
			e.do(httptest.NewRequest("GET", "/c/"+string(fx.valid.Token), nil))
			body = readBody(t, e.do(httptest.NewRequest("GET", "/metrics", nil)))
			for _, s := range []string{`verifier_http_requests_total{code=`, `verifier_verifications_total{channel="scan",outcome=`, `verifier_reloads_total{result="refused"} 0`} {
				if !strings.Contains(body, s) {
					t.Errorf("/metrics lacks %s", s)
				}
			}
			res = e.do(httptest.NewRequest("GET", "/static/verifier.css", nil))
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
				t.Errorf("stylesheet: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
		})
	}
}

// TestReload checks that a bad registry is refused and that a new
// revocation takes effect through the file watcher, without a restart.
func TestReload(t *testing.T) {
	fx := newFixture(t)
	e := newEnv(t, verifier.Config{}, "")
	rl := verifier.NewReloader(fx.dir, e.store, e.log, e.m, func() time.Time { return testNow })
	if err := rl.Reload("start"); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	hup := make(chan os.Signal, 1)
	done, err := rl.Watch(ctx, 50*time.Millisecond, hup)
	if err != nil {
		t.Fatal(err)
	}
	path := "/c/" + string(fx.valid.Token)
	status := func() int {
		res := e.do(httptest.NewRequest("GET", path, nil))
		body := readBody(t, res)
		if res.StatusCode == 200 && strings.Contains(body, "证书已注销") {
			return -1 // revoked
		}
		return res.StatusCode
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nlogs:\n%s", what, e.logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if s := status(); s != 200 {
		t.Fatalf("before: %d", s)
	}
	first := e.store.Current()
	before := counter(t, e.reg, "verifier_reloads_total")

	// A corrupt batch: the registry is refused, the old snapshot serves.
	bad := filepath.Join(fx.dir, "certs", "000002.certs")
	if err := os.WriteFile(bad, []byte("THIS IS NOT A REGISTRY LINE\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor("the refusal", func() bool { return strings.Contains(e.logs.String(), "registry refused") })
	if e.store.Current() != first {
		t.Fatal("a bad registry replaced the snapshot")
	}
	if s := status(); s != 200 {
		t.Fatalf("after the bad registry: %d", s)
	}
	if !strings.Contains(e.logs.String(), "000002.certs:1") {
		t.Errorf("the refusal does not name the file and line:\n%s", e.logs.String())
	}
	if err := os.Remove(bad); err != nil {
		t.Fatal(err)
	}
	waitFor("the reload after the fix", func() bool { return e.store.Current() != first })

	// A new revocation takes effect without a restart.
	if err := registrytest.Revoke(fx.dir, fx.active, fx.valid, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), record.IssuedInError, testNow); err != nil {
		t.Fatal(err)
	}
	waitFor("the revocation", func() bool { return status() == -1 })

	// SIGHUP reloads too.
	cur := e.store.Current()
	hup <- os.Interrupt // any signal value; run sends SIGHUP
	waitFor("the SIGHUP reload", func() bool { return e.store.Current() != cur })
	if counter(t, e.reg, "verifier_reloads_total") < before+4 {
		t.Errorf("reload counters did not move")
	}
	_ = done
}

func benchServe(b *testing.B, path string, hdr map[string]string) {
	fx := newFixture(b)
	e := newEnv(b, verifier.Config{}, fx.dir)
	// Request logs formatted as in production, written nowhere.
	h, err := verifier.NewServer(slog.New(slog.NewJSONHandler(io.Discard, nil)), verifier.Config{Now: func() time.Time { return testNow }}, e.store, e.m, e.reg)
	if err != nil {
		b.Fatal(err)
	}
	e.h = h
	path = strings.ReplaceAll(path, "TOKEN", string(fx.valid.Token))
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkVerifyJSON measures one memoised JSON answer, without network.
func BenchmarkVerifyJSON(b *testing.B) { benchServe(b, "/api/v1/verify/TOKEN", nil) }

// BenchmarkVerifyHTML measures one memoised HTML page, without network.
func BenchmarkVerifyHTML(b *testing.B) { benchServe(b, "/c/TOKEN", nil) }

// BenchmarkVerifyHTMLBrowser adds a phone browser's headers.
func BenchmarkVerifyHTMLBrowser(b *testing.B) {
	benchServe(b, "/c/TOKEN", map[string]string{
		"Accept":          "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		"Accept-Language": "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7",
	})
}
