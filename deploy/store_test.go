package deploy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
)

// The integration tests run against a real S3-compatible store:
// SeaweedFS's "weed server -s3" (Apache-2.0), built by .ci/weed.sh at
// this version into the user's cache folder.
const weedVersion = "v0.0.0-20261109003541-7506e5f91cd6"

// Test-only credentials of the throwaway store each test starts.
const (
	testAccessKey = "TEST-ONLY-deployer"
	testSecretKey = "TEST-ONLY-secret-of-a-throwaway-store"
)

// weedBinary finds weed: $QUALBRIDGE_WEED, else where .ci/weed.sh puts
// it. Without it the test is skipped, except in CI, where it fails.
func weedBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("QUALBRIDGE_WEED"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	p := filepath.Join(cache, "qualbridge", "weed-"+weedVersion)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	msg := fmt.Sprintf("SeaweedFS's weed is not at %s: run .ci/weed.sh to build it (once; several minutes, more on a busy machine), or point QUALBRIDGE_WEED at one", p)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// store is a running SeaweedFS with one bucket.
type store struct {
	endpoint string // http://127.0.0.1:port, the S3 API
	bucket   string
}

// url is the gocloud.dev/blob URL of the bucket.
func (s store) url() string {
	return fmt.Sprintf("s3://%s?endpoint=%s&region=us-east-1&use_path_style=true", s.bucket, s.endpoint)
}

func (s store) open(t testing.TB) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), s.url())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// freePorts returns n ports free on the loopback interface just now.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startStore starts SeaweedFS (master, volume, filer and S3 gateway in
// one process) on free ports with its data in a temp dir, and sets the
// credentials the AWS SDK reads. Anonymous clients may read, as a CDN in
// front of a bucket would.
func startStore(t testing.TB) *server {
	t.Helper()
	bin := weedBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "s3.json")
	err := os.WriteFile(cfg, []byte(`{"identities": [
	{"name": "anonymous", "actions": ["Read"]},
	{"name": "deployer", "credentials": [{"accessKey": "`+testAccessKey+`", "secretKey": "`+testSecretKey+`"}],
	 "actions": ["Admin", "Read", "List", "Tagging", "Write"]}
]}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	p := freePorts(t, 8)
	logf, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	cmd := exec.Command(bin, "server", "-dir="+data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		fmt.Sprintf("-master.port=%d", p[0]), fmt.Sprintf("-master.port.grpc=%d", p[1]),
		fmt.Sprintf("-volume.port=%d", p[2]), fmt.Sprintf("-volume.port.grpc=%d", p[3]),
		"-filer", fmt.Sprintf("-filer.port=%d", p[4]), fmt.Sprintf("-filer.port.grpc=%d", p[5]),
		"-filer.localSocket="+filepath.Join(dir, "f.sock"),
		"-s3", fmt.Sprintf("-s3.port=%d", p[6]), fmt.Sprintf("-s3.port.grpc=%d", p[7]),
		"-s3.localSocket="+filepath.Join(dir, "s.sock"),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config="+cfg,
		"-master.telemetry=false", "-master.volumeSizeLimitMB=256", "-volume.max=16")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Killed outright: its data is a temp dir about to go, and weed
		// takes many seconds over a graceful stop.
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	srv := &server{endpoint: fmt.Sprintf("http://127.0.0.1:%d", p[6]), log: logf.Name(), cmd: cmd}
	srv.client = s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
	})
	return srv
}

// server is a running SeaweedFS.
type server struct {
	endpoint string
	client   *s3.Client
	log      string
	cmd      *exec.Cmd
}

// bucket creates a bucket and waits until it takes writes (the first
// start of the server takes some seconds to come up and grow volumes).
func (srv *server) bucket(t testing.TB, name string) store {
	t.Helper()
	s := store{endpoint: srv.endpoint, bucket: name}
	deadline := time.Now().Add(90 * time.Second)
	fatal := func(what string, err error) {
		log, _ := os.ReadFile(srv.log)
		t.Fatalf("SeaweedFS %s: %v\n%s", what, err, tail(string(log), 3000))
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := srv.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		cancel()
		if err == nil {
			break
		}
		if srv.cmd.ProcessState != nil || time.Now().After(deadline) {
			fatal("did not come up", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	b, err := blob.OpenBucket(context.Background(), s.url())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for {
		err := b.WriteAll(context.Background(), "probe", []byte("probe"), nil)
		if err == nil {
			b.Delete(context.Background(), "probe")
			return s
		}
		if time.Now().After(deadline) {
			fatal("takes no writes", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestStore runs deploys against a real S3-compatible store, one server
// for all, a bucket each.
func TestStore(t *testing.T) {
	srv := startStore(t)
	t.Run("Cycle", func(t *testing.T) { testStoreCycle(t, srv.bucket(t, "cycle")) })
	t.Run("Gzip", func(t *testing.T) { testStoreGzip(t, srv.bucket(t, "gzip")) })
	t.Run("Killed", func(t *testing.T) { testStoreKilled(t, srv.bucket(t, "killed")) })
}

// testStoreCycle: the listing's ETags settle a second deploy with no
// upload, headers are what a CDN fetching from the bucket sees, a file
// larger than an upload part is still recognised as unchanged.
func testStoreCycle(t *testing.T, s store) {
	b := s.open(t)
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
		resp, err := http.Get(s.endpoint + "/" + s.bucket + "/" + tc.key)
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
	b := s.open(t)
	site := siteA()
	site["zh-hans/long/index.html"] = page("长页面", styleA, strings.Split(strings.Repeat("/zh-hans/about/ ", 100), " ")...)
	mustDeploy(t, b, site, Options{Gzip: true})
	if again := mustDeploy(t, b, site, Options{Gzip: true}); again.Uploaded != 0 {
		t.Errorf("second gzip deploy uploaded %v", keys(again.Plan))
	}
	req, _ := http.NewRequest("GET", s.endpoint+"/"+s.bucket+"/zh-hans/long/index.html", nil)
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
