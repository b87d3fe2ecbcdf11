package main

import (
	"bufio"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWalkthrough is issue 13's "Done when", as demo/README.md walks it,
// through the two commands: qualbridge makes a root of trust and a key,
// issues a batch and publishes it; cmd/verifier, pinned to the root,
// answers valid for a scanned code; a revocation published later is
// answered revoked without a restart; the older snapshot put back is
// refused (still revoked), across a restart too; a snapshot under
// another root is refused.
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/verifier")
	}
	dir := t.TempDir()
	verifierBin := filepath.Join(dir, "verifier")
	if out, err := exec.Command("go", "build", "-o", verifierBin, "../verifier").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/verifier: %v\n%s", err, out)
	}
	batch := filepath.Join(dir, "batch.csv")
	if err := os.WriteFile(batch, []byte(fictionalBatch(3)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The centre: root, keys, the batch, the snapshot.
	centre := func(name string) (reg, snap, signing, ts string) {
		d := filepath.Join(dir, name)
		reg, snap, signing, ts = filepath.Join(d, "registry"), filepath.Join(d, "snapshot"), filepath.Join(d, "TEST-signing.age"), filepath.Join(d, "TEST-timestamp.age")
		mustQB(t, "trust", "init", "-registry", reg, "-root-key", filepath.Join(d, "TEST-root.age"), "-timestamp-key", ts,
			"-pepper-out", filepath.Join(d, "pepper"), "-scrypt-work-factor", "10")
		mustQB(t, "keygen", "-registry", reg, "-key", signing, "-root-key", filepath.Join(d, "TEST-root.age"), "-scrypt-work-factor", "10")
		mustQB(t, "issue", "-registry", reg, "-key", signing, "-recipient", testRecipient, "-catalog", testCatalog,
			"-out", filepath.Join(d, "print"), "-date", "2025-12-31", "-verifier", "http://127.0.0.1:8089", batch)
		mustQB(t, "publish", "-registry", reg, "-timestamp-key", ts, "-out", snap)
		return
	}
	reg, snap, signing, ts := centre("centre")
	if out := mustQB(t, "registry", "check", "-registry", reg); !strings.Contains(out, "登记库完好：3 份证书") {
		t.Fatalf("registry check: %s", out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "centre", "print", "*.png"))
	if len(pngs) != 3 {
		t.Fatalf("%d QR codes printed, want 3", len(pngs))
	}
	url := decodeQR(t, pngs[0])
	_, path, ok := strings.Cut(url, "127.0.0.1:8089")
	if !ok || !strings.HasPrefix(path, "/c/") {
		t.Fatalf("QR code holds %q", url)
	}
	number := strings.TrimSuffix(filepath.Base(pngs[0]), ".png")

	state := filepath.Join(dir, "verifier-state")
	v := startVerifier(t, verifierBin, snap, filepath.Join(reg, "trust-root.pub"), state)
	if got := v.outcome(t, path); got != "valid" {
		t.Fatalf("scan: %s, want valid", got)
	}
	// Manual lookup by the printed number, full name and document number
	// (the first fictional row), with the pepper trust init wrote.
	if got := v.lookup(t, number, "测试零", "00000001"); got != "valid" {
		t.Fatalf("lookup: %s, want valid", got)
	}
	if got := v.lookup(t, number, "测试一", "00000001"); got != "unknown" {
		t.Fatalf("lookup with another name: %s, want unknown", got)
	}
	old := filepath.Join(dir, "old-snapshot")
	copyTree(t, snap, old)

	// Revoke and republish: revoked, without a restart.
	mustQB(t, "revoke", "-registry", reg, "-key", signing, "-number", number, "-reason", "issued-in-error")
	mustQB(t, "publish", "-registry", reg, "-timestamp-key", ts, "-out", snap)
	v.waitFor(t, path, "revoked")

	// The older snapshot put back: refused, still revoked.
	os.RemoveAll(snap)
	copyTree(t, old, snap)
	time.Sleep(1500 * time.Millisecond)
	if got := v.outcome(t, path); got != "revoked" {
		t.Fatalf("after the old snapshot was put back: %s, want revoked", got)
	}
	// And across a restart: the old snapshot is refused, and the last
	// accepted one, kept in the state folder, serves: still revoked.
	v.stop()
	v = startVerifier(t, verifierBin, snap, filepath.Join(reg, "trust-root.pub"), state)
	if got := v.outcome(t, path); got != "revoked" {
		t.Fatalf("after a restart on the old snapshot: %s, want revoked", got)
	}
	v.waitLog(t, `"reason":"rollback"`)
	v.waitLog(t, "serving the last accepted snapshot")
	// The current snapshot back (published again): revoked.
	mustQB(t, "publish", "-registry", reg, "-timestamp-key", ts, "-out", snap)
	v.waitFor(t, path, "revoked")

	// Another root's snapshot, with the same fictional holders: refused.
	_, otherSnap, _, _ := centre("other")
	os.RemoveAll(snap)
	copyTree(t, otherSnap, snap)
	time.Sleep(1500 * time.Millisecond)
	if got := v.outcome(t, path); got != "revoked" {
		t.Fatalf("after another root's snapshot: %s, want revoked (kept)", got)
	}
	v.waitLog(t, `"reason":"root"`)
}

type runningVerifier struct {
	cmd  *exec.Cmd
	base string
	logf string
}

func startVerifier(t *testing.T, bin, snap, pin, state string) *runningVerifier {
	return startVerifierPepper(t, bin, snap, pin, state, filepath.Join(filepath.Dir(filepath.Dir(pin)), "pepper"))
}

func startVerifierPepper(t *testing.T, bin, snap, pin, state, pepper string) *runningVerifier {
	t.Helper()
	logf := filepath.Join(t.TempDir(), "verifier.log")
	lf, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0", "-snapshot", snap, "-trust-root", pin,
		"-state", state, "-poll", "200ms", "-debounce", "50ms", "-lookup-pepper", pepper)
	cmd.Stderr = lf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	v := &runningVerifier{cmd: cmd, logf: logf}
	t.Cleanup(v.stop)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("verifier did not start: %v\n%s", err, v.log())
	}
	go io.Copy(io.Discard, out)
	v.base = strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	return v
}

func (v *runningVerifier) stop() {
	if v.cmd.Process != nil && v.cmd.ProcessState == nil {
		v.cmd.Process.Signal(os.Interrupt)
		v.cmd.Wait()
	}
}

func (v *runningVerifier) log() string {
	b, _ := os.ReadFile(v.logf)
	return string(b)
}

func (v *runningVerifier) waitLog(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(v.log(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the verifier's log:\n%s", want, v.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (v *runningVerifier) outcome(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", v.base+path, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		Outcome string `json:"outcome"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("answer: %v", err)
	}
	return a.Outcome
}

func (v *runningVerifier) lookup(t *testing.T, number, name, id string) string {
	t.Helper()
	form := url.Values{"number": {number}, "name": {name}, "id": {id}}
	req, _ := http.NewRequest("POST", v.base+"/lookup", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		Outcome string `json:"outcome"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatalf("answer: %v", err)
	}
	return a.Outcome
}

func (v *runningVerifier) waitFor(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := v.outcome(t, path)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s, want %s\n%s", path, got, want, v.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, r), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, r), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
