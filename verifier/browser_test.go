package verifier_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/qualbridge/qualbridge/verifier"
)

// needTool returns the path of a tool the browser test needs: skipped
// without it, except in CI (CI set), where its absence is a failure.
func needTool(t *testing.T, what, hint string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found (%s)", what, hint)
	}
	t.Skipf("%s not found (%s)", what, hint)
	return ""
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  int    `json:"nodes"`
}

// TestBrowser opens the pages at phone width (390×844) in headless
// Chromium: no console errors (a CSP violation would be one), and an
// axe-core scan without serious or critical violations. Screenshots go
// to $VERIFIER_SCREENSHOTS (default the system temp dir).
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chrome := needTool(t, "chromium", "apt-get install chromium", os.Getenv("CHROMIUM"), "/usr/bin/chromium", "chromium")
	root, _ := filepath.Abs("..")
	axePath := needTool(t, "axe-core", "npm install --no-save axe-core@4, or set AXE_JS",
		os.Getenv("AXE_JS"), filepath.Join(root, "node_modules", "axe-core", "axe.min.js"))
	axe, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("VERIFIER_SCREENSHOTS")
	if shots == "" {
		shots = os.TempDir()
	}

	fx := newFixture(t)
	e := newEnv(t, verifier.Config{LookupLimit: 5}, fx)
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(390, 844),
	}
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	var consoleErrs []string
	err = chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				consoleErrs = append(consoleErrs, fmt.Sprintf("console.%s", ev.Type))
			}
		case *runtime.EventExceptionThrown:
			consoleErrs = append(consoleErrs, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				consoleErrs = append(consoleErrs, string(ev.Entry.Level)+": "+ev.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}

	// status is the page's HTTP status: Chromium logs a 4xx document
	// as a failed load, the one console error those pages may have.
	pages := []struct {
		name, path, h1 string
		status         int
	}{
		{"valid", "/c/" + string(fx.tokens[verifier.Valid][0]), "证书真实有效", 200},
		{"revoked", "/c/" + string(fx.tokens[verifier.Revoked][0]), "证书已注销", 200},
		{"expired", "/c/" + string(fx.tokens[verifier.Expired][0]), "证书真实，但已过有效期", 200},
		{"valid-hant", "/c/" + string(fx.tokens[verifier.Valid][0]) + "?lang=zh-Hant", "證書真實有效", 200},
		{"revoked-hant", "/c/" + string(fx.tokens[verifier.Revoked][0]) + "?lang=zh-Hant", "證書已註銷", 200},
		{"lookup", "/lookup", "按证书编号、姓名和证件号码查询", 200},
		{"not-genuine", "/c/" + string(fx.tokens[verifier.NotGenuine][0]), "证书未通过核验", 422},
		{"unknown", "/c/" + string(fx.tokens[verifier.Unknown][0]), "查无此证书", 404},
		{"malformed", "/c/bad", "核验码无法识别", 400},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			mu.Lock()
			consoleErrs = nil
			mu.Unlock()
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path)); err != nil {
				t.Fatal(err)
			}
			h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
			if err != nil {
				t.Fatal(err)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			// DevTools evaluation is not page script: the page's CSP,
			// which allows no script at all, does not stop it.
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(axe)+";true")); err != nil {
				t.Fatal(err)
			}
			violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](
				`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.length})))`,
				chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(h1) != p.h1 {
				t.Errorf("h1 %q, want %q", h1, p.h1)
			}
			shot := filepath.Join(shots, "verifier-"+p.name+".png")
			if err := os.WriteFile(shot, png, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, v := range violations {
				msg := fmt.Sprintf("axe %s (%s): %s, %d nodes", v.ID, v.Impact, v.Help, v.Nodes)
				if v.Impact == "serious" || v.Impact == "critical" {
					t.Error(msg)
				} else {
					t.Log(msg)
				}
			}
			// Give late console messages (a blocked stylesheet) a moment.
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			for _, c := range consoleErrs {
				if p.status != 200 && strings.Contains(c, fmt.Sprintf("status of %d", p.status)) {
					continue
				}
				t.Errorf("console: %s", c)
			}
		})
	}
}
