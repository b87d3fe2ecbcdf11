package issuance

import (
	"context"
	"io/fs"
	"syscall"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/seal"
)

// timingFS measures the time spent waiting for the disk to make the
// commit durable (file and directory fsyncs).
type timingFS struct {
	FS
	synced time.Duration
}

func (t *timingFS) Create(name string, perm fs.FileMode) (File, error) {
	f, err := t.FS.Create(name, perm)
	if err != nil {
		return nil, err
	}
	return &timingFile{File: f, fs: t}, nil
}

func (t *timingFS) SyncDir(name string) error {
	start := time.Now()
	err := t.FS.SyncDir(name)
	t.synced += time.Since(start)
	return err
}

type timingFile struct {
	File
	fs *timingFS
}

func (f *timingFile) Sync() error {
	start := time.Now()
	err := f.File.Sync()
	f.fs.synced += time.Since(start)
	return err
}

// BenchmarkIssue10k issues 10,000 fictional certificates without
// printing (the cmd/qualbridge benchmark of the same name runs the whole
// command) and reports how much of it is the commit's fsyncs. Every
// registry has a root of trust, so each certificate is signed in
// version 2 and sealed twice; the lookup copies here at test costs
// (testLookupParams), so that this measures the rest of issuing:
// BenchmarkIssueSealed10k has the real argon2id costs.
func BenchmarkIssue10k(b *testing.B) {
	batch := fictionalBatch(0, 10_000)
	for b.Loop() {
		b.StopTimer()
		o := newRegistry(b, batch)
		o.LookupParams = testLookupParams
		tfs := &timingFS{FS: OS()}
		o.FS = tfs
		b.StartTimer()
		res, err := Issue(context.Background(), o)
		if err != nil || len(res.Certificates) != 10_000 {
			b.Fatal(err)
		}
		b.ReportMetric(float64(tfs.synced.Milliseconds()), "fsync-ms/op")
	}
}

// BenchmarkIssueSealed10k is BenchmarkIssue10k with the lookup copies
// under the real argon2id costs (seal.DefaultParams), spread over the
// CPUs; it reports the CPU time per certificate.
func BenchmarkIssueSealed10k(b *testing.B) {
	batch := fictionalBatch(0, 10_000)
	for b.Loop() {
		b.StopTimer()
		tr := newTrustedRegistry(b, batch)
		tr.LookupParams = seal.Params{}
		b.StartTimer()
		cpu := cpuTime()
		res, err := Issue(context.Background(), tr.Options)
		if err != nil || len(res.Certificates) != 10_000 {
			b.Fatal(err)
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/10_000, "cpu-ms/cert")
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPublish100k publishes a registry of 100,000 sealed
// certificates (cheap lookup costs while issuing them; publishing does
// not derive).
func BenchmarkPublish100k(b *testing.B) {
	tr := newTrustedRegistry(b, fictionalBatch(0, 100_000))
	mustIssue(b, tr.Options)
	out := b.TempDir()
	for b.Loop() {
		if _, err := Publish(PublishOptions{Registry: tr.Registry, Out: out + "/snapshot", Timestamp: tr.timestamp, Now: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
}
