// Command verifier is the service anyone reaches by scanning the QR code
// of a certificate. It serves the verdicts of package verifier over a
// registry directory written by "qualbridge issue" and "qualbridge
// revoke", and reloads it when it changes or on SIGHUP.
//
// Usage:
//
//	verifier -registry DIR [-addr 127.0.0.1:8089] [-base-url https://verify.example.org]
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
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/qualbridge/qualbridge/verifier"
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
	addr, registry, baseURL  string
	scanLimit, lookupLimit   int
	trustedProxies           string
	logFormat, logLevel      string
	debounce, readHeader     time.Duration
	readTimeout, writeTimout time.Duration
	idleTimeout, shutdown    time.Duration
	memoryMB                 int
	procs                    int
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
	fs.StringVar(&o.registry, "registry", env("VERIFIER_REGISTRY", ""), "registry directory written by qualbridge issue (VERIFIER_REGISTRY)")
	fs.StringVar(&o.baseURL, "base-url", env("VERIFIER_BASE_URL", ""), "public address printed in the QR codes, shown on every page (VERIFIER_BASE_URL)")
	fs.IntVar(&o.scanLimit, "scan-limit", envInt("VERIFIER_SCAN_LIMIT", 120), "verifications per minute per client address, 0 for none (VERIFIER_SCAN_LIMIT)")
	fs.IntVar(&o.lookupLimit, "lookup-limit", envInt("VERIFIER_LOOKUP_LIMIT", 5), "manual lookups per minute per client address, 0 for none (VERIFIER_LOOKUP_LIMIT)")
	fs.StringVar(&o.trustedProxies, "trusted-proxies", env("VERIFIER_TRUSTED_PROXIES", ""), "comma-separated CIDRs of proxies whose X-Forwarded-For is believed (VERIFIER_TRUSTED_PROXIES)")
	fs.StringVar(&o.logFormat, "log-format", env("VERIFIER_LOG_FORMAT", "json"), "log format: json or text (VERIFIER_LOG_FORMAT)")
	fs.StringVar(&o.logLevel, "log-level", env("VERIFIER_LOG_LEVEL", "info"), "log level: debug, info, warn or error (VERIFIER_LOG_LEVEL)")
	fs.DurationVar(&o.debounce, "debounce", envDur("VERIFIER_DEBOUNCE", 300*time.Millisecond), "quiet time after a registry change before reloading (VERIFIER_DEBOUNCE)")
	fs.DurationVar(&o.readHeader, "read-header-timeout", envDur("VERIFIER_READ_HEADER_TIMEOUT", 5*time.Second), "time allowed to send the request headers")
	fs.DurationVar(&o.readTimeout, "read-timeout", envDur("VERIFIER_READ_TIMEOUT", 10*time.Second), "time allowed to send the whole request")
	fs.DurationVar(&o.writeTimout, "write-timeout", envDur("VERIFIER_WRITE_TIMEOUT", 10*time.Second), "time allowed to write the answer")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", envDur("VERIFIER_IDLE_TIMEOUT", 60*time.Second), "keep-alive time between requests")
	fs.DurationVar(&o.shutdown, "shutdown-timeout", envDur("VERIFIER_SHUTDOWN_TIMEOUT", 15*time.Second), "time allowed for requests in flight at shutdown")
	fs.IntVar(&o.memoryMB, "memory-limit", envInt("VERIFIER_MEMORY_LIMIT", 240), "soft memory limit in MiB for the Go runtime, 0 for none; ignored when GOMEMLIMIT is set (VERIFIER_MEMORY_LIMIT)")
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
	if o.registry == "" {
		fmt.Fprintln(stderr, "verifier: no registry directory")
		fmt.Fprintln(stderr, "verifier: hint: pass -registry DIR or set VERIFIER_REGISTRY (make demo writes demo/out/registry)")
		return nil, errUsage
	}
	if o.logFormat != "json" && o.logFormat != "text" {
		return nil, usage("-log-format must be json or text, not %q", o.logFormat)
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
	if st, err := os.Stat(o.registry); err != nil || !st.IsDir() {
		return fmt.Errorf("registry %s is not a directory", o.registry)
	}

	// The snapshot and the memo of verified records are long-lived (about
	// 58 MB for 100,000 certificates, laid out so that the collector does
	// not scan it) and every answer allocates a little: a soft memory
	// limit lets the runtime collect rarely and keeps RSS bounded
	// (measured: 235 MB peak RSS for 100,000 certificates under load, a
	// collection every ~0.6 s taking ~4 ms). GOGC and GOMEMLIMIT in the
	// environment still win.
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

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := verifier.NewMetrics(reg)
	store := &verifier.Store{}
	reloader := verifier.NewReloader(o.registry, store, log, metrics, time.Now)

	// A registry that does not load at start is no reason to stop: the
	// service answers 503 "cannot verify now" (and /readyz 503) until a
	// good registry appears, which the watcher or SIGHUP then loads.
	reloader.Reload("start")

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
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
	}, store, metrics, reg)
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
	watched, err := reloader.Watch(watchCtx, o.debounce, hup)
	if err != nil {
		// SIGHUP still reloads.
		log.Warn("not watching the registry for changes", "err", err)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "base_url", baseURL)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())

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

// baseProcs is the runtime's own GOMAXPROCS (the CPUs this process may
// use, cgroup limits included) as it was before run changed it: run may
// be called more than once in a process (by tests).
var baseProcs = sync.OnceValue(func() int { return runtime.GOMAXPROCS(0) })
