package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/registrytest"
)

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		stderr string
	}{
		{"no registry", nil, nil, "verifier: no registry directory\nverifier: hint: pass -registry DIR or set VERIFIER_REGISTRY (make demo writes demo/out/registry)\n"},
		{"bad flag", []string{"-nope"}, nil, "flag provided but not defined: -nope"},
		{"argument", []string{"-registry", "x", "extra"}, nil, "verifier: unexpected argument \"extra\"\n"},
		{"log format", []string{"-log-format", "xml"}, map[string]string{"VERIFIER_REGISTRY": "x"}, "verifier: -log-format must be json or text, not \"xml\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := run(t.Context(), tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if !errors.Is(err, errUsage) {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestEndToEnd starts the real service through run on a free port,
// issues a TEST-ONLY certificate whose QR code points at it, decodes the
// QR PNG with zbarimg, fetches the URL (valid), revokes the certificate
// and fetches it again (revoked), then shuts the service down.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	key := registrytest.Key("e2e")
	if err := registrytest.WriteTrust(dir, registrytest.Trusted(key,
		time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC), record.KeyActive)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	outR, outW := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-registry", dir, "-debounce", "50ms"},
			func(string) string { return "" }, outW, stderr)
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no address on stdout: %v\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, outR)
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("stdout: %q", line)
	}
	poll(t, "/healthz", func() bool { return status(base+"/healthz", "") == 200 })

	// Issue one certificate (a fictional holder) through the record API,
	// with its QR code holding the URL of this server.
	tok, err := record.NewToken(strings.NewReader("e2e TEST-ONLY token!"))
	if err != nil {
		t.Fatal(err)
	}
	h := registrytest.Synthetic(7)
	p, err := registrytest.Public(tok, "TEST-E2E-000001", h, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	e, err := registrytest.Sign(key, p, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := record.WriteBatch(dir, []record.Entry{e}, []byte(registrytest.Placeholder)); err != nil {
		t.Fatal(err)
	}
	png, err := qrcode.Encode(tok.URL(base), qrcode.Highest, 256)
	if err != nil {
		t.Fatal(err)
	}
	pngFile := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(pngFile, png, 0o644); err != nil {
		t.Fatal(err)
	}
	url := decodeQR(t, pngFile, tok.URL(base))

	poll(t, "the new batch to load", func() bool { return status(url, "") == 200 })
	if got := outcome(t, url); got != "valid" {
		t.Fatalf("outcome %q, want valid", got)
	}

	if err := registrytest.Revoke(dir, key, e, time.Now().UTC().Truncate(24*time.Hour), record.IssuedInError, time.Now()); err != nil {
		t.Fatal(err)
	}
	poll(t, "the revocation", func() bool { return outcome(t, url) == "revoked" })
	if got := status(url, ""); got != 200 {
		t.Fatalf("revoked: status %d, want 200", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	logs := stderr.String()
	if strings.Contains(logs, string(tok)) || strings.Contains(logs, h.Name) {
		t.Errorf("logs hold the token or the holder's name")
	}
	for _, s := range []string{`"msg":"registry loaded"`, `"msg":"stopped"`, `"token_hash":"` + tok.Hash() + `"`} {
		if !strings.Contains(logs, s) {
			t.Errorf("logs lack %s:\n%s", s, logs)
		}
	}
}

// decodeQR reads the QR code in file with zbarimg (Debian's zbar-tools).
// Without zbarimg the test goes on with the URL it encoded, unless CI is
// set: there the decoder must be installed.
func decodeQR(t *testing.T, file, encoded string) string {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg not found (apt-get install zbar-tools)")
		}
		t.Log("zbarimg not found; using the encoded URL")
		return encoded
	}
	out, err := exec.Command("zbarimg", "--quiet", "--raw", file).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	url := strings.TrimSpace(string(out))
	if url != encoded {
		t.Fatalf("zbarimg read %q, want %q", url, encoded)
	}
	return url
}

func status(url, accept string) int {
	req, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func outcome(t *testing.T, url string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a struct{ Outcome string }
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a.Outcome
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
