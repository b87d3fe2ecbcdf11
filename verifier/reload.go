package verifier

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Reloader loads a registry directory into a [Store]: at start, on SIGHUP
// and when files in the directory change.
type Reloader struct {
	dir   string
	store *Store
	log   *slog.Logger
	m     *Metrics
	now   func() time.Time

	mu sync.Mutex // one load at a time
}

// NewReloader returns a reloader of the registry in dir.
func NewReloader(dir string, store *Store, log *slog.Logger, m *Metrics, now func() time.Time) *Reloader {
	return &Reloader{dir: dir, store: store, log: log, m: m, now: now}
}

// Reload loads the registry and puts it in force. A registry that does
// not load is refused as a whole: the previous snapshot keeps serving,
// and the error is logged and returned. why says what caused the reload,
// for the log.
func (r *Reloader) Reload(why string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	s, err := LoadSnapshot(os.DirFS(r.dir), r.now())
	took := time.Since(start)
	if err != nil {
		r.m.reloads.WithLabelValues("refused").Inc()
		kept := "none"
		if old := r.store.Current(); old != nil {
			kept = old.LoadedAt().UTC().Format(time.RFC3339)
		}
		r.log.Error("registry refused, previous snapshot kept",
			"cause", why, "err", err, "kept_snapshot_loaded_at", kept)
		return err
	}
	r.store.Set(s)
	r.m.reloads.WithLabelValues("ok").Inc()
	r.m.snapshot(s, took.Seconds())
	r.log.Info("registry loaded", "cause", why, "snapshot", s.describe(),
		"certificates", s.Certificates(), "revocations", s.Revocations(), "took_ms", took.Milliseconds())
	if n := s.UntrustedRevocations(); n > 0 {
		r.log.Warn("revocations signed by a compromised key were skipped; re-sign the ones that stand with a trusted key",
			"skipped", n)
	}
	return nil
}

// Watch starts reloading on every signal from trigger (SIGHUP) and on
// changes to the registry directory and its certs/ folder, debounced: an
// issuer writes a batch as several files, and the registry is loaded
// once they have been quiet for debounce. The watches are in place when
// Watch returns; the returned channel is closed when ctx is done and the
// watcher has stopped.
//
// A load that catches a file half-written fails and is refused; the
// write's next event loads it again.
func (r *Reloader) Watch(ctx context.Context, debounce time.Duration, trigger <-chan os.Signal) (<-chan struct{}, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	certs := filepath.Join(r.dir, "certs")
	if err := w.Add(r.dir); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Add(certs); err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Close()
		timer := time.NewTimer(debounce)
		timer.Stop()
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case sig, ok := <-trigger:
				if !ok {
					trigger = nil
					continue
				}
				r.Reload(sig.String())
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Op == fsnotify.Chmod {
					continue
				}
				if ev.Name == certs && ev.Op.Has(fsnotify.Create) {
					// The first batch created certs/: watch it too.
					if err := w.Add(certs); err != nil {
						r.log.Warn("cannot watch certs folder", "err", err)
					}
				}
				timer.Reset(debounce)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				// An overflow loses events: reload to be sure.
				r.log.Warn("file watcher", "err", err)
				timer.Reset(debounce)
			case <-timer.C:
				r.Reload("file change")
			}
		}
	}()
	return done, nil
}
