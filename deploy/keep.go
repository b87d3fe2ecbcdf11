package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/qualbridge/qualbridge/diag"
)

// ManifestKey is the object in which a deploy records, in the store it
// deploys to (under the URL's prefix, like the site), which fingerprinted
// assets pages in the store may load and since when the others have been
// loaded by none. It is no file of the site: a deploy never uploads,
// compares or deletes it as one, and refuses a site that has a file
// under .qualbridge/.
const ManifestKey = ".qualbridge/deploy.json"

// cacheNoStore is the manifest's Cache-Control: it is read by the next
// deploy, not by readers, and never worth caching.
const cacheNoStore = "no-store"

// manifest is the content of [ManifestKey].
//
// Its one promise: an asset in Retired is loaded by no page in the store,
// and has not been since the time it gives. So a deploy adds to Assets
// every fingerprinted asset of its build before it uploads anything (its
// pages may be in the store from then on, even if it is killed), and
// moves an asset from Assets to Retired only when it has finished, when
// every page in the store is one of its own build. An asset that is in
// neither (a store deployed before manifests, a manifest lost) is taken
// to have been retired by the deploy that finds it: it is kept for the
// whole grace period from then, which errs on the side of keeping.
type manifest struct {
	Format int `json:"format"`
	// Assets are the fingerprinted assets pages in the store may load:
	// those of the last finished deploy's build, and of every deploy
	// begun since.
	Assets []string `json:"assets"`
	// Retired are fingerprinted assets that were in the store when a
	// deploy that did not have them finished, with the time it finished:
	// kept until they have been retired for [Options.KeepAssets].
	Retired map[string]time.Time `json:"retired,omitempty"`
}

func (m manifest) encode() []byte {
	slices.Sort(m.Assets)
	m.Assets = slices.Compact(m.Assets)
	if m.Assets == nil {
		m.Assets = []string{}
	}
	retired := make(map[string]time.Time, len(m.Retired))
	for k, t := range m.Retired {
		retired[k] = t.UTC().Truncate(time.Second)
	}
	m.Retired = retired
	data, _ := json.MarshalIndent(m, "", "  ") // maps are encoded sorted
	return append(data, '\n')
}

// Kept is a fingerprinted asset a deploy leaves in the store although
// the site no longer has it, for the pages that caches and open browser
// tabs still hold from before.
type Kept struct {
	Key   string
	Since time.Time // when the last page in the store that loaded it went
	Until time.Time // when a deploy may delete it
}

// String returns the line the plan prints.
func (k Kept) String() string {
	return "保留（旧资源，至 " + k.Until.Format("2006-01-02 15:04:05 -0700") + "） " + k.Key
}

// readManifest reads the store's manifest, if listed. A manifest that
// does not parse is a warning and counts as none: every old asset is then
// kept for a whole grace period from now, never deleted too soon.
func readManifest(ctx context.Context, b *blob.Bucket, listed bool, opts Options) (manifest, []byte, diag.List, error) {
	if !listed {
		return manifest{}, nil, nil, nil
	}
	raw, err := readAtMost(ctx, b, ManifestKey, maxManifest)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return manifest{}, nil, nil, nil
	}
	if err != nil && !errors.Is(err, errManifestSize) {
		return manifest{}, nil, nil, err
	}
	var m manifest
	if err == nil {
		err = json.Unmarshal(raw, &m)
	}
	if err != nil || m.Format != 1 {
		msg := "部署记录不是本版本能读的格式"
		if err != nil {
			msg = "部署记录无法解析：" + err.Error()
		}
		return manifest{}, raw, diag.List{{Pos: diag.Pos{File: path.Join(opts.To, ManifestKey)}, Severity: diag.Warning,
			Message: msg + "；所有不再使用的旧资源从现在起再保留一个保留期",
			Hint:    "本次部署结束时会重写它；不要手工修改 " + ManifestKey}}, nil
	}
	return m, raw, nil, nil
}

