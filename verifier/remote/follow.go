package remote

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/qualbridge/qualbridge/deploy/store"
	"github.com/qualbridge/qualbridge/verifier"
)

// Follower polls a snapshot store for a verifier: [Mirror.Sync], then
// [verifier.Reloader.Reload] of the cache when its head changed.
type Follower struct {
	Mirror   *Mirror
	Reloader *verifier.Reloader
	Store    *verifier.Store   // where readiness finds the poll status
	Metrics  *verifier.Metrics // the poll series
	Log      *slog.Logger
	URL      string // for readiness and logs, without its query ([store.Redact])
	// Timeout bounds one poll, the fetching of a new snapshot included;
	// 0 means 5 minutes.
	Timeout time.Duration

	status verifier.SourceStatus
}

// Poll polls the store once and reloads the cache when the store's head
// changed. It returns the poll's error; a refused snapshot is not one
// (the reloader logs and counts it, and the snapshot in force keeps
// serving).
func (f *Follower) Poll(ctx context.Context, why string) error {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	changed, err := f.Mirror.Sync(pctx)
	cancel()
	now := time.Now()
	s := &f.status
	s.URL, s.LastPoll = f.URL, now
	result := "unchanged"
	switch {
	case err != nil && !errors.Is(err, ErrNoHead):
		result = "error"
		s.Err = store.Message(err)
		s.Failures++
		switch {
		case s.Failures == 1 && f.Store.Current() == nil:
			f.Log.Warn("snapshot store unreachable: no snapshot to serve, not ready until it answers",
				"store", f.URL, "err", s.Err)
		case s.Failures == 1:
			f.Log.Warn("snapshot store unreachable: serving the snapshot in force until its head expires",
				"store", f.URL, "err", s.Err)
		default:
			f.Log.Debug("snapshot store still unreachable", "store", f.URL, "failures", s.Failures, "err", s.Err)
		}
	default:
		if s.Failures > 0 {
			f.Log.Info("snapshot store reachable again", "store", f.URL, "after_failures", s.Failures)
		}
		s.LastSuccess, s.Err, s.Failures = now, "", 0
		if errors.Is(err, ErrNoHead) {
			s.Err = err.Error()
		}
		if changed {
			result, s.LastChange = "changed", now
		}
	}
	f.Store.SetSource(*s)
	f.Metrics.Polled(result, *s)
	if changed {
		f.Reloader.Reload(why)
	}
	if errors.Is(err, ErrNoHead) {
		return nil
	}
	return err
}

// Run polls at once, then every poll interval and on every signal from
// trigger (SIGHUP: the head is read again even if its ETag is unchanged,
// and the cache reloaded), and checks freshness every interval. It
// returns when ctx is done.
func (f *Follower) Run(ctx context.Context, poll time.Duration, trigger <-chan os.Signal) {
	if poll <= 0 {
		poll = 30 * time.Second
	}
	f.Poll(ctx, "snapshot store")
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case sig, ok := <-trigger:
			if !ok {
				trigger = nil
				continue
			}
			f.Mirror.Forget()
			f.Poll(ctx, "snapshot store, "+sig.String())
			f.Reloader.Reload(sig.String())
		case <-ticker.C:
			f.Poll(ctx, "snapshot store")
			f.Reloader.CheckFreshness()
		}
	}
}
