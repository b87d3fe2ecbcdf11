// Command verifier is the service anyone reaches by scanning the QR code
// of a certificate. It serves the verdicts of package verifier over a
// verifier snapshot (package trust) checked against a pinned root, keeps
// its high-water marks in a state folder, and reloads the snapshot when
// it changes or on SIGHUP.
//
// Usage:
//
//	verifier -snapshot DIR|URL -trust-root FILE -state DIR [-lookup-pepper FILE]
//	         [-addr 127.0.0.1:8089] [-admin-addr 127.0.0.1:8090] [-base-url https://verify.example.org]
//	         [-poll 30s] [-cache DIR]
//
// -snapshot is a folder (qualbridge publish -out) or the URL of an object
// store (qualbridge publish -to; the URLs and credentials of qualbridge
// deploy). A store is mirrored into a cache folder (-cache, default
// STATE/mirror): every -poll the verifier asks for the head's ETag and
// fetches only a new head and the objects its cache lacks (package
// remote). Every replica polls on its own; none needs another.
//
// The public address serves scans, the manual lookup, assets and
// /healthz; the admin address (loopback by default) serves /readyz with
// the data's age and expiries, and /metrics.
//
// Every flag can also be set in the environment (VERIFIER_ADDR,
// VERIFIER_REGISTRY, …); a flag wins over its variable.
//
// Output rules: results go to stdout (one line, "listening on URL", once
// the port is bound); diagnostics go to stderr, prefixed "verifier: ",
// lowercase, no final period; the service's own logs are structured
// (log/slog) on stderr. Exit status 1 means the service failed, 2 that it
// was called wrongly.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	// The stores a verifier follows: s3:// (AWS, any S3-compatible store,
	// and Google Cloud Storage through its S3 API), azblob:// and
	// file://. Not gs://: its client costs every replica some 17 MB.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob"

	objstore "github.com/qualbridge/qualbridge/deploy/store"
	"github.com/qualbridge/qualbridge/verifier"
	"github.com/qualbridge/qualbridge/verifier/remote"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "verifier: %v\n", err)
		os.Exit(1)
	}
}

// errUsage marks an error in how the command was called (exit 2); the
// explanation is already on stderr.
var errUsage = errors.New("usage error")

