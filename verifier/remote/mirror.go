package remote

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// ErrNoHead: the store is reachable but holds no head (nothing published
// there yet).
var ErrNoHead = errors.New("the snapshot store holds no head: nothing is published there yet")

// errRaced: the store's head changed while its objects were fetched (a
// publish meanwhile); the next poll fetches the new one.
var errRaced = errors.New("the store's head changed while its objects were fetched")

// Mirror copies a snapshot store into a local cache folder, which a
// [verifier.Reloader] then loads.
type Mirror struct {
	b    *blob.Bucket
	dir  string
	pin  *trust.Pin
	opts trust.Options
	log  *slog.Logger
	seen string // the head's ETag (or attributes) last fetched
}

// NewMirror returns a mirror of the store b into the folder dir, which it
// creates. pin and o are the verifier's: a head that does not check
// against them ([trust.CheckHead]) gets none of its packs fetched.
func NewMirror(b *blob.Bucket, dir string, pin *trust.Pin, o trust.Options, log *slog.Logger) (*Mirror, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if o == (trust.Options{}) {
		o = trust.DefaultOptions()
	}
	return &Mirror{b: b, dir: dir, pin: pin, opts: o, log: log}, nil
}

// Dir is the cache folder.
func (m *Mirror) Dir() string { return m.dir }

// Forget makes the next [Mirror.Sync] read the head even if its ETag is
// the one seen last (SIGHUP).
func (m *Mirror) Forget() { m.seen = "" }

// tag tells one version of the head from another without reading it:
// the ETag and, where the store gives them, the MD5, size and time
// (a folder's ETag is its time and size, and two heads of one size
// written within a clock tick would share it).
func tag(a *blob.Attributes) string {
	return fmt.Sprintf("%s/%s/%d/%d", a.ETag, hex.EncodeToString(a.MD5), a.Size, a.ModTime.UnixNano())
}

func (m *Mirror) file(p string) string { return filepath.Join(m.dir, filepath.FromSlash(p)) }

// Sync brings the cache up to the store's head and reports whether the
// cache's head changed. It asks for the head's attributes first and
// reads nothing more when they are the ones seen last. On a new head it
// fetches every object the head names that the cache lacks (root sets
// every time: they are small, and named by version, not content), each
// checked against its name, the packs only once the head checks against
// the pinned root ([trust.CheckHead]); an object the store lacks or that
// fails its name is left out, for [trust.Load] to refuse the snapshot as a
// mismatch. The head is written last, through a temporary file and a
// rename, even one that does not parse: the reloader refuses it with
// its reason. An error means the store could not be read: the cache is
// as it was, its head untouched.
func (m *Mirror) Sync(ctx context.Context) (bool, error) {
	a, err := m.b.Attributes(ctx, trust.HeadFile)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return false, ErrNoHead
	}
	if err != nil {
		return false, err
	}
	t := tag(a)
	if t == m.seen {
		return false, nil
	}
	hb, err := readLimited(ctx, m.b, trust.HeadFile, trust.MaxHead)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return false, ErrNoHead
	}
	if err != nil && !errors.Is(err, errTooLarge) {
		return false, err
	}
	if err != nil {
		hb = nil // a head over the limit: an empty one, refused as unreadable
	}
	old, _ := os.ReadFile(m.file(trust.HeadFile))
	if old != nil && bytes.Equal(old, hb) {
		m.seen = t
		return false, nil
	}
	if h, err := trust.ParseHead(hb); err == nil {
		if err := m.fetch(ctx, h, hb, t); err != nil {
			return false, err
		}
	}
	if err := record.WriteFileAtomic(m.file(trust.HeadFile), hb, 0o644); err != nil {
		return false, err
	}
	m.seen = t
	m.prune(old, hb)
	return true, nil
}

// fetch puts every object h names into the cache: the small ones first,
// then, if the head checks against them, the packs. A forged head thus
// costs a reader its root sets and trust list, never the gigabytes of
// packs the format's limits would allow.
func (m *Mirror) fetch(ctx context.Context, h *trust.Head, hb []byte, t string) error {
	checked := false
	for _, p := range trust.Objects(h) {
		root := strings.HasPrefix(p, trust.RootsDir+"/")
		if strings.HasPrefix(p, trust.RecordsDir+"/") && !checked {
			checked = true
			if err := trust.CheckHead(m.dir, hb, m.pin, time.Now(), m.opts); err != nil {
				m.log.Warn("the store's head does not check; its packs are not fetched", "head", h.Seq, "err", err.Error())
				return nil
			}
		}
		if _, err := os.Stat(m.file(p)); err == nil && !root {
			continue
		}
		data, err := readLimited(ctx, m.b, p, trust.MaxSize(h, p))
		switch {
		case gcerrors.Code(err) == gcerrors.NotFound:
			// Pruned by a publish since the head was read? Then the next
			// poll fetches the new head; else the head names an object
			// the store lacks.
			if a, aerr := m.b.Attributes(ctx, trust.HeadFile); aerr == nil && tag(a) != t {
				return errRaced
			}
			m.log.Warn("the store's head names an object the store does not hold", "object", p, "head", h.Seq)
			continue
		case errors.Is(err, errTooLarge):
			m.log.Warn("an object in the store is larger than its head allows; not fetched", "object", p, "head", h.Seq)
			continue
		case err != nil:
			return err
		}
		if err := trust.CheckName(p, data); err != nil {
			m.log.Warn("an object in the store does not match its name; not fetched", "object", p, "head", h.Seq, "err", err.Error())
			continue
		}
		if root {
			if old, err := os.ReadFile(m.file(p)); err == nil && bytes.Equal(old, data) {
				continue
			}
		}
		if err := os.MkdirAll(filepath.Dir(m.file(p)), 0o755); err != nil {
			return err
		}
		if err := record.WriteFileAtomic(m.file(p), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// prune removes the cache's objects that neither the new head nor the
// one before names. The verifier's snapshot in force is in memory, and
// its kept copy in the state folder is its own; this only bounds the
// cache.
func (m *Mirror) prune(prev, cur []byte) {
	keep := map[string]bool{}
	for _, b := range [][]byte{prev, cur} {
		if h, err := trust.ParseHead(b); err == nil {
			for _, p := range trust.Objects(h) {
				keep[p] = true
			}
		}
	}
	have, err := trust.Folder(m.dir).List(context.Background())
	if err != nil {
		return
	}
	for p := range have {
		if trust.Managed(p) && !keep[p] {
			os.Remove(m.file(p))
		}
	}
}
