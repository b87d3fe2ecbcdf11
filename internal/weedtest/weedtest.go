// Package weedtest runs a real S3-compatible store for integration tests:
// SeaweedFS's "weed server -s3" (Apache-2.0), built by .ci/weed.sh into
// the user's cache folder. Without the binary a test is skipped, except
// in CI (CI=true), where it fails.
package weedtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
)

// Version is the SeaweedFS module version .ci/weed.sh builds.
const Version = "v0.0.0-20261109003541-7506e5f91cd6"

// Test-only credentials of the throwaway store each test starts.
const (
	AccessKey = "TEST-ONLY-deployer"
	SecretKey = "TEST-ONLY-secret-of-a-throwaway-store"
)

// Binary finds weed: $QUALBRIDGE_WEED, else where .ci/weed.sh puts it.
// Without it the test is skipped, except in CI, where it fails.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("QUALBRIDGE_WEED"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	p := filepath.Join(cache, "qualbridge", "weed-"+Version)
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

// Bucket is one bucket of a running SeaweedFS.
type Bucket struct {
	Endpoint string // http://127.0.0.1:port, the S3 API
	Name     string
}

// URL is the gocloud.dev/blob URL of the bucket.
func (s Bucket) URL() string {
	return fmt.Sprintf("s3://%s?endpoint=%s&region=us-east-1&use_path_style=true", s.Name, s.Endpoint)
}

// Open opens the bucket, closed when t ends.
func (s Bucket) Open(t testing.TB) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), s.URL())
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

// Server is a SeaweedFS (master, volume, filer and S3 gateway in one
// process) on free ports with its data in a temp dir.
type Server struct {
	Endpoint string // the S3 API, known before Start
	Client   *s3.Client
	bin, dir string
	ports    []int
	log      string
	cmd      *exec.Cmd
}

// Start starts a server; see [New].
func Start(t testing.TB) *Server {
	srv := New(t)
	srv.Start(t)
	return srv
}

// New picks the ports of a server and sets the credentials the AWS SDK
// reads, without starting it: a test can point a client at Endpoint
// while nothing answers there. Anonymous clients may read, as a CDN in
// front of a bucket would.
func New(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-aws-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-aws-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	p := freePorts(t, 8)
	srv := &Server{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", p[6]), bin: bin, dir: dir, ports: p}
	srv.Client = s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
	return srv
}

// Start starts the server; it is killed when t ends.
func (srv *Server) Start(t testing.TB) {
	t.Helper()
	dir, p := srv.dir, srv.ports
	cfg := filepath.Join(dir, "s3.json")
	err := os.WriteFile(cfg, []byte(`{"identities": [
	{"name": "anonymous", "actions": ["Read"]},
	{"name": "deployer", "credentials": [{"accessKey": "`+AccessKey+`", "secretKey": "`+SecretKey+`"}],
	 "actions": ["Admin", "Read", "List", "Tagging", "Write"]}
]}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	cmd := exec.Command(srv.bin, "server", "-dir="+data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
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
	srv.log, srv.cmd = logf.Name(), cmd
	t.Cleanup(func() {
		srv.Stop()
		logf.Close()
	})
}

// Stop kills the server outright (its data is a temp dir about to go, and
// weed takes many seconds over a graceful stop): the store is unreachable.
func (srv *Server) Stop() {
	if srv.cmd != nil && srv.cmd.ProcessState == nil {
		srv.cmd.Process.Kill()
		srv.cmd.Wait()
	}
}

// Bucket creates a bucket and waits until it takes writes (the first
// start of the server takes some seconds to come up and grow volumes).
func (srv *Server) Bucket(t testing.TB, name string) Bucket {
	t.Helper()
	s := Bucket{Endpoint: srv.Endpoint, Name: name}
	deadline := time.Now().Add(90 * time.Second)
	fatal := func(what string, err error) {
		log, _ := os.ReadFile(srv.log)
		t.Fatalf("SeaweedFS %s: %v\n%s", what, err, tail(string(log), 3000))
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := srv.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		cancel()
		if err == nil {
			break
		}
		if srv.cmd.ProcessState != nil || time.Now().After(deadline) {
			fatal("did not come up", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	b, err := blob.OpenBucket(context.Background(), s.URL())
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