// options are the command's settings, from flags over environment.
type options struct {
	addr, adminAddr, baseURL string
	snapshot, trustRoot      string
	state, pepper, cache     string
	lookupSlots              int
	maxLifetime, maxSkew     time.Duration
	poll                     time.Duration
	scanLimit, lookupLimit   int
	trustedProxies           string
	logFormat, logLevel      string
	debounce, readHeader     time.Duration
	readTimeout, writeTimout time.Duration
	idleTimeout, shutdown    time.Duration
	memoryMB                 int
	procs                    int
	cpuProfile               string
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(getenv(name)); err == nil {
			return v
		}
		return def
	}
	envDur := func(name string, def time.Duration) time.Duration {
		if v, err := time.ParseDuration(getenv(name)); err == nil {
			return v
		}
		return def
	}
	o := &options{}
	fs := flag.NewFlagSet("verifier", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", env("VERIFIER_ADDR", "127.0.0.1:8089"), "listen address (VERIFIER_ADDR); port 0 picks a free one")
	fs.StringVar(&o.adminAddr, "admin-addr", env("VERIFIER_ADMIN_ADDR", "127.0.0.1:8090"), "admin address for /readyz and /metrics (VERIFIER_ADMIN_ADDR); keep it loopback or internal")
	fs.StringVar(&o.snapshot, "snapshot", env("VERIFIER_SNAPSHOT", ""), "snapshot folder written by qualbridge publish -out, or the store URL of publish -to: s3://bucket?endpoint=…, gs://, azblob://, file:/// (VERIFIER_SNAPSHOT)")
	fs.StringVar(&o.cache, "cache", env("VERIFIER_CACHE", ""), "for a snapshot URL: the local copy of the store, default STATE/mirror (VERIFIER_CACHE)")
	fs.StringVar(&o.trustRoot, "trust-root", env("VERIFIER_TRUST_ROOT", ""), "the pinned trust-root.pub of the deployment (VERIFIER_TRUST_ROOT)")
	fs.StringVar(&o.state, "state", env("VERIFIER_STATE", ""), "folder for the high-water marks, kept across restarts (VERIFIER_STATE)")
	fs.StringVar(&o.pepper, "lookup-pepper", env("VERIFIER_LOOKUP_PEPPER", ""), "the manual lookup's pepper file; without it lookup answers 503 (VERIFIER_LOOKUP_PEPPER)")
	fs.IntVar(&o.lookupSlots, "lookup-slots", envInt("VERIFIER_LOOKUP_SLOTS", 2), "lookup KDFs at once; more answer 503 (VERIFIER_LOOKUP_SLOTS)")
	fs.DurationVar(&o.maxLifetime, "max-head-lifetime", envDur("VERIFIER_MAX_HEAD_LIFETIME", 31*24*time.Hour), "refuse heads living longer than this (VERIFIER_MAX_HEAD_LIFETIME)")
	fs.DurationVar(&o.maxSkew, "max-skew", envDur("VERIFIER_MAX_SKEW", 5*time.Minute), "refuse heads signed further in the future than this (VERIFIER_MAX_SKEW)")
	fs.DurationVar(&o.poll, "poll", envDur("VERIFIER_POLL", 30*time.Second), "how often to look for a new head (a folder's head file, a store's head ETag) and check freshness; 5s to 30s for a store (VERIFIER_POLL)")
	fs.StringVar(&o.baseURL, "base-url", env("VERIFIER_BASE_URL", ""), "public address printed in the QR codes, shown on every page (VERIFIER_BASE_URL)")
	fs.IntVar(&o.scanLimit, "scan-limit", envInt("VERIFIER_SCAN_LIMIT", 120), "verifications per minute per client address, 0 for none (VERIFIER_SCAN_LIMIT)")
	fs.IntVar(&o.lookupLimit, "lookup-limit", envInt("VERIFIER_LOOKUP_LIMIT", 5), "manual lookups per minute per client address, 0 for none (VERIFIER_LOOKUP_LIMIT)")
	fs.StringVar(&o.trustedProxies, "trusted-proxies", env("VERIFIER_TRUSTED_PROXIES", ""), "comma-separated CIDRs of proxies whose X-Forwarded-For is believed (VERIFIER_TRUSTED_PROXIES)")
	fs.StringVar(&o.logFormat, "log-format", env("VERIFIER_LOG_FORMAT", "json"), "log format: json or text (VERIFIER_LOG_FORMAT)")
	fs.StringVar(&o.logLevel, "log-level", env("VERIFIER_LOG_LEVEL", "info"), "log level: debug, info, warn or error (VERIFIER_LOG_LEVEL)")
	fs.DurationVar(&o.debounce, "debounce", envDur("VERIFIER_DEBOUNCE", 300*time.Millisecond), "quiet time after a snapshot change before reloading (VERIFIER_DEBOUNCE)")
	fs.DurationVar(&o.readHeader, "read-header-timeout", envDur("VERIFIER_READ_HEADER_TIMEOUT", 5*time.Second), "time allowed to send the request headers")
	fs.DurationVar(&o.readTimeout, "read-timeout", envDur("VERIFIER_READ_TIMEOUT", 10*time.Second), "time allowed to send the whole request")
	fs.DurationVar(&o.writeTimout, "write-timeout", envDur("VERIFIER_WRITE_TIMEOUT", 10*time.Second), "time allowed to write the answer")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", envDur("VERIFIER_IDLE_TIMEOUT", 60*time.Second), "keep-alive time between requests")
	fs.DurationVar(&o.shutdown, "shutdown-timeout", envDur("VERIFIER_SHUTDOWN_TIMEOUT", 15*time.Second), "time allowed for requests in flight at shutdown")
	fs.IntVar(&o.memoryMB, "memory-limit", envInt("VERIFIER_MEMORY_LIMIT", 180), "soft memory limit in MiB for the Go runtime, 0 for none; ignored when GOMEMLIMIT is set (VERIFIER_MEMORY_LIMIT)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (for tuning)")
	fs.IntVar(&o.procs, "procs", envInt("VERIFIER_PROCS", 0), "Go scheduler threads (GOMAXPROCS), 0 for twice the CPUs available; ignored when GOMAXPROCS is set (VERIFIER_PROCS)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, flag.ErrHelp
		}
		return nil, errUsage
	}
	usage := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "verifier: "+format+"\n", a...)
		return errUsage
	}
	if fs.NArg() > 0 {
		return nil, usage("unexpected argument %q", fs.Arg(0))
	}
	for _, req := range []struct{ val, flag, env, hint string }{
		{o.snapshot, "-snapshot DIR|URL", "VERIFIER_SNAPSHOT", "qualbridge publish -registry DIR -out SNAP (or -to URL) writes one"},
		{o.trustRoot, "-trust-root FILE", "VERIFIER_TRUST_ROOT", "qualbridge trust init writes REGISTRY/trust-root.pub"},
		{o.state, "-state DIR", "VERIFIER_STATE", "a folder of its own that survives restarts, e.g. /var/lib/qualbridge-verifier"},
	} {
		if req.val == "" {
			fmt.Fprintf(stderr, "verifier: missing %s\n", req.flag)
			fmt.Fprintf(stderr, "verifier: hint: pass %s or set %s (%s)\n", req.flag, req.env, req.hint)
			return nil, errUsage
		}
	}
	if o.logFormat != "json" && o.logFormat != "text" {
		return nil, usage("-log-format must be json or text, not %q", o.logFormat)
	}
	if o.poll <= 0 {
		return nil, usage("-poll must be positive, not %s", o.poll)
	}
	if o.cache != "" && !isURL(o.snapshot) {
		return nil, usage("-cache is for a snapshot URL; -snapshot %s is a folder", o.snapshot)
	}
	if o.scanLimit < 0 || o.lookupLimit < 0 {
		return nil, usage("rate limits must be 0 (none) or more")
	}
	return o, nil
}

