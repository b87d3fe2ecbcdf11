package deploy

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

// page is a small HTML page loading the style sheet css and linking to
// the pages links.
func page(title, css string, links ...string) *fstest.MapFile {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html lang=zh-Hans><title>%s</title><link rel=stylesheet href=\"/assets/%s\"><script src=\"/assets/app.js\" defer></script>", title, css)
	for _, l := range links {
		fmt.Fprintf(&b, "<a href=\"%s\">%s</a>", l, l)
	}
	return &fstest.MapFile{Data: []byte(b.String())}
}

// fp is the generator's fingerprinted name of an asset: the first 10 hex
// digits of the SHA-256 of its bytes before the extension.
func fp(stem, ext, data string) string {
	sum := sha256.Sum256([]byte(data))
	return stem + "." + hex.EncodeToString(sum[:])[:10] + ext
}

// The style sheets of siteA and siteB, and their fingerprinted names.
const cssA, cssB = "body{color:#111}", "body{color:#222}"

var styleA, styleB = fp("style", ".css", cssA), fp("style", ".css", cssB)

// siteA and siteB are two builds of a small site: B changes the style
// sheet (so its fingerprinted name), every page with it, adds a page and
// drops one.
func siteA() fstest.MapFS {
	css := styleA
	return fstest.MapFS{
		"index.html":                  page("首页", css, "/zh-hans/about/", "/zh-hans/old/"),
		"404.html":                    page("找不到", css),
		"zh-hans/about/index.html":    page("关于", css),
		"zh-hans/old/index.html":      page("旧页面", css),
		"assets/" + css:               {Data: []byte(cssA)},
		"assets/app.js":               {Data: []byte("console.log(1)")},
		"data/qualifications.json":    {Data: []byte(`[{"id":"a"}]`)},
		"zh-hans/search-index.json":   {Data: []byte(`{"pages":["/zh-hans/about/","/zh-hans/old/"]}`)},
		"zh-hans/atom.xml":            {Data: []byte("<feed/>")},
		"sitemap.xml":                 {Data: []byte("<urlset><url><loc>/zh-hans/old/</loc></url></urlset>")},
		"robots.txt":                  {Data: []byte("User-agent: *\n")},
		"zh-hans/qualifications.html": page("目录", css),
	}
}

func siteB() fstest.MapFS {
	css := styleB
	return fstest.MapFS{
		"index.html":                  page("首页", css, "/zh-hans/about/", "/zh-hans/new/"),
		"404.html":                    page("找不到", css),
		"zh-hans/about/index.html":    page("关于", css),
		"zh-hans/new/index.html":      page("新页面", css),
		"assets/" + css:               {Data: []byte(cssB)},
		"assets/app.js":               {Data: []byte("console.log(1)")},
		"data/qualifications.json":    {Data: []byte(`[{"id":"a"},{"id":"b"}]`)},
		"zh-hans/search-index.json":   {Data: []byte(`{"pages":["/zh-hans/about/","/zh-hans/new/"]}`)},
		"zh-hans/atom.xml":            {Data: []byte("<feed/>")},
		"sitemap.xml":                 {Data: []byte("<urlset><url><loc>/zh-hans/new/</loc></url></urlset>")},
		"robots.txt":                  {Data: []byte("User-agent: *\n")},
		"zh-hans/qualifications.html": page("目录", css),
	}
}

