package devserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := New(Config{
		Src: src, Out: filepath.Join(src, "public"),
		BuildDate: catalog.NewDate(2025, time.December, 1),
		Debounce:  20 * time.Millisecond,
		Logf:      t.Logf,
	})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
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

	code, home := get(t, base+"/zh-hans/")
	if code != 200 || !strings.Contains(home, `<script src="/__dev/reload.js"></script>`) {
		t.Fatalf("home: %d, reload script missing:\n%.400s", code, home)
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
	if _, err := os.Stat(filepath.Join(src, "public", "zh-hans", "index.html")); err != nil {
		t.Errorf("the last good site is gone from disk: %v", err)
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

// BenchmarkRebuild measures a rebuild of the shipped site after a
// one-line TOML edit, as the dev server does it.
func BenchmarkRebuild(b *testing.B) {
	src := copyTree(b)
	s := New(Config{Src: src, Out: filepath.Join(src, "public"), BuildDate: catalog.NewDate(2025, time.December, 1)})
	s.Rebuild(context.Background())
	site := filepath.Join(src, "catalog", "site.toml")
	orig, _ := os.ReadFile(site)
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		i++
		line := []byte("\n# edit " + strings.Repeat("x", i%7) + "\n")
		os.WriteFile(site, append(orig, line...), 0o644)
		s.Rebuild(context.Background())
	}
	// On a shared machine the wall time says more about the neighbours;
	// the CPU time is the build's own.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	if st, _ := s.current(); len(st.Errors) > 0 {
		b.Fatal(st.Errors)
	}
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
