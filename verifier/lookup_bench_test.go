package verifier_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// cpuTime is the user and system CPU time this process has used.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLookup is one whole manual lookup, one at a time as a person
// makes them: the handler, normalising, argon2id with the default
// parameters, opening and rendering the page. cpu-ms/op is the
// process's CPU (the collector and the kernel's page faults included)
// against the limit of 30 ms; kdf-ms/op is the CPU of the bare
// KDF, run in turn with each lookup so that both see the same machine
// (a shared one slows both alike), and the difference is everything a
// lookup costs outside the KDF.
func BenchmarkLookup(b *testing.B) {
	fx := newFixture(b)
	e := newEnv(b, verifier.Config{}, fx)
	form := url.Values{"number": {"TEST-000001"}, "name": {holder.Name}, "id": {holder.IDNumber}}.Encode()
	l, err := seal.Normalize("TEST-000001", holder.Name, holder.IDNumber)
	if err != nil {
		b.Fatal(err)
	}
	var lookup, kdf time.Duration
	for b.Loop() {
		c0 := cpuTime(b)
		if _, _, err := seal.LookupKeys(l, trusttest.Pepper(), seal.DefaultParams()); err != nil {
			b.Fatal(err)
		}
		c1 := cpuTime(b)
		req := httptest.NewRequest("POST", "/lookup", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		kdf, lookup = kdf+c1-c0, lookup+cpuTime(b)-c1
	}
	b.ReportMetric(float64(lookup)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(kdf)/float64(b.N)/1e6, "kdf-ms/op")
}
