package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/qualbridge/qualbridge/verifier/trust"
)

// ReloaderConfig says where a [Reloader] finds the snapshot and keeps its
// high-water marks.
type ReloaderConfig struct {
	Dir      string     // the snapshot folder
	StateDir string     // where the high-water marks survive restarts
	Pin      *trust.Pin // the pinned root (trust-root.pub)
	Options  trust.Options
	Now      func() time.Time
}

// Reloader loads a snapshot folder into a [Store]: at start, on SIGHUP,
// when files in the folder change, and when its head file is found
// replaced on a poll (the folder swapped by a rename, say). Each load is
// checked as a whole against the pinned root and the high-water marks
// ([trust.Load]); a snapshot that fails any check is refused with a log
// line and a metric, and the previous snapshot keeps serving.
type Reloader struct {
	cfg   ReloaderConfig
	store *Store
	log   *slog.Logger
	m     *Metrics

	mu        sync.Mutex // one load at a time
	marks     trust.Marks
	marksRead bool
	headStat  fileStamp
	listTier  int // the trust-list expiry alert tier last logged
}

// fileStamp tells a replaced file from the same one.
type fileStamp struct {
	size int64
	mod  time.Time
	ino  uint64
}

// NewReloader returns a reloader of the snapshot in cfg.Dir.
func NewReloader(cfg ReloaderConfig, store *Store, log *slog.Logger, m *Metrics) *Reloader {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Options == (trust.Options{}) {
		cfg.Options = trust.DefaultOptions()
	}
	return &Reloader{cfg: cfg, store: store, log: log, m: m}
}

// Reload loads the snapshot and puts it in force. A snapshot that does
// not load is refused as a whole: the previous one keeps serving, and
// the error is logged and returned. why says what caused the reload.
func (r *Reloader) Reload(why string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := time.Now()
	now := r.cfg.Now()
	r.headStat = stampOf(filepath.Join(r.cfg.Dir, trust.HeadFile))
	if !r.marksRead {
		m, err := trust.ReadMarks(r.cfg.StateDir)
		if err != nil {
			return r.refused(why, err)
		}
		r.marks, r.marksRead = m, true
	}
	t, next, err := trust.Load(r.cfg.Dir, r.cfg.Pin, r.marks, now, r.cfg.Options)
	kept := false
	if err != nil {
		if r.store.Current() != nil || r.cfg.StateDir == "" {
			return r.refused(why, err)
		}
		// Nothing in force yet (a start): the last snapshot accepted,
		// kept in the state folder, rather than nothing, so that an
		// older snapshot put back across a restart still answers what
		// the newest one said (revoked stays revoked).
		r.refused(why, err)
		var kerr error
		if t, next, kerr = trust.Load(filepath.Join(r.cfg.StateDir, KeptDir), r.cfg.Pin, r.marks, now, r.cfg.Options); kerr != nil {
			r.log.Warn("no kept snapshot to serve either", "err", kerr.Error())
			return err
		}
		kept = true
		r.log.Warn("serving the last accepted snapshot, kept in the state folder, until a good one is published",
			"head", t.Head.Seq, "head_signed_at", t.Head.SignedAt.Format(time.RFC3339))
	}
	old := r.store.Current()
	if old != nil && old.t.HeadHash == t.HeadHash {
		r.m.reloads.WithLabelValues("unchanged").Inc()
		r.log.Debug("snapshot unchanged", "cause", why, "head", t.Head.Seq)
		return nil
	}
	if err := trust.WriteMarks(r.cfg.StateDir, next); err != nil {
		return r.refused(why, &trust.Refusal{Reason: trust.ReasonState, Err: err})
	}
	r.marks = next
	if !kept && r.cfg.StateDir != "" {
		if err := keepSnapshot(r.cfg.Dir, r.cfg.StateDir, t.Head); err != nil {
			r.log.Warn("could not keep a copy of the snapshot in the state folder", "err", err.Error())
		}
	}
	s := NewSnapshot(t, old, now)
	r.store.Set(s)
	took := time.Since(start)
	r.m.reloads.WithLabelValues("ok").Inc()
	r.m.snapshot(s, took.Seconds())
	r.log.Info("snapshot loaded", "cause", why, "snapshot", s.describe(),
		"head", t.Head.Seq, "head_signed_at", t.Head.SignedAt.Format(time.RFC3339),
		"head_expires", t.Head.Expires.Format(time.RFC3339), "trust_list", t.List.Seq,
		"records", s.Records(), "revocations", s.Revocations(), "took_ms", took.Milliseconds())
	if n := s.UntrustedRevocations(); n > 0 {
		r.log.Warn("revocations signed by a compromised or unlisted key were skipped; re-sign the ones that stand with a trusted key",
			"skipped", n)
	}
	r.listTier = 0
	r.checkFreshness(now)
	if kept {
		return err // the snapshot folder itself stays refused
	}
	return nil
}

