package deploy

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/qualbridge/qualbridge/internal/weedtest"
)

// The integration tests run against a real S3-compatible store
// (package weedtest).
type store = weedtest.Bucket

// TestStore runs deploys against a real S3-compatible store, one server
// for all, a bucket each but Keep.
func TestStore(t *testing.T) {
	srv := weedtest.Start(t)
	t.Run("Cycle", func(t *testing.T) { testStoreCycle(t, srv.Bucket(t, "cycle")) })
	gz := srv.Bucket(t, "gzip")
	t.Run("Gzip", func(t *testing.T) { testStoreGzip(t, gz) })
	// The server has volumes for three buckets (weedtest's -volume.max):
	// Keep takes over the one Gzip is done with.
	t.Run("Keep", func(t *testing.T) { testStoreKeep(t, gz) })
	t.Run("Killed", func(t *testing.T) { testStoreKilled(t, srv.Bucket(t, "killed")) })
}

// testStoreCycle: the listing's ETags settle a second deploy with no
// upload, headers are what a CDN fetching from the bucket sees, a file
// larger than an upload part is still recognised as unchanged.
func testStoreCycle(t *testing.T, s store) {
	b := s.Open(t)
	site := siteA()
	big := strings.Repeat("<tr><td>合成技术士</td><td>四级</td></tr>\n", 9<<20/48) // more than one 8 MB upload part
	site["data/big.html"] = page("大表", styleA)
	site["data/big.html"].Data = append(site["data/big.html"].Data, big...)

	first := mustDeploy(t, b, site, Options{})
	if first.Uploaded != len(site) {
		t.Fatalf("first deploy uploaded %d, want %d", first.Uploaded, len(site))
	}
	again := mustDeploy(t, b, site, Options{})
	if again.Uploaded != 0 || again.Deleted != 0 {
		t.Errorf("second deploy: %d uploads, %d deletions (%v); want none", again.Uploaded, again.Deleted, keys(again.Plan))
	}
	site["zh-hans/about/index.html"] = page("关于我们", styleA)
	if one := mustDeploy(t, b, site, Options{}); one.Uploaded != 1 || one.Deleted != 0 {
		t.Errorf("one page changed: %v; want one upload", keys(one.Plan))
	}
	delete(site, "zh-hans/old/index.html")
	if gone := mustDeploy(t, b, site, Options{}); gone.Uploaded != 0 || gone.Deleted != 1 {
		t.Errorf("one page removed: %v; want one deletion", keys(gone.Plan))
	}
	_, err := ToBucket(context.Background(), b, fstestSingle(), Options{From: "public", To: "s3://site", MaxDeletes: 5})
	if err == nil || !strings.Contains(err.Error(), "超过上限 5；什么也没有改动") {
		t.Errorf("mass deletion: err = %v, want a refusal", err)
	}
	storeEquals(t, b, site)

	// What a CDN (or a browser) fetching the bucket anonymously gets.
	for _, tc := range []struct{ key, typ, cache string }{
		{"zh-hans/about/index.html", "text/html; charset=utf-8", cacheShort},
		{"assets/" + styleA, "text/css; charset=utf-8", cacheImmutable},
		{"zh-hans/atom.xml", "application/atom+xml; charset=utf-8", cacheShort},
	} {
		resp, err := http.Get(s.Endpoint + "/" + s.Name + "/" + tc.key)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.typ || resp.Header.Get("Cache-Control") != tc.cache {
			t.Errorf("GET %s: %d, Content-Type %q, Cache-Control %q; want 200, %q, %q", tc.key, resp.StatusCode,
				resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), tc.typ, tc.cache)
		}
	}
}

// testStoreGzip: compressed copies carry Content-Encoding for whoever
// fetches them, and a second deploy uploads nothing.
func testStoreGzip(t *testing.T, s store) {
	b := s.Open(t)
	site := siteA()
	site["zh-hans/long/index.html"] = page("长页面", styleA, strings.Split(strings.Repeat("/zh-hans/about/ ", 100), " ")...)
	mustDeploy(t, b, site, Options{Gzip: true})
	if again := mustDeploy(t, b, site, Options{Gzip: true}); again.Uploaded != 0 {
		t.Errorf("second gzip deploy uploaded %v", keys(again.Plan))
	}
	req, _ := http.NewRequest("GET", s.Endpoint+"/"+s.Name+"/zh-hans/long/index.html", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	storeEquals(t, b, site)
}

func fstestSingle() fstest.MapFS { return fstest.MapFS{"index.html": page("别的网站", "x.css")} }

// testStoreKeep: on a real store, the style sheet a deploy replaced is
// still served to whoever holds an old page, the manifest is served
// no-store, and the first deploy after the grace period deletes the old
// style sheet.
func testStoreKeep(t *testing.T, s store) {
	b := s.Open(t)
	c := newClock()
	opts := Options{KeepAssets: 24 * time.Hour, Now: c.now}
	mustDeploy(t, b, siteA(), opts)
	c.advance(time.Hour)
	res := mustDeploy(t, b, siteB(), opts)
	if len(res.Plan.Kept) != 1 || !res.Plan.Kept[0].Until.Equal(c.t.Add(24*time.Hour)) {
		t.Errorf("kept %v, want styleA until %v", res.Plan.Kept, c.t.Add(24*time.Hour))
	}
	for _, tc := range []struct{ key, cache string }{
		{"assets/" + styleA, cacheImmutable},
		{ManifestKey, "no-store"},
	} {
		resp, err := http.Get(s.Endpoint + "/" + s.Name + "/" + tc.key)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != tc.cache {
			t.Errorf("GET %s after the deploy: %d, Cache-Control %q; want 200, %q", tc.key, resp.StatusCode, resp.Header.Get("Cache-Control"), tc.cache)
		}
	}
	if again := mustDeploy(t, b, siteB(), opts); again.Uploaded+again.Deleted != 0 {
		t.Errorf("no-change deploy did %v", keys(again.Plan))
	}
	c.advance(24 * time.Hour)
	if late := mustDeploy(t, b, siteB(), opts); late.Deleted != 1 || len(late.Plan.Kept) != 0 {
		t.Errorf("after the grace period: deleted %d, kept %v; want styleA deleted", late.Deleted, late.Plan.Kept)
	}
	storeEquals(t, b, siteB())
}
