package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"gocloud.dev/blob"
)

// clock is a test's clock, moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)} }

func exists(t *testing.T, b *blob.Bucket, key string) bool {
	t.Helper()
	ok, err := b.Exists(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func readManifestT(t *testing.T, b *blob.Bucket) manifest {
	t.Helper()
	data, err := b.ReadAll(context.Background(), ManifestKey)
	if err != nil {
		t.Fatalf("reading the manifest: %v", err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest: %v\n%s", err, data)
	}
	return m
}

// checkManifest fails unless the manifest's promise holds: no asset it
// retires is loaded by a page in the store.
func checkManifest(t *testing.T, b *blob.Bucket, when string) {
	t.Helper()
	ctx := context.Background()
	if ok, _ := b.Exists(ctx, ManifestKey); !ok {
		return
	}
	m := readManifestT(t, b)
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if classify(obj.Key) != classPage {
			continue
		}
		data, err := b.ReadAll(ctx, obj.Key)
		if err != nil {
			continue // deleted since the listing
		}
		for _, ref := range assetRef.FindAllSubmatch(data, -1) {
			if since, ok := m.Retired[string(ref[1])]; ok {
				t.Errorf("%s: the manifest retires /%s since %v, but %s still loads it", when, ref[1], since, obj.Key)
			}
		}
	}
}

// TestKeepAssets: a style sheet replaced by a deploy stays in the store,
// the plan says until when, and the first deploy after the grace period
// deletes it.
func TestKeepAssets(t *testing.T) {
	b := fileBucket(t)
	c := newClock()
	opts := Options{KeepAssets: 24 * time.Hour, Now: c.now}
	mustDeploy(t, b, siteA(), opts)

	c.advance(time.Hour)
	res := mustDeploy(t, b, siteB(), opts)
	until := c.t.Add(24 * time.Hour)
	want := []Kept{{Key: "assets/" + styleA, Since: c.t, Until: until}}
	if !slices.Equal(res.Plan.Kept, want) {
		t.Errorf("kept %v, want %v", res.Plan.Kept, want)
	}
	if res.Deleted != 1 || res.Plan.Deletes != 1 || !slices.Contains(keys(res.Plan), "删除 zh-hans/old/index.html") {
		t.Errorf("deleted %d (plan %d: %v), want the one page only", res.Deleted, res.Plan.Deletes, keys(res.Plan))
	}
	if !exists(t, b, "assets/"+styleA) {
		t.Fatalf("the old style sheet is gone right after the deploy that replaced it")
	}
	checkNoMissingAssets(t, b, "after the deploy")

	// A dry run later says the same date, from the manifest.
	c.advance(23 * time.Hour)
	dry := mustDeploy(t, b, siteB(), Options{KeepAssets: 24 * time.Hour, Now: c.now, DryRun: true})
	if len(dry.Plan.Kept) != 1 || !dry.Plan.Kept[0].Until.Equal(until) || len(dry.Plan.Changes) != 0 {
		t.Errorf("23 hours on: plan %v, kept %v; want nothing to do but keep %s until %v", keys(dry.Plan), dry.Plan.Kept, styleA, until)
	}
	if got, w := dry.Plan.Kept[0].String(), "保留（旧资源，至 2026-12-03 03:00:00 +0000） assets/"+styleA; got != w {
		t.Errorf("plan line %q, want %q", got, w)
	}

	// Past the grace period: deleted, and forgotten by the manifest.
	c.advance(time.Hour)
	after := mustDeploy(t, b, siteB(), opts)
	if got := keys(after.Plan); !slices.Equal(got, []string{"删除 assets/" + styleA}) || after.Deleted != 1 || len(after.Plan.Kept) != 0 {
		t.Errorf("after the grace period: plan %v, kept %v, deleted %d; want the old style sheet deleted", got, after.Plan.Kept, after.Deleted)
	}
	storeEquals(t, b, siteB())
	m := readManifestT(t, b)
	if len(m.Retired) != 0 || !slices.Equal(m.Assets, []string{"assets/" + styleB}) {
		t.Errorf("manifest %+v, want styleB alone and nothing retired", m)
	}
	a, err := b.Attributes(context.Background(), ManifestKey)
	if err != nil {
		t.Fatal(err)
	}
	if a.CacheControl != "no-store" || a.ContentType != "application/json" {
		t.Errorf("manifest served with Cache-Control %q, Content-Type %q; want no-store, application/json", a.CacheControl, a.ContentType)
	}

	// Nothing changed: nothing written, not even the manifest.
	before := a.ModTime
	c.advance(time.Hour)
	if again := mustDeploy(t, b, siteB(), opts); again.Uploaded+again.Deleted != 0 {
		t.Errorf("no-change deploy did %v", keys(again.Plan))
	}
	if a, _ := b.Attributes(context.Background(), ManifestKey); !a.ModTime.Equal(before) {
		t.Errorf("a deploy that changed nothing rewrote the manifest")
	}
}

// TestKeepAssetsZero: -keep-assets 0 deletes a replaced asset with the
// deploy that replaces it, as before there was a grace period.
func TestKeepAssetsZero(t *testing.T) {
	b := fileBucket(t)
	mustDeploy(t, b, siteA(), Options{})
	res := mustDeploy(t, b, siteB(), Options{})
	if len(res.Plan.Kept) != 0 || res.Deleted != 2 || exists(t, b, "assets/"+styleA) {
		t.Errorf("keep 0: kept %v, deleted %d; want the old style sheet deleted at once", res.Plan.Kept, res.Deleted)
	}
	storeEquals(t, b, siteB())
}

// TestKeepAssetsMaxDeletes: -max-deletes counts what is deleted, not
// what is kept.
func TestKeepAssetsMaxDeletes(t *testing.T) {
	b := fileBucket(t)
	c := newClock()
	mustDeploy(t, b, siteA(), Options{})
	_, err := ToBucket(context.Background(), b, siteB(), Options{From: "public", To: "file://store", MaxDeletes: 1})
	if !errors.Is(err, ErrTooManyDeletes) {
		t.Errorf("keep 0, 2 deletions, -max-deletes 1: err = %v, want a refusal", err)
	}
	res, err := ToBucket(context.Background(), b, siteB(), Options{From: "public", To: "file://store", MaxDeletes: 1, KeepAssets: time.Hour, Now: c.now})
	if err != nil || res.Deleted != 1 || len(res.Plan.Kept) != 1 {
		t.Errorf("keep 1h, -max-deletes 1: err = %v; want 1 deletion and 1 kept asset", err)
	}
}

// TestKeepAssetsRevert: an asset back in the build is no longer retired;
// retired again later, its grace period starts anew.
func TestKeepAssetsRevert(t *testing.T) {
	b := fileBucket(t)
	c := newClock()
	opts := Options{KeepAssets: 24 * time.Hour, Now: c.now}
	mustDeploy(t, b, siteA(), opts)
	mustDeploy(t, b, siteB(), opts) // retires styleA
	c.advance(20 * time.Hour)
	back := mustDeploy(t, b, siteA(), opts) // retires styleB, styleA back
	if slices.Contains(keys(back.Plan), "新增 assets/"+styleA) {
		t.Errorf("styleA, still in the store, uploaded again")
	}
	c.advance(20 * time.Hour)
	res := mustDeploy(t, b, siteB(), opts)
	want := []Kept{{Key: "assets/" + styleA, Since: c.t, Until: c.t.Add(24 * time.Hour)}}
	if !slices.Equal(res.Plan.Kept, want) {
		t.Errorf("styleA retired again: kept %v, want %v (40 hours after it was first retired, a new grace period)", res.Plan.Kept, want)
	}
}

// TestKeepAssetsInterrupted stops a deploy after every possible number
// of operations: no page in the store loads an asset the store lacks,
// and the manifest never retires an asset a page in the store loads. In
// the worst case (A, then B, then A again, stopped; a day later C), the
// first style sheet is not taken for one retired a day ago.
func TestKeepAssetsInterrupted(t *testing.T) {
	cssC := "body{color:#333}"
	styleC := fp("style", ".css", cssC)
	siteC := siteB()
	delete(siteC, "assets/"+styleB)
	siteC["assets/"+styleC] = &fstest.MapFile{Data: []byte(cssC)}
	for k, f := range siteC {
		f.Data = []byte(strings.ReplaceAll(string(f.Data), styleB, styleC))
		siteC[k] = f
	}
	prepare := func(t *testing.T) (*blob.Bucket, *clock) {
		b := fileBucket(t)
		c := newClock()
		mustDeploy(t, b, siteA(), Options{KeepAssets: 24 * time.Hour, Now: c.now})
		mustDeploy(t, b, siteB(), Options{KeepAssets: 24 * time.Hour, Now: c.now})
		c.advance(30 * time.Hour)
		return b, c
	}
	var total int
	{
		b, c := prepare(t)
		total = len(mustDeploy(t, b, siteA(), Options{KeepAssets: 24 * time.Hour, Now: c.now, DryRun: true}).Plan.Changes)
	}
	for k := 1; k < total; k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			b, c := prepare(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var mu sync.Mutex
			_, err := ToBucket(ctx, b, siteA(), Options{From: "public", To: "file://store", MaxDeletes: -1, Workers: 3,
				KeepAssets: 24 * time.Hour, Now: c.now,
				Progress: func(p Progress) {
					mu.Lock()
					defer mu.Unlock()
					checkNoMissingAssets(t, b, fmt.Sprintf("after %d operations", p.Done))
					checkManifest(t, b, fmt.Sprintf("after %d operations", p.Done))
					if p.Done == k {
						cancel()
					}
				}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want an interruption", err)
			}
			c.advance(30 * time.Hour)
			res := mustDeploy(t, b, siteC, Options{KeepAssets: 24 * time.Hour, Now: c.now})
			checkNoMissingAssets(t, b, "after C")
			checkManifest(t, b, "after C")
			if !exists(t, b, "assets/"+styleA) {
				t.Errorf("styleA deleted by C, though pages of the stopped deploy loaded it until C: kept %v", res.Plan.Kept)
			}
		})
	}
}

// TestKeepAssetsBeforeManifest: a store deployed before manifests. An
// old fingerprinted asset (uploaded with the year-long Cache-Control) is
// kept; an object whose name only looks fingerprinted is deleted at once.
func TestKeepAssetsBeforeManifest(t *testing.T) {
	b := fileBucket(t)
	c := newClock()
	site := siteA()
	lookalike := "data/batch.2025141012.csv" // a name of the form, not of its bytes
	site[lookalike] = &fstest.MapFile{Data: []byte("a,b\n")}
	mustDeploy(t, b, site, Options{})
	if err := b.Delete(context.Background(), ManifestKey); err != nil {
		t.Fatal(err)
	}
	res := mustDeploy(t, b, siteB(), Options{KeepAssets: time.Hour, Now: c.now})
	if len(res.Plan.Kept) != 1 || res.Plan.Kept[0].Key != "assets/"+styleA {
		t.Errorf("kept %v, want styleA only", res.Plan.Kept)
	}
	if exists(t, b, lookalike) || !slices.Contains(keys(res.Plan), "删除 "+lookalike) {
		t.Errorf("%s kept: its name looks fingerprinted, its Cache-Control is short", lookalike)
	}
}

// TestManifestCorrupt: a manifest that does not parse is a warning and
// errs on the side of keeping; the deploy writes a good one.
func TestManifestCorrupt(t *testing.T) {
	b := fileBucket(t)
	c := newClock()
	opts := Options{KeepAssets: time.Hour, Now: c.now}
	mustDeploy(t, b, siteA(), opts)
	mustDeploy(t, b, siteB(), opts)
	c.advance(2 * time.Hour) // styleA past its grace period, but the record of it is lost:
	if err := b.WriteAll(context.Background(), ManifestKey, []byte("{not json"), nil); err != nil {
		t.Fatal(err)
	}
	res := mustDeploy(t, b, siteB(), opts)
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].String(), ".qualbridge/deploy.json: warning: 部署记录无法解析") {
		t.Errorf("warnings %v, want one about the manifest", res.Warnings)
	}
	if len(res.Plan.Kept) != 1 || !exists(t, b, "assets/"+styleA) {
		t.Errorf("kept %v: want styleA kept for a new grace period", res.Plan.Kept)
	}
	if m := readManifestT(t, b); m.Format != 1 || len(m.Retired) != 1 {
		t.Errorf("manifest not rewritten: %+v", m)
	}
}

// TestReservedPath: a site may not have files where the deploy keeps its
// record.
func TestReservedPath(t *testing.T) {
	b := fileBucket(t)
	site := siteA()
	site[ManifestKey] = &fstest.MapFile{Data: []byte("{}")}
	_, err := ToBucket(context.Background(), b, site, Options{From: "public", To: "file://store", MaxDeletes: -1})
	if err == nil || !strings.Contains(err.Error(), "这一路径留给部署记录") {
		t.Errorf("err = %v, want a refusal of %s", err, ManifestKey)
	}
}