func fileBucket(t *testing.T) *blob.Bucket {
	t.Helper()
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func mustDeploy(t *testing.T, b *blob.Bucket, site fs.FS, opts Options) *Result {
	t.Helper()
	opts.From, opts.To = "public", "file://store"
	if opts.MaxDeletes == 0 {
		opts.MaxDeletes = -1
	}
	res, err := ToBucket(context.Background(), b, site, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// storeEquals fails the test unless the store holds exactly the files of
// site, byte for byte once decompressed.
func storeEquals(t *testing.T, b *blob.Bucket, site fs.FS) {
	t.Helper()
	ctx := context.Background()
	want := map[string][]byte{}
	fs.WalkDir(site, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			want[p], _ = fs.ReadFile(site, p)
		}
		return err
	})
	got := map[string]bool{}
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if reserved(obj.Key) {
			continue // the deploy's own record, no file of the site
		}
		got[obj.Key] = true
		data := readObject(t, b, obj.Key)
		if w, ok := want[obj.Key]; !ok {
			t.Errorf("store holds %s, which the site does not have", obj.Key)
		} else if !bytes.Equal(data, w) {
			t.Errorf("store's %s = %q, want %q", obj.Key, data, w)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("store lacks %s", k)
		}
	}
}

// readObject returns an object's content, decompressed if it was
// uploaded compressed.
func readObject(t *testing.T, b *blob.Bucket, key string) []byte {
	t.Helper()
	ctx := context.Background()
	a, err := b.Attributes(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if a.ContentEncoding == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	return data
}

func TestDeployOnlyWhatChanged(t *testing.T) {
	b := fileBucket(t)
	site := siteA()
	first := mustDeploy(t, b, site, Options{})
	if first.Uploaded != len(site) || first.Deleted != 0 {
		t.Fatalf("first deploy: %d uploads, %d deletions; want %d, 0", first.Uploaded, first.Deleted, len(site))
	}
	storeEquals(t, b, site)

	again := mustDeploy(t, b, site, Options{})
	if again.Uploaded != 0 || again.Deleted != 0 || again.Plan.Unchanged != len(site) {
		t.Errorf("second deploy of the same site: %d uploads, %d deletions, %d unchanged; want 0, 0, %d",
			again.Uploaded, again.Deleted, again.Plan.Unchanged, len(site))
	}

	site["zh-hans/about/index.html"] = page("关于我们", styleA)
	one := mustDeploy(t, b, site, Options{})
	if one.Uploaded != 1 || one.Deleted != 0 || one.Plan.Changes[0].Key != "zh-hans/about/index.html" || one.Plan.Changes[0].Op != Update {
		t.Errorf("one page changed: plan %v; want one update of zh-hans/about/index.html", keys(one.Plan))
	}

	delete(site, "zh-hans/old/index.html")
	gone := mustDeploy(t, b, site, Options{})
	if gone.Uploaded != 0 || gone.Deleted != 1 || gone.Plan.Changes[0].Key != "zh-hans/old/index.html" {
		t.Errorf("one page removed: plan %v; want one deletion of zh-hans/old/index.html", keys(gone.Plan))
	}
	storeEquals(t, b, site)

	forced := mustDeploy(t, b, site, Options{Force: true})
	if forced.Uploaded != len(site) {
		t.Errorf("-force: %d uploads, want %d", forced.Uploaded, len(site))
	}
}

func keys(p Plan) []string {
	var ks []string
	for _, c := range p.Changes {
		ks = append(ks, c.Op.String()+" "+c.Key)
	}
	return ks
}

// TestPlanOrder: assets, then pages, then indexes, then deletions of
// pages before the assets they load.
func TestPlanOrder(t *testing.T) {
	b := fileBucket(t)
	mustDeploy(t, b, siteA(), Options{})
	res := mustDeploy(t, b, siteB(), Options{DryRun: true})
	want := []string{
		"新增 assets/" + styleB,
		"更新 data/qualifications.json",
		"更新 404.html",
		"更新 index.html",
		"更新 zh-hans/about/index.html",
		"新增 zh-hans/new/index.html",
		"更新 zh-hans/qualifications.html",
		"更新 sitemap.xml",
		"更新 zh-hans/search-index.json",
		"删除 zh-hans/old/index.html",
		"删除 assets/" + styleA,
	}
	if got := keys(res.Plan); !slices.Equal(got, want) {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Uploaded+res.Deleted != 0 {
		t.Errorf("dry run changed the store: %d uploads, %d deletions", res.Uploaded, res.Deleted)
	}
	storeEquals(t, b, siteA())
}

func TestMaxDeletes(t *testing.T) {
	b := fileBucket(t)
	mustDeploy(t, b, siteA(), Options{})
	// The wrong folder: a site of its own, sharing nothing with the store.
	other := fstest.MapFS{"index.html": page("别的网站", "x.css")}
	_, err := ToBucket(context.Background(), b, other, Options{From: "public", To: "file://store", MaxDeletes: 3})
	if !errors.Is(err, ErrTooManyDeletes) {
		t.Fatalf("err = %v, want ErrTooManyDeletes", err)
	}
	const msg = "file://store: error: 将删除存储中的 11 个对象，超过上限 3；什么也没有改动\n\thint: 先用 -dry-run 看清要删除的对象；确认存储地址和 public 都没错后，用 -max-deletes 11 重新运行"
	if err.Error() != msg {
		t.Errorf("message:\n%s\nwant:\n%s", err, msg)
	}
	storeEquals(t, b, siteA())
}

func TestRefusesSiteWithoutIndex(t *testing.T) {
	b := fileBucket(t)
	mustDeploy(t, b, siteA(), Options{})
	_, err := ToBucket(context.Background(), b, fstest.MapFS{}, Options{From: "public", To: "file://store", MaxDeletes: -1})
	if err == nil || !strings.Contains(err.Error(), "public: error: 没有 index.html") {
		t.Fatalf("err = %v, want a refusal naming public", err)
	}
	storeEquals(t, b, siteA())
}

func TestHeaders(t *testing.T) {
	b := fileBucket(t)
	site := siteA()
	site["zh-hans/big.html"] = &fstest.MapFile{Data: bytes.Repeat([]byte("<p>采信与采认</p>\n"), 200)}
	site["assets/logo.png"] = &fstest.MapFile{Data: bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 200)}
	mustDeploy(t, b, site, Options{Gzip: true})
	for _, tc := range []struct {
		key, typ, cache, encoding string
	}{
		{"zh-hans/big.html", "text/html; charset=utf-8", cacheShort, "gzip"},
		{"index.html", "text/html; charset=utf-8", cacheShort, ""}, // too small to be worth it
		{"assets/" + styleA, "text/css; charset=utf-8", cacheImmutable, ""},
		{"assets/app.js", "text/javascript; charset=utf-8", cacheShort, ""},
		{"assets/logo.png", "image/png", cacheShort, ""},
		{"zh-hans/atom.xml", "application/atom+xml; charset=utf-8", cacheShort, ""},
		{"sitemap.xml", "application/xml; charset=utf-8", cacheShort, ""},
		{"data/qualifications.json", "application/json", cacheShort, ""},
	} {
		a, err := b.Attributes(context.Background(), tc.key)
		if err != nil {
			t.Fatal(err)
		}
		if a.ContentType != tc.typ || a.CacheControl != tc.cache || a.ContentEncoding != tc.encoding {
			t.Errorf("%s: Content-Type %q, Cache-Control %q, Content-Encoding %q; want %q, %q, %q",
				tc.key, a.ContentType, a.CacheControl, a.ContentEncoding, tc.typ, tc.cache, tc.encoding)
		}
	}
	storeEquals(t, b, site)
	if again := mustDeploy(t, b, site, Options{Gzip: true}); again.Uploaded != 0 {
		t.Errorf("gzip deploy of the same site uploaded %d files again", again.Uploaded)
	}
	// Switching compression off changes what is stored: every compressed
	// object is uploaded again, plain.
	if plain := mustDeploy(t, b, site, Options{}); plain.Uploaded != 1 {
		t.Errorf("deploy without -gzip uploaded %d files, want the 1 compressed one", plain.Uploaded)
	}
}

// TestForeignObject: an object the store holds without a hash the
// listing gives (put there by another tool) is compared by its headers
// and, lacking the recorded hash, uploaded again.
func TestForeignObject(t *testing.T) {
	dir := t.TempDir()
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	site := siteA()
	mustDeploy(t, b, site, Options{})
	if res := mustDeploy(t, b, site, Options{}); res.Uploaded != len(site) {
		t.Errorf("store without hashes: %d uploads, want all %d (nothing proves them unchanged)", res.Uploaded, len(site))
	}
	storeEquals(t, b, site)
}

// assetRef finds what a page loads or links to.
var assetRef = regexp.MustCompile(`(?:href|src)="/([^"]*)"`)

// checkNoMissingAssets fails unless every asset a page in the store
// refers to is in the store.
func checkNoMissingAssets(t *testing.T, b *blob.Bucket, when string) {
	t.Helper()
	ctx := context.Background()
	held := map[string]bool{}
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		held[obj.Key] = true
	}
	for key := range held {
		if classify(key) != classPage {
			continue
		}
		data, err := b.ReadAll(ctx, key)
		if err != nil {
			continue // deleted since the listing
		}
		for _, m := range assetRef.FindAllSubmatch(data, -1) {
			ref := string(m[1])
			if strings.HasSuffix(ref, "/") || ref == "" || classify(ref) != classAsset {
				continue
			}
			if !held[ref] {
				t.Errorf("%s: %s refers to /%s, which the store does not hold", when, key, ref)
			}
		}
	}
}