func (r *Reloader) refused(why string, err error) error {
	reason := trust.ReasonOf(err)
	r.m.reloads.WithLabelValues("refused").Inc()
	r.m.refusals.WithLabelValues(string(reason)).Inc()
	kept := "none"
	var keptSeq uint64
	if old := r.store.Current(); old != nil {
		kept, keptSeq = old.t.Head.SignedAt.UTC().Format(time.RFC3339), old.t.Head.Seq
	}
	r.log.Error("snapshot refused, previous snapshot kept",
		"reason", string(reason), "cause", why, "err", err.Error(), "kept_head", keptSeq, "kept_head_signed_at", kept)
	return err
}

// CheckFreshness logs what an operator must act on: a head in force that
// has expired (every answer is 503 until a fresh head is published), one
// that expires within a day, and a trust list that expires within 30,
// 14 or 7 days (each tier once).
func (r *Reloader) CheckFreshness() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkFreshness(r.cfg.Now())
}

func (r *Reloader) checkFreshness(now time.Time) {
	s := r.store.Current()
	if s == nil {
		return
	}
	h, l := s.Head(), s.List()
	switch left := h.Expires.Sub(now); {
	case left <= 0:
		r.log.Error("head expired: answering 503 cannot verify now until a fresh head is published",
			"head", h.Seq, "expired", h.Expires.Format(time.RFC3339))
	case left < 24*time.Hour:
		r.log.Warn("head expires within a day: publish a fresh head", "head", h.Seq, "expires", h.Expires.Format(time.RFC3339))
	}
	days := int(l.Expires.Sub(now).Hours() / 24)
	for _, tier := range []int{7, 14, 30} {
		if days < tier {
			if r.listTier == 0 || tier < r.listTier {
				r.listTier = tier
				r.log.Warn("trust list expires soon: have the root sign a new one (qualbridge trust renew)",
					"alert_days", tier, "days_left", days, "trust_list", l.Seq, "expires", l.Expires.Format(time.RFC3339))
			}
			break
		}
	}
}

// Watch starts reloading on every signal from trigger (SIGHUP), on
// changes in the snapshot folder (debounced: a publish writes several
// files, the head last) and, every poll, when the head file is found
// replaced; it also checks freshness every poll. The watches are in
// place when Watch returns; the returned channel is closed when ctx is
// done and the watcher has stopped.
func (r *Reloader) Watch(ctx context.Context, debounce, poll time.Duration, trigger <-chan os.Signal) (<-chan struct{}, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(r.cfg.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.Close()
		return nil, err
	}
	if poll <= 0 {
		poll = 30 * time.Second
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Close()
		timer := time.NewTimer(debounce)
		timer.Stop()
		ticker := time.NewTicker(poll)
		defer ticker.Stop()
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
				timer.Reset(debounce)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				r.log.Warn("file watcher", "err", err)
				timer.Reset(debounce)
			case <-timer.C:
				r.Reload("file change")
			case <-ticker.C:
				r.mu.Lock()
				changed := stampOf(filepath.Join(r.cfg.Dir, trust.HeadFile)) != r.headStat
				r.mu.Unlock()
				if changed {
					// The folder may have been replaced: watch the new one.
					w.Remove(r.cfg.Dir)
					w.Add(r.cfg.Dir)
					r.Reload("head replaced")
				}
				r.CheckFreshness()
			}
		}
	}()
	return done, nil
}

// KeptDir is the copy of the last accepted snapshot in the state
// folder, served at a start when the snapshot folder does not load.
const KeptDir = "snapshot"

// keepSnapshot copies the snapshot of head into the state folder, so
// that it is the verifier's own: nothing written into the snapshot
// folder later reaches it. An object the previous copy holds already
// (objects are named by what the head pins) is linked from that copy;
// the rest is copied, streaming. The copy is checked as a whole when it is used.
func keepSnapshot(dir, state string, head *trust.Head) error {
	tmp, err := os.MkdirTemp(state, ".keep-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dst := filepath.Join(state, KeptDir)
	if err := copyFile(filepath.Join(dir, trust.HeadFile), filepath.Join(tmp, trust.HeadFile)); err != nil {
		return err
	}
	for _, p := range trust.Objects(head) {
		f := filepath.FromSlash(p)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tmp, f)), 0o755); err != nil {
			return err
		}
		// Every object but the head is immutable under its name: one
		// the previous copy holds is linked from it.
		if os.Link(filepath.Join(dst, f), filepath.Join(tmp, f)) == nil {
			continue
		}
		if err := copyFile(filepath.Join(dir, f), filepath.Join(tmp, f)); err != nil {
			return err
		}
	}
	old := dst + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

func copyFile(from, to string) error {
	// Without blocking, and regular files only: a FIFO swapped in after
	// the load would otherwise hang the reloader (see trust.Load).
	in, err := os.OpenFile(from, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", filepath.Base(from))
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
