package devserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

// copyTree copies the shipped catalog/ and content/ (real, small) into a
// temporary source tree that the test may edit.
func copyTree(t testing.TB) string {
	t.Helper()
	src := t.TempDir()
	for _, d := range []string{"catalog", "content"} {
		err := os.CopyFS(filepath.Join(src, d), os.DirFS(filepath.Join("..", "..", d)))
		if err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// start serves src on a free port and returns its URL.
func start(t *testing.T, src string) string {
	t.Helper()
	_, url := startWith(t, Config{Src: src, Logf: t.Logf})
	return url
}

// startWith serves cfg (with a fixed build date and a short debounce) on a
// free port and returns the server and its URL.
func startWith(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg.BuildDate = catalog.NewDate(2025, time.December, 1)
	cfg.Debounce = 20 * time.Millisecond
	s := New(cfg)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, "http://" + ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// event reads the first event of /__dev/events: the current state.
func event(t *testing.T, base string) state {
	t.Helper()
	resp, err := http.Get(base + "/__dev/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var st state
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &st); err != nil {
		t.Fatalf("event %q: %v", line, err)
	}
	return st
}

// waitFor polls until cond holds, for up to 20 seconds (the machine may be
// busy; a build of the small site takes well under a second).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func edit(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEditBreakFix(t *testing.T) {
	src := copyTree(t)
	base := start(t, src)
	var first state
	waitFor(t, "the first build", func() bool { first = event(t, base); return first.Build != "" })
	if len(first.Errors) != 0 {
		t.Fatalf("first build failed: %q", first.Errors)
	}

	code, page := get(t, base+"/zh-hans/")
	if code != 200 || !strings.Contains(page, `<script src="/__dev/reload.js"></script>`) {
		t.Fatalf("home: %d, reload script missing:\n%.400s", code, page)
	}
	if code, js := get(t, base+"/__dev/reload.js"); code != 200 || !strings.Contains(js, `("`+first.Build+`");`) {
		t.Errorf("reload.js: %d, not called with the build id:\n%s", code, js)
	}
	if code, body := get(t, base+"/no/such/page/"); code != 404 || !strings.Contains(body, "<html") {
		t.Errorf("missing page: %d %.200s", code, body)
	}

	// An edit is rebuilt and served under a new build id. The new name is
	// fictional, for the test.
	site := filepath.Join(src, "catalog", "site.toml")
	const testName = "测试用站点名称"
	edit(t, site, `name = "福建省台胞职业资格采信采认服务"`, `name = "`+testName+`"`)
	var second state
	waitFor(t, "a new build", func() bool { second = event(t, base); return second.Build != first.Build })
	if len(second.Errors) != 0 {
		t.Errorf("after the edit: errors %q", second.Errors)
	}
	if _, b := get(t, base+"/zh-hans/"); !strings.Contains(b, testName) {
		t.Errorf("the edit is not served")
	}
	// … and nothing is written to disk: a preview is never a deployment.
	if left := written(t, src); len(left) > 0 {
		t.Errorf("the dev server wrote %q", left)
	}

	// A broken file: its error, with its position, is served, and so is
	// the last good site.
	edit(t, site, `name = "`+testName+`"`, `name = "`+testName)
	var broken state
	waitFor(t, "the error to be reported", func() bool { broken = event(t, base); return len(broken.Errors) > 0 })
	if broken.Build != second.Build {
		t.Errorf("a failed build changed the build id: %q → %q", second.Build, broken.Build)
	}
	_, errs := get(t, base+"/__dev/errors")
	if !regexp.MustCompile(`(?m)^catalog/site\.toml:\d+:\d+: `).MatchString(errs) {
		t.Errorf("/__dev/errors has no positioned error:\n%s", errs)
	}
	if code, b := get(t, base+"/zh-hans/"); code != 200 || !strings.Contains(b, testName) {
		t.Errorf("the last good page is not served: %d", code)
	}
	if code, b := get(t, base+"/no/such/page/"); code != 404 || !strings.Contains(b, "catalog/site.toml:") {
		t.Errorf("a missing page does not show the errors: %d %.300s", code, b)
	}

	// Fixed: a new build, no errors.
	edit(t, site, `name = "`+testName, `name = "`+testName+`（已修复）"`)
	var third state
	waitFor(t, "a new build", func() bool { third = event(t, base); return third.Build != second.Build })
	if len(third.Errors) != 0 {
		t.Errorf("after the fix: errors %q", third.Errors)
	}
	if _, b := get(t, base+"/zh-hans/"); !strings.Contains(b, "（已修复）") {
		t.Errorf("the fix is not served")
	}
}

// TestNewFolder checks that a folder made after the start is watched.
func TestNewFolder(t *testing.T) {
	src := copyTree(t)
	base := start(t, src)
	var first state
	waitFor(t, "the first build", func() bool { first = event(t, base); return first.Build != "" })
	dir := filepath.Join(src, "content", "testdir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the watcher add the folder
	var st state
	waitFor(t, "a rebuild", func() bool { st = event(t, base); return st.Build != first.Build })
	// A file in the new folder triggers a rebuild too (whatever the
	// build makes of it).
	if err := os.WriteFile(filepath.Join(dir, "x.md"), []byte("+++\ntitle = \"测试\"\n+++\n测试页面。\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a rebuild after the new file", func() bool {
		s := event(t, base)
		return s.Build != st.Build || len(s.Errors) > 0
	})
}

func TestFirstBuildFails(t *testing.T) {
	src := copyTree(t)
	edit(t, filepath.Join(src, "catalog", "site.toml"), `name = "`, `name = `)
	base := start(t, src)
	waitFor(t, "the error", func() bool { return len(event(t, base).Errors) > 0 })
	code, b := get(t, base+"/zh-hans/")
	if code != 500 || !strings.Contains(b, "catalog/site.toml:") || !strings.Contains(b, "/__dev/reload.js") {
		t.Errorf("no site yet: got %d\n%s", code, b)
	}
}

func TestRelevant(t *testing.T) {
	s := New(Config{Src: "/src"})
	tests := []struct {
		path string
		want bool
	}{
		{"/src/catalog/qualifications.toml", true},
		{"/src/content/documents/x.md", true},
		{"/src/templates/page.html", true},
		{"/src/catalog", true},
		{"/src/public/index.html", false},
		{"/src/public.tmp-123/x", false},
		{"/src/catalog/.site.toml.swp", false},
		{"/src/catalog/site.toml~", false},
		{"/src/README.md", false},
		{"/elsewhere/catalog/x.toml", false},
	}
	for _, tt := range tests {
		if got := s.relevant(tt.path); got != tt.want {
			t.Errorf("relevant(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// logs collects a server's log lines for a test.
type logs struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.t.Logf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// TestServedFromMemory: every page comes from memory, nothing is written
// beside the source (no public/, no public.tmp-*), and a failed rebuild
// keeps the last good site in memory.
func TestServedFromMemory(t *testing.T) {
	src := copyTree(t)
	l := &logs{t: t}
	site := filepath.Join(src, "catalog", "site.toml")
	s, base := startWith(t, Config{Src: src, Logf: l.logf})
	var first state
	waitFor(t, "the first build", func() bool { first = event(t, base); return first.Build != "" })
	if code, b := get(t, base+"/zh-hans/"); code != 200 || !strings.Contains(b, "<html") {
		t.Fatalf("home: %d %.200s", code, b)
	}

	// A fictional name, for the test.
	const testName = "测试用站点名称"
	edit(t, site, `name = "福建省台胞职业资格采信采认服务"`, `name = "`+testName+`"`)
	var second state
	waitFor(t, "a new build", func() bool { second = event(t, base); return second.Build != first.Build })
	good := s.site.Load()
	edit(t, site, `name = "`+testName+`"`, `name = "`+testName)
	waitFor(t, "the error", func() bool { return len(event(t, base).Errors) > 0 })
	waitFor(t, "the failure logged", func() bool { return l.has("still serving the last good site") })
	if s.site.Load() != good {
		t.Errorf("a failed build replaced the site in memory")
	}
	if code, b := get(t, base+"/zh-hans/"); code != 200 || !strings.Contains(b, testName) {
		t.Errorf("the last good site is not served: %d", code)
	}
	if left := written(t, src); len(left) > 0 {
		t.Errorf("the dev server wrote %q", left)
	}
}

// written lists what there is in src besides the catalog and content
// that copyTree put there.
func written(t *testing.T, src string) []string {
	t.Helper()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.Name() != "catalog" && e.Name() != "content" {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestHandler serves a small synthetic site from memory.
func TestHandler(t *testing.T) {
	s := New(Config{})
	s.site.Store(&site{files: map[string][]byte{
		"index.html":          []byte("<p>root"),
		"404.html":            []byte("<p>not found"),
		"zh-hans/index.html":  []byte("<p>home"),
		"zh-hans/a/data.csv":  []byte("\ufeffa,b\n"),
		"assets/site.css":     []byte("body{}"),
		"assets/search.js":    []byte("x()"),
		"zh-hans/atom.xml":    []byte("<feed/>"),
		"data/all.json":       []byte("{}"),
		"robots.txt":          []byte("User-agent: *"),
		"zh-hans/x/index.htm": []byte("odd"),
	}})
	s.st.Build = "b1"
	tests := []struct {
		path     string
		code     int
		ctype    string
		body     string
		location string
	}{
		{"/", 200, "text/html; charset=utf-8", "<p>root", ""},
		{"/zh-hans/", 200, "text/html; charset=utf-8", "<p>home", ""},
		{"/zh-hans", 301, "", "", "/zh-hans/"},
		{"/zh-hans?q=1", 301, "", "", "/zh-hans/?q=1"},
		{"/zh-hans/index.html", 200, "text/html; charset=utf-8", "<p>home", ""},
		{"/zh-hans/a/data.csv", 200, "text/csv; charset=utf-8", "\ufeffa,b\n", ""},
		{"/assets/site.css", 200, "text/css; charset=utf-8", "body{}", ""},
		{"/assets/search.js", 200, "text/javascript; charset=utf-8", "x()", ""},
		{"/zh-hans/atom.xml", 200, "text/xml; charset=utf-8", "<feed/>", ""},
		{"/data/all.json", 200, "application/json", "{}", ""},
		{"/robots.txt", 200, "text/plain; charset=utf-8", "User-agent: *", ""},
		// A folder without index.html is not listed.
		{"/zh-hans/a/", 404, "text/html; charset=utf-8", "<p>not found", ""},
		{"/zh-hans/x/", 404, "text/html; charset=utf-8", "<p>not found", ""},
		{"/no/such", 404, "text/html; charset=utf-8", "<p>not found", ""},
		// Cleaning keeps every path inside the site.
		{"/zh-hans/../../../../etc/passwd", 404, "", "<p>not found", ""},
		{"/../robots.txt", 200, "", "User-agent: *", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://x"+tt.path, nil)
		r.URL.Path = strings.SplitN(tt.path, "?", 2)[0] // keep the dots the client sent
		w := httptest.NewRecorder()
		s.handleSite().ServeHTTP(w, r)
		if w.Code != tt.code {
			t.Errorf("%s: status %d, want %d", tt.path, w.Code, tt.code)
		}
		if got := w.Header().Get("Content-Type"); tt.ctype != "" && got != tt.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tt.path, got, tt.ctype)
		}
		if tt.body != "" && w.Body.String() != tt.body {
			t.Errorf("%s: body %q, want %q", tt.path, w.Body.String(), tt.body)
		}
		if got := w.Header().Get("Location"); got != tt.location {
			t.Errorf("%s: Location %q, want %q", tt.path, got, tt.location)
		}
	}
	// HEAD: the headers without the body.
	w := httptest.NewRecorder()
	s.handleSite().ServeHTTP(w, httptest.NewRequest("HEAD", "http://x/assets/site.css", nil))
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "6" {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %q", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
}

// BenchmarkRebuild measures the time from a one-line TOML edit of the
// shipped site (copied to a temporary folder) to the edited site being
// served from memory, as the dev server does it after the debounce.
func BenchmarkRebuild(b *testing.B) {
	src := copyTree(b)
	s := New(Config{Src: src, BuildDate: catalog.NewDate(2025, time.December, 1)})
	ctx := context.Background()
	s.Rebuild(ctx)
	h := s.Handler(ctx)
	site := filepath.Join(src, "catalog", "site.toml")
	orig, err := os.ReadFile(site)
	if err != nil {
		b.Fatal(err)
	}
	const name = `name = "福建省台胞职业资格采信采认服务"`
	if !bytes.Contains(orig, []byte(name)) {
		b.Fatalf("site.toml lacks %s", name)
	}
	var cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		// A fictional site name, for the benchmark.
		mark := fmt.Sprintf("测试站点%d", i)
		c0 := cpuTime()
		os.WriteFile(site, bytes.Replace(orig, []byte(name), []byte(`name = "`+mark+`"`), 1), 0o644)
		s.Rebuild(ctx)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/zh-hans/", nil))
		cpu += cpuTime() - c0
		b.StopTimer()
		if !strings.Contains(w.Body.String(), mark) {
			st, _ := s.current()
			b.Fatalf("the edit is not served: %q", st.Errors)
		}
		b.StartTimer()
	}
	// On a shared machine the wall time says more about the neighbours;
	// the CPU time is the build's own.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
