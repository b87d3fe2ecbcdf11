package deploy

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/qualbridge/qualbridge/internal/weedtest"
)

// TestMain lets the test binary stand in for "qualbridge deploy" in a
// child process, which testStoreKilled kills at random moments.
func TestMain(m *testing.M) {
	if dir := os.Getenv("QUALBRIDGE_TEST_DEPLOY_SRC"); dir != "" {
		keep, _ := time.ParseDuration(os.Getenv("QUALBRIDGE_TEST_DEPLOY_KEEP"))
		_, err := Site(context.Background(), dir, os.Getenv("QUALBRIDGE_TEST_DEPLOY_TO"), Options{MaxDeletes: -1, Workers: 4, KeepAssets: keep})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// versionAssets are the names of version v's style sheet and script,
// fingerprinted as the generator does.
func versionAssets(v int) (css, js string) {
	return "assets/" + fp("style", ".css", fmt.Sprintf("body{--version:%d}", v)),
		"assets/" + fp("search", ".js", fmt.Sprintf("console.log(%d)", v))
}

// writeVersion writes version v of a site of n pages into dir: every page
// loads the style sheet and script of its version, fingerprinted, and
// names pages of its own version, so that a page of one version in the
// store next to assets of another would show.
func writeVersion(t *testing.T, dir string, v, n int) {
	t.Helper()
	css, js := versionAssets(v)
	files := map[string]string{
		css:                 fmt.Sprintf("body{--version:%d}", v),
		js:                  fmt.Sprintf("console.log(%d)", v),
		"sitemap.xml":       fmt.Sprintf("<urlset version=%d/>", v),
		"search-index.json": fmt.Sprintf(`{"version":%d}`, v),
	}
	for i := range n {
		key := fmt.Sprintf("zh-hans/p%d-%04d/index.html", v%2, i) // alternate versions name their pages apart
		if i == 0 {
			key = "index.html"
		}
		files[key] = fmt.Sprintf(`<!doctype html><title>第%d版 %d</title><link rel=stylesheet href="/%s"><script src="/%s"></script>`, v, i, css, js)
	}
	os.RemoveAll(dir)
	for k, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testStoreKilled kills deploys (SIGKILL, the worst case: no clean-up
// runs) at random moments, alternating between two versions of a site
// that share no asset and no page but the home page. After every kill no
// page in the store refers to an asset the store lacks; a final deploy
// that is let run leaves the store equal to the site, and the old
// versions' assets, kept for the grace period; one after it leaves the
// store equal to the site.
func testStoreKilled(t *testing.T, s store) {
	b := s.Open(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "public")
	const pages = 150
	child := func(ctx context.Context) *exec.Cmd {
		cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "QUALBRIDGE_TEST_DEPLOY_SRC="+dir, "QUALBRIDGE_TEST_DEPLOY_TO="+s.URL(), "QUALBRIDGE_TEST_DEPLOY_KEEP=24h")
		return cmd
	}

	writeVersion(t, dir, 0, pages)
	start := time.Now()
	if out, err := child(context.Background()).CombinedOutput(); err != nil {
		t.Fatalf("first deploy: %v\n%s", err, out)
	}
	full := time.Since(start)
	t.Logf("a full deploy of %d files takes %v", pages+3, full)

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	kills, mixed := 0, 0
	for v := 1; v <= 8; v++ {
		writeVersion(t, dir, v, pages)
		newCSS, _ := versionAssets(v)
		cmd := child(context.Background())
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the deploy has begun to upload, then kill it at a
		// random moment within the time a whole deploy takes.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			if ok, _ := b.Exists(context.Background(), newCSS); ok {
				break
			}
		}
		after := time.Duration(rng.Int64N(int64(full)))
		time.Sleep(after)
		if cmd.Process.Kill() == nil {
			kills++
		}
		cmd.Wait()
		newPages, oldPages := countPages(t, b, v)
		if newPages > 0 && oldPages > 0 {
			mixed++
		}
		t.Logf("version %d killed %v into its uploads: %d of its pages and %d older ones in the store", v, after, newPages, oldPages)
		checkNoMissingAssets(t, b, fmt.Sprintf("version %d killed %v into its uploads", v, after))
		checkManifest(t, b, fmt.Sprintf("version %d killed %v into its uploads", v, after))
	}
	if mixed == 0 {
		t.Errorf("no kill left old and new pages side by side: the test proved little (seed %d)", seed)
	}
	res, err := Site(context.Background(), dir, s.URL(), Options{MaxDeletes: -1, KeepAssets: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d deploys killed, %d of them halfway; the re-run uploaded %d, deleted %d and kept %d", kills, mixed, res.Uploaded, res.Deleted, len(res.Plan.Kept))
	checkNoMissingAssets(t, b, "after the re-run")
	checkManifest(t, b, "after the re-run")
	// Every older version's assets are still there, for the pages of
	// theirs that caches may hold.
	for v := range 8 {
		css, js := versionAssets(v)
		for _, k := range []string{css, js} {
			if ok, _ := b.Exists(context.Background(), k); !ok {
				t.Errorf("version %d's %s deleted within the grace period", v, k)
			}
		}
	}
	res, err = Site(context.Background(), dir, s.URL(), Options{MaxDeletes: -1, KeepAssets: 24 * time.Hour,
		Now: func() time.Time { return time.Now().Add(25 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != 16 || res.Uploaded != 0 {
		t.Errorf("a day later: %d deleted, %d uploaded; want the 16 old assets deleted, nothing uploaded", res.Deleted, res.Uploaded)
	}
	storeEquals(t, b, os.DirFS(dir))
}

// countPages counts the pages in the store (the home page aside) that
// are of version v, and those of earlier versions.
func countPages(t *testing.T, b *blob.Bucket, v int) (cur, old int) {
	t.Helper()
	ctx := context.Background()
	it := b.List(&blob.ListOptions{Prefix: "zh-hans/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return cur, old
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := b.ReadAll(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), fmt.Sprintf("第%d版", v)) {
			cur++
		} else {
			old++
		}
	}
}

// TestSyntheticTiming deploys a large built site (the 24,000-page
// synthetic one: see the README's "Measuring") to a fresh store, then
// again with nothing changed, and reports both times. It runs only when
// QUALBRIDGE_DEPLOY_SITE names the built folder. QUALBRIDGE_DEPLOY_NEXT,
// when set, names the same sources built on the next day, deployed last:
// it should upload nothing (the generator prints no build date).
func TestSyntheticTiming(t *testing.T) {
	dir := os.Getenv("QUALBRIDGE_DEPLOY_SITE")
	if dir == "" {
		t.Skip("set QUALBRIDGE_DEPLOY_SITE to a built site to time deploying it")
	}
	s := weedtest.Start(t).Bucket(t, "synthetic")
	var files int
	var size int64
	fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return err
	})
	for i, want := range []string{"first deploy", "re-deploy, nothing changed"} {
		res, err := Site(context.Background(), dir, s.URL(), Options{MaxDeletes: -1, KeepAssets: 24 * time.Hour}) // the command's default
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d files (%.1f MB), %d uploaded, %v (reading and hashing the site %v, listing the store %v)", want, files, float64(size)/(1<<20),
			res.Uploaded, res.Duration.Round(10*time.Millisecond), res.Scan.Round(10*time.Millisecond), res.List.Round(10*time.Millisecond))
		if i == 1 && res.Uploaded+res.Deleted != 0 {
			t.Errorf("re-deploy changed %d objects, want none", res.Uploaded+res.Deleted)
		}
	}
	if next := os.Getenv("QUALBRIDGE_DEPLOY_NEXT"); next != "" {
		res, err := Site(context.Background(), next, s.URL(), Options{MaxDeletes: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("the next day's build: %d uploaded, %d deleted, %v (listing the store %v)", res.Uploaded, res.Deleted,
			res.Duration.Round(10*time.Millisecond), res.List.Round(10*time.Millisecond))
		if res.Uploaded+res.Deleted != 0 {
			t.Errorf("the next day's build changed %d objects, want none", res.Uploaded+res.Deleted)
		}
	}
}
