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
	// incomplete: the cache's head names objects the last fetch could
	// not get (not yet in the store, a bad read); the next Sync tries
	// again even if the head is the same. True at start, so a cache left
	// incomplete by a crash or an earlier run is completed too.
	incomplete bool
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
	return &Mirror{b: b, dir: dir, pin: pin, opts: o, log: log, incomplete: true}, nil
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
// checked against its name, the revocation list and the packs only once
// the head checks against the pinned root ([trust.CheckHead]); an object
// the store lacks or that fails its name is left out, for [trust.Load] to
// refuse the snapshot as a mismatch, and tried again at the next Sync,
// which then reports a change if it came. The head is written last,
// through a temporary file and a rename, even one that does not parse:
// the reloader refuses it with its reason. An error means the store
// could not be read: the cache is as it was, its head untouched.
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
	same := old != nil && bytes.Equal(old, hb)
	if same && !m.incomplete {
		m.seen = t
		return false, nil
	}
	skipped := false
	if h, err := trust.ParseHead(hb); err == nil {
		if skipped, err = m.fetch(ctx, h, hb, t); err != nil {
			return false, err
		}
	}
	wasIncomplete := m.incomplete
	m.incomplete = skipped
	if !skipped {
		m.seen = t // else the next poll reads the head and tries again
	}
	if same {
		// The head in the cache already; changed only if the objects it
		// lacked have come.
		return wasIncomplete && !skipped, nil
	}
	if err := record.WriteFileAtomic(m.file(trust.HeadFile), hb, 0o644); err != nil {
		return false, err
	}
	m.prune(old, hb)
	return true, nil
}

// fetch puts every object h names into the cache, in two rounds: the
// root sets and the trust list, then, only if the head checks against
// them and the pinned root ([trust.CheckHead]), the revocation list and
// the packs. A forged head thus costs a reader at most its root sets
// and trust list, never the gigabytes of revocations and packs the
// format's limits allow. Root sets above the head's version are removed
// from the cache first: a forged head naming a higher version would
// otherwise leave one there, and every later head would be refused
// over it. skipped reports an object the store lacked, or held over its
// size or other than its name says: the caller tries again next time.
func (m *Mirror) fetch(ctx context.Context, h *trust.Head, hb []byte, t string) (skipped bool, err error) {
	m.dropRootsAbove(h.RootVersion)
	if h.RootVersion > m.pin.Root.Version+maxRootsAhead {
		m.log.Warn("the store's head names a root set far beyond the pinned one; not fetched", "head", h.Seq, "root_version", h.RootVersion)
		return true, nil
	}
	var small, large []string
	for _, p := range trust.Objects(h) {
		if strings.HasPrefix(p, trust.RecordsDir+"/") || strings.HasPrefix(p, trust.RevocationsDir+"/") {
			large = append(large, p)
		} else {
			small = append(small, p)
		}
	}
	for round, paths := range [][]string{small, large} {
		if round == 1 {
			if err := trust.CheckHead(m.dir, hb, m.pin, time.Now(), m.opts); err != nil {
				m.log.Warn("the store's head does not check; its revocations and packs are not fetched", "head", h.Seq, "err", err.Error())
				return false, nil // refused by the reloader with its reason; nothing to retry
			}
		}
		for _, p := range paths {
			ok, err := m.fetchOne(ctx, h, p, t)
			if err != nil {
				return false, err
			}
			skipped = skipped || !ok
		}
	}
	return skipped, nil
}

// maxRootsAhead bounds how many root rotations past the pinned root a
// head may name before a reader stops fetching root sets for it.
const maxRootsAhead = 64

// dropRootsAbove removes the cache's root sets above version v.
func (m *Mirror) dropRootsAbove(v uint32) {
	des, err := os.ReadDir(m.file(trust.RootsDir))
	if err != nil {
		return
	}
	for _, de := range des {
		var n uint32
		if _, err := fmt.Sscanf(de.Name(), "%06d.root", &n); err == nil && n > v {
			os.Remove(filepath.Join(m.file(trust.RootsDir), de.Name()))
		}
	}
}

// fetchOne brings the object at p into the cache, and reports whether
// it is there now.
func (m *Mirror) fetchOne(ctx context.Context, h *trust.Head, p, t string) (bool, error) {
	root := strings.HasPrefix(p, trust.RootsDir+"/")
	if _, err := os.Stat(m.file(p)); err == nil && !root {
		return true, nil
	}
	data, err := readLimited(ctx, m.b, p, trust.MaxSize(h, p))
	switch {
	case gcerrors.Code(err) == gcerrors.NotFound:
		// Pruned by a publish since the head was read? Then the next
		// poll fetches the new head; else the head names an object the
		// store lacks (yet: a store that lists late).
		if a, aerr := m.b.Attributes(ctx, trust.HeadFile); aerr == nil && tag(a) != t {
			return false, errRaced
		}
		m.log.Warn("the store's head names an object the store does not hold", "object", p, "head", h.Seq)
		return false, nil
	case errors.Is(err, errTooLarge):
		m.log.Warn("an object in the store is larger than its head allows; not fetched", "object", p, "head", h.Seq)
		return false, nil
	case err != nil:
		return false, err
	}
	if err := trust.CheckName(p, data); err != nil {
		m.log.Warn("an object in the store does not match its name; not fetched", "object", p, "head", h.Seq, "err", err.Error())
		return false, nil
	}
	if root {
		if old, err := os.ReadFile(m.file(p)); err == nil && bytes.Equal(old, data) {
			return true, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(m.file(p)), 0o755); err != nil {
		return false, err
	}
	if err := record.WriteFileAtomic(m.file(p), data, 0o644); err != nil {
		return false, err
	}
	return true, nil
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
