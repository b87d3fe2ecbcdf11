package deploy

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qualbridge/qualbridge/generator"
	"github.com/qualbridge/qualbridge/generator/catalog"
)

// TestCacheControl: a year and immutable only for a file named by the
// hash of its own bytes, as the generator names its assets; a name that
// only looks like one, and every page, five minutes.
func TestCacheControl(t *testing.T) {
	css := "body{color:#111}"
	for _, tc := range []struct {
		key, data, want string
	}{
		{"assets/" + fp("style", ".css", css), css, cacheImmutable},
		{"assets/fonts/" + fp("site", ".woff2", "wOF2"), "wOF2", cacheImmutable},
		{"assets/" + fp("style", ".css", css), "body{color:#222}", cacheShort}, // another file copied under the name
		{"assets/style.0a1b2c3d.css", css, cacheShort},                         // the form of another tool, unchecked
		{"assets/style.css", css, cacheShort},
		{"data/batch-2025141012.csv", "序号", cacheShort},                    // ten digits, not its hash
		{fp("zh-hans/index", ".html", "<p>"), "<p>", cacheShort},           // a page, even named by its hash
		{"zh-hans/" + fp("search-index", ".json", "{}"), "{}", cacheShort}, // an index names pages: short
		{"zh-hans/index.html", "<p>", cacheShort},
	} {
		if got := cacheControl(tc.key, []byte(tc.data)); got != tc.want {
			t.Errorf("cacheControl(%s) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

// buildSite builds the generator's test site in memory on the day of
// now, as `qualbridge build` would on that day.
func buildSite(t *testing.T, now time.Time) fstest.MapFS {
	t.Helper()
	src := os.DirFS("../generator/testdata/site")
	date := catalog.DateOf(now)
	cat, ds := catalog.Load(src, catalog.Options{BuildDate: date})
	if err := ds.Err(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	site := fstest.MapFS{}
	_, err := generator.Build(context.Background(), cat, src, generator.Options{BuildDate: date, Clock: func() time.Time { return now },
		Write: func(name string, data []byte) error {
			mu.Lock()
			defer mu.Unlock()
			site[name] = &fstest.MapFile{Data: bytes.Clone(data)}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return site
}

// TestGeneratedSite: in a site the generator built, every asset is kept a
// year and nothing else is; the same sources built the next day, at
// another hour, deploy as nothing.
func TestGeneratedSite(t *testing.T) {
	day1 := buildSite(t, time.Date(2025, 6, 2, 1, 0, 0, 0, time.UTC))
	immutable := 0
	for key, f := range day1 {
		got := cacheControl(key, f.Data)
		if asset := strings.HasPrefix(key, "assets/"); asset != (got == cacheImmutable) {
			t.Errorf("%s: Cache-Control %q", key, got)
		}
		if got == cacheImmutable {
			immutable++
		}
	}
	if immutable < 5 {
		t.Errorf("%d fingerprinted assets, want the 5 the site ships at least", immutable)
	}

	b := fileBucket(t)
	first := mustDeploy(t, b, day1, Options{})
	if first.Uploaded != len(day1) {
		t.Fatalf("first deploy uploaded %d of %d files", first.Uploaded, len(day1))
	}
	day2 := buildSite(t, time.Date(2025, 6, 3, 23, 30, 0, 0, time.UTC))
	next := mustDeploy(t, b, day2, Options{})
	if next.Uploaded != 0 || next.Deleted != 0 {
		t.Errorf("the next day's deploy uploaded %d and deleted %d: %v", next.Uploaded, next.Deleted, keys(next.Plan))
	}
	storeEquals(t, b, day2)
}