// TestInterrupted stops a deploy from A to B after every possible number
// of operations, checks after each operation that no page in the store
// refers to an asset it lacks, then runs the deploy again: the store
// equals B.
func TestInterrupted(t *testing.T) {
	total := 0
	{
		b := fileBucket(t)
		mustDeploy(t, b, siteA(), Options{})
		total = len(mustDeploy(t, b, siteB(), Options{DryRun: true}).Plan.Changes)
	}
	for k := 1; k < total; k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			b := fileBucket(t)
			mustDeploy(t, b, siteA(), Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			_, err := ToBucket(ctx, b, siteB(), Options{From: "public", To: "file://store", MaxDeletes: -1, Workers: 3,
				Progress: func(p Progress) {
					mu.Lock()
					defer mu.Unlock()
					checkNoMissingAssets(t, b, fmt.Sprintf("after %d operations", p.Done))
					if p.Done == k {
						cancel()
					}
				}})
			var de *Error
			if !errors.As(err, &de) || !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted deploy: err = %v, want a deploy.Error wrapping context.Canceled", err)
			}
			if !strings.Contains(err.Error(), "部署被中断") {
				t.Errorf("message %q does not say the deploy was interrupted", err)
			}
			checkNoMissingAssets(t, b, "after the interruption")
			res := mustDeploy(t, b, siteB(), Options{})
			if res.Uploaded+res.Deleted > total-k {
				t.Errorf("re-run did %d operations, more than the %d left", res.Uploaded+res.Deleted, total-k)
			}
			storeEquals(t, b, siteB())
		})
	}
}

// TestFailedObjectNamed: a failed upload names the object under the
// store's URL as the operator wrote it ("s3://site/…", not "s3:/site/…").
func TestFailedObjectNamed(t *testing.T) {
	err := opErr(Options{To: "s3://site"}, Change{Key: "data/documents.json", Op: Add}, errors.New("InternalError"))
	var de *Error
	if !errors.As(err, &de) || len(de.Diagnostics) != 1 {
		t.Fatalf("opErr: %v", err)
	}
	if got := de.Diagnostics[0].Pos.File; got != "s3://site/data/documents.json" {
		t.Errorf("position %q, want s3://site/data/documents.json", got)
	}
	if !strings.Contains(err.Error(), "s3://site/data/documents.json") {
		t.Errorf("message %q does not name s3://site/data/documents.json", err)
	}
}
