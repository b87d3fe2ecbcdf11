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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qualbridge/qualbridge/verifier"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// The fixture is TEST-ONLY: keys from fixed seeds (trusttest.Key), a
// fictional holder and made-up certificate numbers.
var (
	issued   = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	signedAt = time.Date(2025, 12, 1, 9, 30, 0, 0, time.UTC)
	testNow  = time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)
	headAt   = testNow.Add(-time.Hour)
	lifetime = 7 * 24 * time.Hour

	// holder is fictional. Every string of it but the masked name must
	// never appear in any answer; the masked name only in valid ones.
	holder        = trusttest.Holder{Name: "林试明", IDNumber: "80736152", BirthYear: 1990}
	holderSecrets = []string{"林试明", "80736152"}
	holderMasked  = []string{"林*明", "****6152", "1990"}
)

type fixture struct {
	dir    string
	b      *trusttest.Builder
	pin    *trust.Pin
	tokens map[verifier.Outcome][]record.Token
	valid  record.Token
}

// newFixture writes a snapshot with one certificate for every verdict.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	b := trusttest.New("")
	retired, compromised, stranger, later := trusttest.Key("retired"), trusttest.Key("compromised"), trusttest.Key("stranger"), trusttest.Key("later")
	b.AddKey(retired, trust.RoleSigning, trust.Retired, trusttest.NotBefore, signedAt.Add(time.Hour))
	b.AddKey(compromised, trust.RoleSigning, trust.Active, trusttest.NotBefore, trusttest.NotAfter)
	b.AddKey(later, trust.RoleSigning, trust.Active, testNow.AddDate(0, -1, 0), trusttest.NotAfter)
	mk := func(label, number string, mod func(*record.Certificate), key ed25519.PrivateKey, lookup bool) record.Token {
		tok := trusttest.Token(label)
		c := trusttest.Cert(number, holder, issued)
		if mod != nil {
			mod(&c)
		}
		var h *trusttest.Holder
		if lookup {
			h = &holder
		}
		if _, err := b.Add(tok, c, h, key, signedAt); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := mk("valid", "TEST-000001", nil, b.Signing, true)
	revoked := mk("revoked", "TEST-000002", nil, b.Signing, true)
	expired := mk("expired", "TEST-000008", func(c *record.Certificate) { c.ValidUntil = time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC) }, b.Signing, false)
	lastDay := mk("last day", "TEST-000009", func(c *record.Certificate) { c.ValidUntil = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) }, b.Signing, false)
	retiredOK := mk("retired", "TEST-000010", nil, retired, false)
	// Signed by the retired key after its window closed (a thief of a
	// retired key, or an issuer that kept using it): not genuine.
	retiredLate := trusttest.Token("retired late")
	if _, err := b.Add(retiredLate, trusttest.Cert("TEST-000012", holder, issued), nil, retired, signedAt.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	unknownKey := mk("stranger", "TEST-000005", nil, stranger, false)
	notYet := mk("not yet", "TEST-000006", nil, later, false)
	badKey := mk("compromised", "TEST-000007", nil, compromised, false)
	reissued := mk("reissued", "TEST-000011", nil, compromised, false)
	b.SetStatus(compromised, trust.Compromised)
	// Re-signed by the active key at a higher generation, same token.
	mk("reissued", "TEST-000011", func(c *record.Certificate) { c.Generation = 2 }, b.Signing, false)

	// A tampered envelope, sealed as if genuine: the seal opens, the
	// signature does not verify.
	tampered := trusttest.Token("tampered")
	{
		c := trusttest.Cert("TEST-000003", holder, issued)
		loc, key, _ := seal.TokenKeys(tampered)
		c.Locator = loc
		env, err := record.NewSigner(b.Signing).SignCertificate(&c, signedAt)
		if err != nil {
			t.Fatal(err)
		}
		env[len(env)/2] ^= 1
		if err := b.AddSealed(loc, key, seal.ByToken, 1, env); err != nil {
			t.Fatal(err)
		}
		l, _ := seal.Normalize("TEST-000003", holder.Name, holder.IDNumber)
		lloc, lkey, _ := seal.LookupKeys(l, trusttest.Pepper(), b.Params)
		if err := b.AddSealed(lloc, lkey, seal.ByLookup, 1, env); err != nil {
			t.Fatal(err)
		}
	}
	// A genuine envelope copied under another token.
	moved := trusttest.Token("moved")
	{
		vloc, vkey, _ := seal.TokenKeys(valid)
		var env []byte
		for _, o := range b.Records {
			if o.Locator == vloc {
				env, _ = seal.Open(vkey, vloc, seal.ByToken, 1, o.Sealed)
			}
		}
		loc, key, _ := seal.TokenKeys(moved)
		if err := b.AddSealed(loc, key, seal.ByToken, 1, env); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Revoke(revoked, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), record.Superseded, b.Signing, signedAt.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := b.Publish(dir, headAt, lifetime); err != nil {
		t.Fatal(err)
	}
	return &fixture{
		dir: dir, b: b, pin: b.Pin(), valid: valid,
		tokens: map[verifier.Outcome][]record.Token{
			verifier.Valid:          {valid, lastDay, retiredOK, reissued},
			verifier.Expired:        {expired},
			verifier.Revoked:        {revoked},
			verifier.NotGenuine:     {tampered, moved, unknownKey, notYet, retiredLate},
			verifier.KeyCompromised: {badKey},
			verifier.Unknown:        {trusttest.Token("never issued")},
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
	admin http.Handler
	rl    *verifier.Reloader
	store *verifier.Store
	reg   *prometheus.Registry
	m     *verifier.Metrics
	logs  *syncBuffer
	log   *slog.Logger
}

func newEnv(t testing.TB, cfg verifier.Config, fx *fixture) *env {
	t.Helper()
	e := &env{store: &verifier.Store{}, reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	e.log = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.m = verifier.NewMetrics(e.reg)
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	if fx != nil {
		e.rl = verifier.NewReloader(verifier.ReloaderConfig{Dir: fx.dir, StateDir: t.TempDir(), Pin: fx.pin, Now: cfg.Now}, e.store, e.log, e.m)
		if err := e.rl.Reload("start"); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://verify.test.invalid"
	}
	if cfg.Pepper == nil {
		p := trusttest.Pepper()
		cfg.Pepper = &p
	}
	h, err := verifier.NewServer(e.log, cfg, e.store, e.m)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.admin = verifier.NewAdmin(e.store, e.reg, cfg.Now)
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
	full := newEnv(t, verifier.Config{}, fx)
	empty := newEnv(t, verifier.Config{}, nil) // no snapshot: a storage fault

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
	for _, o := range []verifier.Outcome{verifier.Valid, verifier.Expired, verifier.Revoked, verifier.NotGenuine, verifier.KeyCompromised, verifier.Unknown} {
		for i, tok := range fx.tokens[o] {
			status := map[verifier.Outcome]int{verifier.Valid: 200, verifier.Expired: 200, verifier.Revoked: 200, verifier.NotGenuine: 422, verifier.KeyCompromised: 422, verifier.Unknown: 404}[o]
			title := map[verifier.Outcome]string{verifier.Valid: "证书真实有效", verifier.Expired: "证书真实，但已过有效期", verifier.Revoked: "证书已注销", verifier.NotGenuine: "证书未通过核验", verifier.KeyCompromised: "无法确认证书真伪", verifier.Unknown: "查无此证书"}[o]
			add(string(o)+"/"+string(rune('a'+i)), full, string(tok), o, status, title)
		}
	}
	add("malformed", full, "not-a-token", verifier.Malformed, 400, "核验码无法识别")
	add("malformed/lowercase", full, strings.ToLower(string(fx.valid)), verifier.Malformed, 400, "核验码无法识别")
	add("unavailable", empty, string(fx.valid), verifier.Unavailable, 503, "暂时无法核验")

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
						// A person reads the time as a date and a time of day in
						// Beijing time, not as RFC 3339 (which breaks mid-date in a
						// phone's narrow column).
						if !strings.Contains(body, "核验时间</dt><dd class=\"num\">2026-02-01 16:00:00 北京时间</dd>") {
							t.Errorf("page lacks the time of the check")
						}
						if tc.e == full && !strings.Contains(body, "数据版本</dt><dd class=\"num\">1</dd>") {
							t.Errorf("page lacks the head sequence")
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
						// Every answer says when it was checked, and over
						// a snapshot, from which data.
						if a["checkedAt"] != "2026-02-01T16:00:00+08:00" {
							t.Errorf("checkedAt %v", a["checkedAt"])
						}
						if tc.e == full && (a["dataAt"] != "2026-02-01T15:00:00+08:00" || a["headSequence"] != "1") {
							t.Errorf("dataAt %v, headSequence %v", a["dataAt"], a["headSequence"])
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
					shows := tc.outcome == verifier.Valid || tc.outcome == verifier.Expired
					for _, s := range holderMasked {
						if got := strings.Contains(body, s); got != shows {
							t.Errorf("masked holder field %q shown: %v, want %v", s, got, shows)
						}
					}
					if tc.token == string(fx.valid) && tc.outcome == verifier.Valid {
						for _, s := range []string{"TEST-000001", "照顾服务员", "养老护理员", "4-10-01-05", "四级", trusttest.Issuer, "2025-12-01", "1990"} {
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
	// (The birth year is left out: "1990" turns up in timings.)
	for _, s := range append(holderSecrets, holderMasked[:2]...) {
		if strings.Contains(logs, s) {
			t.Errorf("logs hold holder data %q", s)
		}
	}
	if !strings.Contains(logs, `"token_hash":"`+fx.valid.Hash()+`"`) {
		t.Errorf("logs lack the token hash")
	}
	// Once per stored record (12), whether its signature verifies or
	// not, then memoised.
	if n := counter(t, full.reg, "verifier_signature_checks_total"); n != 12 {
		t.Errorf("signature checks = %v, want 12 (once per stored record, then memoised)", n)
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
	e := newEnv(t, verifier.Config{}, fx)
	path := "/c/" + string(fx.valid)
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

func postLookup(e *env, number, name, id string, accept string) *http.Response {
	form := url.Values{"number": {number}, "name": {name}, "id": {id}}
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
	e := newEnv(t, verifier.Config{}, fx)
	tests := []struct {
		name, number, holderName, id string
		status                       int
		want                         string
	}{
		{"match", "TEST-000001", "林试明", "80736152", 200, "证书真实有效"},
		{"fullwidth and spaces", " ｔｅｓｔ－０００００１ ", " 林 试明 ", "８０７３ ６１５２", 200, "证书真实有效"},
		{"revoked", "TEST-000002", "林试明", "80736152", 200, "证书已注销"},
		{"wrong name", "TEST-000001", "林试", "80736152", 404, "查无此证书"},
		{"wrong id", "TEST-000001", "林试明", "80736153", 404, "查无此证书"},
		{"wrong number", "TEST-999999", "林试明", "80736152", 404, "查无此证书"},
		{"no lookup copy", "TEST-000008", "林试明", "80736152", 404, "查无此证书"},
		{"not genuine hides", "TEST-000003", "林试明", "80736152", 404, "查无此证书"},
		{"missing name", "TEST-000001", "", "80736152", 400, "请填写证书编号、持证人全名和证件号码"},
		{"missing id", "TEST-000001", "林试明", "", 400, "请填写"},
		{"missing number", "", "林试明", "80736152", 400, "请填写"},
		{"over-long name", "TEST-000001", strings.Repeat("林", 65), "80736152", 400, "请填写"},
	}
	bodies := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := postLookup(e, tt.number, tt.holderName, tt.id, "")
			body := readBody(t, res)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("status %d, want %d with %q:\n%s", res.StatusCode, tt.status, tt.want, body)
			}
			checkHeaders(t, res)
			bodies[tt.name] = body
		})
	}
	if bodies["wrong name"] != bodies["wrong number"] || bodies["wrong id"] != bodies["wrong number"] {
		t.Errorf("wrong fields answer differently: the form would enumerate numbers")
	}
	res := postLookup(e, "TEST-000001", "林试明", "80736152", "application/json")
	body := readBody(t, res)
	var a map[string]any
	json.Unmarshal([]byte(body), &a)
	if a["outcome"] != "valid" {
		t.Errorf("JSON lookup: %v", a)
	}
	// The answer never shows the token.
	if strings.Contains(body, string(fx.valid)) {
		t.Errorf("a lookup answer shows the token")
	}
	if logs := e.logs.String(); strings.Contains(logs, "林试明") || strings.Contains(logs, "80736152") || strings.Contains(logs, "TEST-000001") {
		t.Errorf("logs hold what was looked up")
	}

	// Without the pepper the lookup copies cannot be found: a verifier
	// with another pepper finds nothing.
	other := seal.Pepper{1}
	e2 := newEnv(t, verifier.Config{Pepper: &other}, fx)
	if res := postLookup(e2, "TEST-000001", "林试明", "80736152", ""); res.StatusCode != 404 {
		t.Errorf("lookup with the wrong pepper: %d, want 404", res.StatusCode)
	}
}

// TestLookupSlots: when every KDF slot is taken a lookup answers 503
// at once, and the KDF runs only after the rate limiter.
func TestLookupSlots(t *testing.T) {
	fx := newFixture(t)
	// Slow KDF parameters make the slot hold long enough to see.
	e := newEnv(t, verifier.Config{LookupSlots: 1, LookupLimit: 3, LookupParams: seal.Params{Time: 40, Memory: 8 << 10, Threads: 1}}, fx)
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for i := range 2 {
		wg.Go(func() {
			req := httptest.NewRequest("POST", "/lookup", strings.NewReader(url.Values{"number": {"TEST-000001"}, "name": {"林试明"}, "id": {"80736152"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.RemoteAddr = fmt.Sprintf("198.51.100.%d:1234", i+1)
			res := e.do(req)
			res.Body.Close()
			codes <- res.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[503] != 1 || got[404] != 1 {
		t.Errorf("two lookups at once through one slot: %v, want one 503 and one answer", got)
	}
	before := counter(t, e.reg, "verifier_lookup_kdf_total")
	for range 4 {
		postLookup(e, "TEST-000001", "林试明", "80736152", "").Body.Close()
	}
	// The fourth from one address is rate limited before any KDF.
	if n := counter(t, e.reg, "verifier_lookup_kdf_total") - before; n != 3 {
		t.Errorf("%v KDF results for 4 lookups under a limit of 3, want 3", n)
	}
}

// TestHostile sends what a scanner, a fuzzer or an attacker might.
func TestHostile(t *testing.T) {
	fx := newFixture(t)
	e := newEnv(t, verifier.Config{}, fx)
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	tok := string(fx.valid)
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
	e := newEnv(t, verifier.Config{ScanLimit: 20, LookupLimit: 5}, fx)
	for i := 1; i <= 6; i++ {
		res := postLookup(e, "TEST-999999", "某人", "1", "")
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
		res := e.do(httptest.NewRequest("GET", "/c/"+string(fx.valid), nil))
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
	req := httptest.NewRequest("GET", "/c/"+string(fx.valid), nil)
	req.RemoteAddr = "192.0.2.99:1234"
	if res := e.do(req); res.StatusCode != 200 {
		t.Errorf("other address: %d", res.StatusCode)
	}
}

// TestSlowClient checks that a client that never finishes its headers
// is cut off.
func TestSlowClient(t *testing.T) {
	e := newEnv(t, verifier.Config{}, nil)
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

// TestProbes checks /healthz on the public port, and /readyz and
// /metrics on the admin address only.
func TestProbes(t *testing.T) {
	fx := newFixture(t)
	for _, tt := range []struct {
		name   string
		fx     *fixture
		now    time.Time
		status int
		want   string
	}{
		{"loaded", fx, testNow, 200, `"ready":true`},
		{"none", nil, testNow, 503, `"ready":false`},
		{"head expired", fx, headAt.Add(lifetime + time.Minute), 503, `"ready":false,"reason":"the head or the trust list has expired"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, verifier.Config{}, tt.fx)
			if tt.now != testNow {
				// The head expires while it is in force.
				e = newEnv(t, verifier.Config{}, nil)
				e.rl = verifier.NewReloader(verifier.ReloaderConfig{Dir: fx.dir, StateDir: t.TempDir(), Pin: fx.pin, Now: func() time.Time { return testNow }}, e.store, e.log, e.m)
				if err := e.rl.Reload("start"); err != nil {
					t.Fatal(err)
				}
				e.admin = verifier.NewAdmin(e.store, e.reg, func() time.Time { return tt.now })
				h, _ := verifier.NewServer(e.log, verifier.Config{Now: func() time.Time { return tt.now }}, e.store, e.m)
				e.h = h
				res := e.do(httptest.NewRequest("GET", "/api/v1/verify/"+string(fx.valid), nil))
				body := readBody(t, res)
				if res.StatusCode != 503 || !strings.Contains(body, `"outcome":"unavailable"`) {
					t.Errorf("past the head's expiry: %d %s, want 503 cannot verify now", res.StatusCode, body)
				}
			}
			if res := e.do(httptest.NewRequest("GET", "/healthz", nil)); res.StatusCode != 200 {
				t.Errorf("/healthz: %d", res.StatusCode)
			}
			for _, p := range []string{"/readyz", "/metrics"} {
				if res := e.do(httptest.NewRequest("GET", p, nil)); res.StatusCode != 404 {
					t.Errorf("%s on the public port: %d, want 404", p, res.StatusCode)
				}
			}
			rec := httptest.NewRecorder()
			e.admin.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			body := rec.Body.String()
			if rec.Code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("/readyz: %d %s", rec.Code, body)
			}
			if tt.fx != nil && !strings.Contains(body, `"headSequence":1,"dataAt":"2026-02-01T07:00:00Z"`) {
				t.Errorf("/readyz lacks the data's time: %s", body)
			}
			if tt.fx != nil && !strings.Contains(body, `"trustListExpires":"2030-01-01T00:00:00Z"`) {
				t.Errorf("/readyz lacks the trust list's expiry: %s", body)
			}
			e.do(httptest.NewRequest("GET", "/c/"+string(fx.valid), nil))
			rec = httptest.NewRecorder()
			e.admin.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			body = rec.Body.String()
			for _, s := range []string{`verifier_http_requests_total{code=`, `verifier_verifications_total{channel="scan",outcome=`,
				`verifier_reloads_total{result="refused"} 0`, `verifier_snapshot_refused_total{reason="rollback"} 0`} {
				if !strings.Contains(body, s) {
					t.Errorf("/metrics lacks %s", s)
				}
			}
			if tt.fx != nil && !strings.Contains(body, "verifier_trust_list_expiry_timestamp_seconds 1.893456e+09") {
				t.Errorf("/metrics lacks the trust list's expiry")
			}
			res := e.do(httptest.NewRequest("GET", "/static/verifier.css", nil))
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
				t.Errorf("stylesheet: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
		})
	}
}

func benchServe(b *testing.B, path string, hdr map[string]string) {
	fx := newFixture(b)
	e := newEnv(b, verifier.Config{}, fx)
	// Request logs formatted as in production, written nowhere.
	h, err := verifier.NewServer(slog.New(slog.NewJSONHandler(io.Discard, nil)), verifier.Config{Now: func() time.Time { return testNow }}, e.store, e.m)
	if err != nil {
		b.Fatal(err)
	}
	e.h = h
	path = strings.ReplaceAll(path, "TOKEN", string(fx.valid))
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