// retire sorts the objects the site no longer has (plan's deletions) into
// those deleted now and the fingerprinted assets kept for the grace
// period, and works out the manifests written before and after the
// deploy's operations.
func retire(ctx context.Context, b *blob.Bucket, plan *Plan, files map[string]*file, m manifest, now time.Time, opts Options) (start, end manifest, fresh []string, err error) {
	known := map[string]bool{}
	for _, k := range m.Assets {
		known[k] = true
	}
	for k := range m.Retired {
		known[k] = true
	}
	// An object that the manifest does not name and that looks like a
	// fingerprinted asset is one if it was uploaded as one: with the
	// year-long Cache-Control only a checked fingerprint gets.
	var doubt []string
	for _, c := range plan.Changes {
		if opts.KeepAssets > 0 && c.Op == Delete && c.cls == classAsset && !known[c.Key] && fingerprintedName.MatchString(path.Base(c.Key)) {
			doubt = append(doubt, c.Key)
		}
	}
	immutable := make([]bool, len(doubt))
	errs := make([]error, len(doubt))
	parallel(ctx, len(doubt), opts.Workers, func(i int) {
		a, err := b.Attributes(ctx, doubt[i])
		if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			errs[i] = err
		}
		immutable[i] = err == nil && a.CacheControl == cacheImmutable
	})
	for _, err := range errs {
		if err != nil {
			return start, end, nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return start, end, nil, err
	}
	for i, k := range doubt {
		known[k] = immutable[i]
	}

	var build []string
	for k, f := range files {
		if f.cache == cacheImmutable {
			build = append(build, k)
		}
	}
	slices.Sort(build)
	start = manifest{Format: 1, Assets: slices.Concat(m.Assets, build), Retired: maps.Clone(m.Retired)}
	for _, k := range build {
		delete(start.Retired, k)
	}
	end = manifest{Format: 1, Assets: build, Retired: map[string]time.Time{}}

	changes := plan.Changes[:0]
	for _, c := range plan.Changes {
		if c.Op != Delete || !known[c.Key] || opts.KeepAssets <= 0 {
			changes = append(changes, c)
			continue
		}
		since, ok := m.Retired[c.Key]
		since = since.In(now.Location()) // as the clock tells it, for the plan
		if ok && now.Sub(since) >= opts.KeepAssets {
			changes = append(changes, c) // kept long enough
			continue
		}
		if !ok {
			since = now
			fresh = append(fresh, c.Key)
		}
		end.Retired[c.Key] = since
		plan.Kept = append(plan.Kept, Kept{Key: c.Key, Since: since, Until: since.Add(opts.KeepAssets)})
	}
	plan.Changes = changes
	plan.Deletes = 0
	for _, c := range plan.Changes {
		if c.Op == Delete {
			plan.Deletes++
		}
	}
	return start, end, fresh, nil
}

// writeManifest writes m unless the store holds it as it is already.
func writeManifest(ctx context.Context, b *blob.Bucket, m manifest, held []byte) ([]byte, error) {
	data := m.encode()
	if bytes.Equal(data, held) {
		return held, nil
	}
	err := b.WriteAll(ctx, ManifestKey, data, &blob.WriterOptions{ContentType: "application/json", CacheControl: cacheNoStore})
	if err != nil {
		return held, err
	}
	return data, nil
}

// reserved reports whether a site's file would stand where a deploy keeps
// its own records.
func reserved(key string) bool {
	return strings.HasPrefix(key, path.Dir(ManifestKey)+"/")
}

// maxManifest bounds what deploy reads of the store's manifest: a few
// hundred bytes per asset name, far more than a site has.
const maxManifest = 64 << 20

var errManifestSize = errors.New("部署记录超过 64 MiB")

// readAtMost reads key, failing with errManifestSize past max bytes
// rather than reading a hostile or broken object into memory whole.
func readAtMost(ctx context.Context, b *blob.Bucket, key string, max int64) ([]byte, error) {
	r, err := b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, errManifestSize
	}
	return data, nil
}
