// Command verifier is the verifier's load benchmark (make bench-verifier).
//
// It publishes a TEST-ONLY snapshot of 100,000 certificates (keys from
// fixed seeds, synthetic holders; each with a token copy and a lookup
// copy, the lookup copies of all but a few being random stand-ins, as
// an argon2id each would take an hour to make) into a temporary
// directory, builds and starts cmd/verifier on it pinned to its root
// (timing start-up, which hashes every record, to the first /readyz
// 200), starts a bare net/http handler that returns a fixed JSON body,
// and drives both from wrk on loopback with 64 connections, for the JSON
// answer (/api/v1/verify/{token}) and the HTML page (/c/{token}) of
// random valid certificates. It then times manual lookups by the CPU
// the verifier spends on them. It prints requests/s of each and their
// ratio to the bare handler, p50/p99 latency, start-up time, the
// verifier's peak RSS and the CPU of one lookup, against the targets of
// issue 13.
//
// Every request loop is bounded (wrk -d) and every address is loopback.
//
// Output rules: the report goes to stdout; progress and diagnostics go
// to stderr, prefixed "bench-verifier: ", lowercase, no final period.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/registrytest"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-verifier: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	n           int
	lookups     int
	duration    time.Duration
	conns       int
	threads     int
	bin         string
	keep        bool
	logLevel    string
	workdirRoot string
	cpuProfile  string
	source      string
	poll        time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := options{}
	fs := flag.NewFlagSet("bench-verifier", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 100000, "certificates in the registry")
	fs.IntVar(&o.lookups, "lookups", 20, "certificates with a real lookup copy (the rest get random stand-ins)")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "duration of each wrk run")
	fs.IntVar(&o.conns, "c", 64, "wrk connections")
	fs.IntVar(&o.threads, "t", 2, "wrk threads")
	fs.StringVar(&o.bin, "bin", "", "verifier binary (default: go build ./cmd/verifier)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	fs.StringVar(&o.logLevel, "log-level", "info", "the verifier's -log-level (its logs go to the temporary directory)")
	fs.StringVar(&o.workdirRoot, "tmp", "", "parent of the temporary directory")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "have the verifier write a CPU profile of its run to this file")
	fs.StringVar(&o.source, "source", "folder", "folder: the verifier reads -snapshot DIR; store: it follows -snapshot file://DIR (mirrored into its cache, the head's attributes polled)")
	fs.DurationVar(&o.poll, "poll", 5*time.Second, "the verifier's -poll")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.source != "folder" && o.source != "store" {
		return fmt.Errorf("-source must be folder or store, not %q", o.source)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench-verifier: "+format+"\n", a...) }
	if _, err := exec.LookPath("wrk"); err != nil {
		logf("hint: apt-get install wrk")
		return errors.New("wrk not found")
	}
	work, err := os.MkdirTemp(o.workdirRoot, "bench-verifier-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("keeping %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	if o.bin == "" {
		o.bin = filepath.Join(work, "verifier")
		logf("building cmd/verifier")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", o.bin, "./cmd/verifier")
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}

	dir := filepath.Join(work, "snapshot")
	logf("signing and sealing %d TEST-ONLY certificates on %d cores", o.n, runtime.GOMAXPROCS(0))
	start := time.Now()
	sn, err := writeSnapshot(work, dir, o.n, o.lookups)
	if err != nil {
		return err
	}
	tokens := sn.tokens
	genTime := time.Since(start)
	size := dirSize(dir)
	logf("snapshot published in %v (%.1f MB)", genTime.Round(time.Millisecond), float64(size)/1e6)

	// The verifier, as a separate process so that its RSS is its own.
	logFile, err := os.Create(filepath.Join(work, "verifier.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	vctx, stopVerifier := context.WithCancel(ctx)
	defer stopVerifier()
	snapArg := dir
	if o.source == "store" {
		// The folder as a file:// store: the same layout, read through
		// gocloud.dev/blob into the verifier's cache, polled every -poll.
		snapArg = "file://" + filepath.ToSlash(dir)
	}
	cmd := exec.CommandContext(vctx, o.bin, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-poll", o.poll.String(),
		"-snapshot", snapArg, "-trust-root", sn.pin, "-state", filepath.Join(work, "state"), "-lookup-pepper", sn.pepper,
		"-scan-limit", "0", "-lookup-limit", "0", "-log-level", o.logLevel)
	if o.cpuProfile != "" {
		cmd.Args = append(cmd.Args, "-cpuprofile", o.cpuProfile)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	start = time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	// Stop the verifier before waiting for it: deferred calls run last
	// first, so a bare "defer cmd.Wait()" would wait forever.
	defer func() {
		stopVerifier()
		cmd.Wait()
	}()
	rd := bufio.NewReader(out)
	line, err := rd.ReadString('\n')
	if err != nil {
		return fmt.Errorf("verifier did not start: %v (see %s)", err, logFile.Name())
	}
	base := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	line, err = rd.ReadString('\n')
	if err != nil {
		return fmt.Errorf("verifier did not start: %v (see %s)", err, logFile.Name())
	}
	admin := strings.TrimSpace(strings.TrimPrefix(line, "admin on "))
	if err := waitReady(ctx, admin+"/readyz", 30*time.Second); err != nil {
		return err
	}
	startup := time.Since(start)
	startupCPU := procCPU(cmd.Process.Pid)
	logf("verifier ready at %s after %v", base, startup.Round(time.Millisecond))

	// The bare handler returns the verifier's own JSON answer for one
	// token, so both send the same bytes and the ratio measures the
	// service's work alone.
	fixed, err := get(base + "/api/v1/verify/" + string(tokens[0]))
	if err != nil {
		return err
	}
	// The bare handler runs with as many scheduler threads as the
	// verifier chose (cmd/verifier's -procs), so that neither gets a
	// larger share of the CPUs than the other against wrk.
	procs := int(metric(admin, "go_sched_gomaxprocs_threads"))
	if procs > 0 {
		runtime.GOMAXPROCS(procs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(fixed)
	})}
	go bare.Serve(ln)
	defer bare.Close()
	bareBase := "http://" + ln.Addr().String()

	// The first answer for a token pays its signature check and its
	// rendering; later ones are memoised. Measure that cold pass once,
	// then load the memo fully so the wrk runs measure the steady state.
	logf("cold pass: every token once, JSON then HTML")
	coldJSON, err := pass(ctx, base+"/api/v1/verify/", tokens)
	if err != nil {
		return err
	}
	coldHTML, err := pass(ctx, base+"/c/", tokens)
	if err != nil {
		return err
	}

	script := filepath.Join(work, "tokens.lua")
	if err := writeScript(script, filepath.Join(work, "tokens.txt"), tokens); err != nil {
		return err
	}
	type runResult struct {
		name string
		wrkResult
		cpuPerReq time.Duration // the server's CPU per answer
	}
	var results []runResult
	for _, r := range []struct{ name, url, prefix string }{
		{"bare net/http (fixed JSON)", bareBase, "/bare/"},
		{"verifier JSON /api/v1/verify/{token}", base, "/api/v1/verify/"},
		{"verifier HTML /c/{token}", base, "/c/"},
	} {
		logf("wrk -t%d -c%d -d%v: %s", o.threads, o.conns, o.duration, r.name)
		// The server's CPU during the run: the bare handler is this
		// process (nothing else runs in it meanwhile), the verifier its
		// own. CPU per answer holds up on a machine shared with other
		// work, where requests/s alone measure the neighbours too.
		cpu0, self0 := procCPU(cmd.Process.Pid), selfCPU()
		res, err := runWrk(ctx, o, script, r.url, r.prefix)
		if err != nil {
			return err
		}
		used := procCPU(cmd.Process.Pid) - cpu0
		if r.prefix == "/bare/" {
			used = selfCPU() - self0
		}
		total := res.rps * o.duration.Seconds()
		results = append(results, runResult{r.name, res, time.Duration(float64(used) / max(total, 1))})
	}
	hwm, rss := procMem(cmd.Process.Pid)
	heap := metric(admin, "go_memstats_heap_inuse_bytes")

	// Manual lookups, one at a time: the verifier's CPU per lookup. The
	// wrk runs leave the collector and the scavenger work to finish (a
	// few ms of CPU per lookup if measured at once); one lookup and a
	// pause let it settle, so that the figure is the lookup's own. Each
	// lookup is paired with the bare KDF run here, in this process, at
	// the same moment: on a shared machine both slow down alike, and the
	// difference is what a lookup costs outside argon2id.
	logf("%d manual lookups", len(sn.lookups))
	if len(sn.lookups) == 0 {
		return errors.New("no lookups to time (-lookups 0)")
	}
	lookup := func(l seal.Lookup) error {
		res, err := http.PostForm(base+"/lookup", url.Values{"number": {l.Number}, "name": {l.Name}, "id": {l.IDNumber}})
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return fmt.Errorf("lookup: %s, want 200 (valid)", res.Status)
		}
		return nil
	}
	if err := lookup(sn.lookups[0]); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	var lookupCPU, kdfCPU, lookupWall time.Duration
	for _, l := range sn.lookups {
		self0 := selfCPU()
		if _, _, err := seal.LookupKeys(l, trusttest.Pepper(), seal.DefaultParams()); err != nil {
			return err
		}
		cpu0, self1, start := procCPU(cmd.Process.Pid), selfCPU(), time.Now()
		if err := lookup(l); err != nil {
			return err
		}
		lookupWall += time.Since(start)
		lookupCPU += procCPU(cmd.Process.Pid) - cpu0
		kdfCPU += self1 - self0
	}
	n := time.Duration(len(sn.lookups))
	lookupCPU, kdfCPU, lookupWall = lookupCPU/n, kdfCPU/n, lookupWall/n

	w := stdout
	var polls float64
	for _, r := range []string{"changed", "unchanged", "error"} {
		polls += metric(admin, `verifier_snapshot_polls_total{result="`+r+`"}`)
	}
	fmt.Fprintf(w, "verifier benchmark: %d certificates, wrk -t%d -c%d -d%v on loopback, %d cores, GOMAXPROCS %d in both servers\n", o.n, o.threads, o.conns, o.duration, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "snapshot source: %s (-snapshot %s), -poll %v, %.0f store polls during the run\n\n", o.source, snapArg, o.poll, polls)
	fmt.Fprintf(w, "%-40s %12s %8s %10s %10s %8s %12s %9s\n", "run", "requests/s", "ratio", "p50", "p99", "errors", "CPU/answer", "CPU ratio")
	bareRPS := results[0].rps
	for _, r := range results {
		fmt.Fprintf(w, "%-40s %12.0f %8.2f %10v %10v %8d %12v %9.2f\n", r.name, r.rps, r.rps/bareRPS, r.p50, r.p99, r.errors,
			r.cpuPerReq, float64(results[0].cpuPerReq)/float64(max(r.cpuPerReq, 1)))
	}
	fmt.Fprintf(w, "\n%-40s %12.0f   (%v; includes the signature check of every token)\n", "cold pass JSON, 8 clients", coldJSON.rps, coldJSON.took.Round(time.Millisecond))
	fmt.Fprintf(w, "%-40s %12.0f   (%v; first rendering of every page)\n", "cold pass HTML, 8 clients", coldHTML.rps, coldHTML.took.Round(time.Millisecond))
	fmt.Fprintf(w, "\nsnapshot: %d sealed records, signed, sealed and published in %v, %.1f MB on disk\n", 2*o.n, genTime.Round(time.Millisecond), float64(size)/1e6)
	fmt.Fprintf(w, "start-up to /readyz 200 (every record hashed against the head): %v, %v of CPU\n", startup.Round(time.Millisecond), startupCPU)
	fmt.Fprintf(w, "verifier memory: peak RSS (VmHWM) %.0f MB, RSS now %.0f MB, Go heap in use %.0f MB\n", float64(hwm)/1024, float64(rss)/1024, heap/1e6)
	fmt.Fprintf(w, "manual lookup (argon2id t=%d m=%d KiB p=%d): %v CPU, %v wall each; the bare KDF meanwhile %v CPU\n\n",
		seal.DefaultParams().Time, seal.DefaultParams().Memory, seal.DefaultParams().Threads, lookupCPU.Round(100*time.Microsecond),
		lookupWall.Round(100*time.Microsecond), kdfCPU.Round(100*time.Microsecond))

	jsonRatio, htmlRatio := results[1].rps/bareRPS, results[2].rps/bareRPS
	p99 := max(results[1].p99, results[2].p99)
	check := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "targets:\n")
	fmt.Fprintf(w, "  JSON >= 0.60 x bare     %.2f  %s (CPU ratio %.2f)\n", jsonRatio, check(jsonRatio >= 0.6),
		float64(results[0].cpuPerReq)/float64(max(results[1].cpuPerReq, 1)))
	fmt.Fprintf(w, "  HTML >= 0.40 x bare     %.2f  %s (CPU ratio %.2f)\n", htmlRatio, check(htmlRatio >= 0.4),
		float64(results[0].cpuPerReq)/float64(max(results[2].cpuPerReq, 1)))
	fmt.Fprintf(w, "  p99 <= 20 ms            %v  %s\n", p99, check(p99 <= 20*time.Millisecond))
	fmt.Fprintf(w, "  start-up <= 1 s         %v  %s\n", startup.Round(time.Millisecond), check(startup <= time.Second))
	fmt.Fprintf(w, "  RSS <= 200 MB           %.0f MB  %s\n", float64(hwm)/1024, check(hwm <= 200*1024))
	fmt.Fprintf(w, "  lookup <= 30 ms CPU     %v  %s\n", lookupCPU.Round(100*time.Microsecond), check(lookupCPU <= 30*time.Millisecond))
	return nil
}

// selfCPU is the user and system CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the user and system CPU time pid has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// snapshot is a published TEST-ONLY snapshot.
type snapshot struct {
	tokens      []record.Token
	lookups     []seal.Lookup // triples with a real lookup copy
	pin, pepper string        // trust-root.pub and the pepper file
}

// writeSnapshot publishes a TEST-ONLY snapshot of n certificates into
// dir, signed and sealed in parallel: a token copy each, a real lookup
// copy for the first lookups and a random stand-in for the rest.
func writeSnapshot(work, dir string, n, lookups int) (*snapshot, error) {
	b := trusttest.New("bench")
	signer := record.NewSigner(b.Signing)
	signedAt := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	issued := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	objs := make([]trust.Object, 2*n)
	sn := &snapshot{tokens: make([]record.Token, n)}
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() {
			for i := w; i < n; i += len(errs) {
				errs[w] = func() error {
					tok, err := record.NewToken(rand.Reader)
					if err != nil {
						return err
					}
					h := trusttest.Holder{Name: registrytest.Synthetic(i).Name, IDNumber: fmt.Sprintf("%08d", 90000000+i), BirthYear: 1970 + i%30}
					c := trusttest.Cert(fmt.Sprintf("TEST%018d", i), h, issued)
					loc, key, err := seal.TokenKeys(tok)
					if err != nil {
						return err
					}
					c.Locator = loc
					env, err := signer.SignCertificate(&c, signedAt)
					if err != nil {
						return err
					}
					sealed, err := seal.Seal(rand.Reader, key, loc, seal.ByToken, 1, env)
					if err != nil {
						return err
					}
					objs[2*i] = trust.Object{Locator: loc, Kind: seal.ByToken, Generation: 1, Sealed: sealed}
					lo := trust.Object{Kind: seal.ByLookup, Generation: 1, Sealed: make([]byte, seal.SealedSize)}
					if i < lookups {
						l, err := seal.Normalize(c.Number, h.Name, h.IDNumber)
						if err != nil {
							return err
						}
						lloc, lkey, err := seal.LookupKeys(l, trusttest.Pepper(), seal.DefaultParams())
						if err != nil {
							return err
						}
						if lo.Sealed, err = seal.Seal(rand.Reader, lkey, lloc, seal.ByLookup, 1, env); err != nil {
							return err
						}
						lo.Locator = lloc
					} else {
						rand.Read(lo.Locator[:])
						rand.Read(lo.Sealed)
					}
					objs[2*i+1] = lo
					sn.tokens[i] = tok
					return nil
				}()
				if errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := range min(lookups, n) {
		h := trusttest.Holder{Name: registrytest.Synthetic(i).Name, IDNumber: fmt.Sprintf("%08d", 90000000+i)}
		sn.lookups = append(sn.lookups, seal.Lookup{Number: fmt.Sprintf("TEST%018d", i), Name: h.Name, IDNumber: h.IDNumber})
	}
	b.Records = objs
	if _, err := b.Publish(dir, time.Now(), 7*24*time.Hour); err != nil {
		return nil, err
	}
	var err error
	if sn.pin, err = b.PinFile(work); err != nil {
		return nil, err
	}
	pt, _ := trusttest.Pepper().MarshalText()
	sn.pepper = filepath.Join(work, "pepper")
	return sn, os.WriteFile(sn.pepper, pt, 0o600)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func waitReady(ctx context.Context, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %v", url, limit)
}

func get(url string) ([]byte, error) {
	res, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return io.ReadAll(res.Body)
}

type passResult struct {
	took time.Duration
	rps  float64
}

// pass fetches every token once from 8 clients and checks each is valid.
func pass(ctx context.Context, prefix string, tokens []record.Token) (passResult, error) {
	start := time.Now()
	const clients = 8
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for i := c; i < len(tokens) && ctx.Err() == nil; i += clients {
				res, err := client.Get(prefix + string(tokens[i]))
				if err != nil {
					errs[c] = err
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					errs[c] = fmt.Errorf("GET %s…: %s, want 200 (valid)", prefix, res.Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	return passResult{took, float64(len(tokens)) / took.Seconds()}, errors.Join(errs...)
}

// writeScript writes the wrk script that requests prefix + a random token.
func writeScript(script, list string, tokens []record.Token) error {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString(string(t) + "\n")
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		return err
	}
	lua := `-- generated by bench/verifier: GET prefix .. a random token
local tokens = {}
for line in io.lines(%q) do tokens[#tokens + 1] = line end
local prefix = os.getenv("BENCH_PREFIX")
local counter = 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init(args) math.randomseed(seed * 7919) end
function request() return wrk.format("GET", prefix .. tokens[math.random(#tokens)]) end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH rps=%%f p50=%%d p99=%%d errors=%%d non2xx=%%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`
	return os.WriteFile(script, []byte(fmt.Sprintf(lua, list)), 0o644)
}

type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int
}

var benchLine = regexp.MustCompile(`BENCH rps=([0-9.]+) p50=(\d+) p99=(\d+) errors=(\d+) non2xx=(\d+)`)

func runWrk(ctx context.Context, o options, script, url, prefix string) (wrkResult, error) {
	cmd := exec.CommandContext(ctx, "wrk", "-t"+strconv.Itoa(o.threads), "-c"+strconv.Itoa(o.conns),
		"-d"+strconv.Itoa(int(o.duration.Seconds()))+"s", "--timeout", "5s", "-s", script, url)
	cmd.Env = append(os.Environ(), "BENCH_PREFIX="+prefix)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	m := benchLine.FindStringSubmatch(string(out))
	if m == nil {
		return wrkResult{}, fmt.Errorf("wrk printed no result:\n%s", out)
	}
	var r wrkResult
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	p50, _ := strconv.Atoi(m[2])
	p99, _ := strconv.Atoi(m[3])
	r.p50, r.p99 = time.Duration(p50)*time.Microsecond, time.Duration(p99)*time.Microsecond
	e1, _ := strconv.Atoi(m[4])
	e2, _ := strconv.Atoi(m[5])
	r.errors = e1 + e2
	return r, nil
}

// metric reads one unlabelled sample from the verifier's /metrics; 0
// when it is missing.
func metric(base, name string) float64 {
	b, err := get(base + "/metrics")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// procMem returns the peak and current resident set of pid, in KiB.
func procMem(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			switch f[0] {
			case "VmHWM:":
				hwm, _ = strconv.ParseInt(f[1], 10, 64)
			case "VmRSS:":
				rss, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	return hwm, rss
}