func newLogger(o *options, stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, err
	}
	hopts := &slog.HandlerOptions{Level: level}
	if o.logFormat == "text" {
		return slog.New(slog.NewTextHandler(stderr, hopts)), nil
	}
	return slog.New(slog.NewJSONHandler(stderr, hopts)), nil
}

// logWriter buffers the service's log lines and flushes them every
// 200 ms and at exit. Writing each request's line with its own system
// call would cost a large share of a request at the target rates; the
// price is that a crash may lose the last 200 ms of logs.
type logWriter struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newLogWriter(w io.Writer) *logWriter { return &logWriter{w: bufio.NewWriterSize(w, 64<<10)} }

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Flush writes out what is buffered.
func (l *logWriter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Flush()
}

func (l *logWriter) flushEvery(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.Flush()
		}
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logOut := newLogWriter(stderr)
	defer logOut.Flush()
	go logOut.flushEvery(ctx, 200*time.Millisecond)
	log, err := newLogger(o, logOut)
	if err != nil {
		fmt.Fprintf(stderr, "verifier: -log-level: %v\n", err)
		return errUsage
	}
	pinBytes, err := os.ReadFile(o.trustRoot)
	if err != nil {
		return fmt.Errorf("trust root: %w", err)
	}
	pin, err := trust.ParsePin(pinBytes)
	if err != nil {
		return fmt.Errorf("trust root %s: %w", o.trustRoot, err)
	}
	var pepper *seal.Pepper
	if o.pepper != "" {
		b, err := os.ReadFile(o.pepper)
		if err != nil {
			return fmt.Errorf("lookup pepper: %w", err)
		}
		p, err := seal.ParsePepper(b)
		if err != nil {
			return fmt.Errorf("lookup pepper %s: %w", o.pepper, err)
		}
		pepper = &p
	}

	// The snapshot is long-lived (about 115 MB for 100,000 certificates
	// with their lookup copies, laid out so that the collector does not
	// scan it) and every answer allocates a little: a soft memory limit
	// lets the runtime collect rarely and keeps RSS bounded. GOGC and
	// GOMEMLIMIT in the environment still win.
	if o.memoryMB > 0 && getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(o.memoryMB) << 20)
		if getenv("GOGC") == "" {
			debug.SetGCPercent(400)
		}
	}
	// Twice as many scheduler threads as CPUs. The service shares its
	// machine (with the TLS proxy in front of it, in the benchmark with
	// the load generator), and when the kernel runs another process on
	// a CPU, the requests queued on that CPU's thread wait out the time
	// slice. With a spare thread per CPU another thread takes them over:
	// measured on 2 CPUs with 64 connections, p99 latency 10-12 ms instead
	// of 28-30 ms at the same or a higher rate. GOMAXPROCS still wins.
	if getenv("GOMAXPROCS") == "" {
		n := o.procs
		if n <= 0 {
			n = 2 * baseProcs()
		}
		runtime.GOMAXPROCS(n)
	}

	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := verifier.NewMetrics(reg)
	store := &verifier.Store{}
	dir := o.snapshot
	var follower *remote.Follower
	if isURL(o.snapshot) {
		// A store: mirrored into a cache folder, which the reloader
		// loads like any snapshot folder.
		b, err := objstore.Open(ctx, o.snapshot)
		if err != nil {
			if strings.HasPrefix(o.snapshot, "gs://") {
				fmt.Fprintln(stderr, "verifier: hint: the verifier reads Google Cloud Storage through its S3 API: -snapshot \"s3://BUCKET?endpoint=https://storage.googleapis.com&region=auto\" with an HMAC key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
			}
			return fmt.Errorf("-snapshot: %w", err)
		}
		defer b.Close()
		if dir = o.cache; dir == "" {
			dir = filepath.Join(o.state, "mirror")
		}
		m, err := remote.NewMirror(b, dir, pin, trust.Options{MaxSkew: o.maxSkew, MaxLifetime: o.maxLifetime}, log)
		if err != nil {
			return fmt.Errorf("snapshot cache: %w", err)
		}
		follower = &remote.Follower{Mirror: m, Store: store, Metrics: metrics, Log: log, URL: objstore.Redact(o.snapshot)}
	}
	reloader := verifier.NewReloader(verifier.ReloaderConfig{
		Dir: dir, StateDir: o.state, Pin: pin,
		Options: trust.Options{MaxSkew: o.maxSkew, MaxLifetime: o.maxLifetime},
	}, store, log, metrics)

	// A snapshot that does not load at start is no reason to stop: the
	// service answers 503 "cannot verify now" (and /readyz 503) until a
	// good snapshot appears, which the watcher, the store's poll or
	// SIGHUP then loads. Following a store, the cache from the last run
	// serves until the first poll (checked against the marks like any).
	if _, err := os.Stat(filepath.Join(dir, trust.HeadFile)); follower == nil || err == nil {
		reloader.Reload("start")
	} else {
		log.Info("no cached snapshot yet: not ready until the first poll reaches the store", "store", follower.URL, "cache", dir)
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	adminLn, err := net.Listen("tcp", o.adminAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("admin address: %w", err)
	}
	admin := &http.Server{
		Handler:           verifier.NewAdmin(store, reg, time.Now),
		ReadHeaderTimeout: o.readHeader,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go admin.Serve(adminLn)
	defer admin.Close()
	baseURL := o.baseURL
	if baseURL == "" {
		baseURL = "http://" + ln.Addr().String()
	}
	var proxies []string
	for _, p := range strings.Split(o.trustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			proxies = append(proxies, p)
		}
	}
	handler, err := verifier.NewServer(log, verifier.Config{
		BaseURL:        baseURL,
		ScanLimit:      o.scanLimit,
		LookupLimit:    o.lookupLimit,
		TrustedProxies: proxies,
		Pepper:         pepper,
		LookupSlots:    o.lookupSlots,
	}, store, metrics)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: o.readHeader,
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var watched <-chan struct{}
	if follower != nil {
		follower.Reloader = reloader
		done := make(chan struct{})
		go func() { defer close(done); follower.Run(watchCtx, o.poll, hup) }()
		watched = done
	} else if watched, err = reloader.Watch(watchCtx, o.debounce, o.poll, hup); err != nil {
		// SIGHUP still reloads.
		log.Warn("not watching the snapshot for changes", "err", err)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "admin_addr", adminLn.Addr().String(), "base_url", baseURL)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "admin on http://%s\n", adminLn.Addr())

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down, finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdown)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopWatch()
	if watched != nil {
		<-watched
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// isURL tells a store URL (scheme://…) from a folder.
func isURL(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	return ok && scheme != "" && !strings.ContainsAny(scheme, `/\.`)
}

// baseProcs is the runtime's own GOMAXPROCS (the CPUs this process may
// use, cgroup limits included) as it was before run changed it: run may
// be called more than once in a process (by tests).
var baseProcs = sync.OnceValue(func() int { return runtime.GOMAXPROCS(0) })
