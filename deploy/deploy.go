package deploy

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	objstore "github.com/qualbridge/qualbridge/deploy/store"
	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/publish"

	// The stores a deploy can write to, by URL scheme: s3:// (AWS and any
	// S3-compatible store), gs://, azblob:// and file://.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
)

// Options controls a deploy.
type Options struct {
	// From names the site folder in messages ("public"); Site also reads
	// the site from it.
	From string
	// To names the store in messages; Site also opens it as a
	// gocloud.dev/blob URL.
	To string
	// MaxDeletes refuses a deploy that would delete more objects than
	// this, before anything is changed: zero allows no deletion, a
	// negative value any number.
	MaxDeletes int
	// DryRun plans the deploy and changes nothing.
	DryRun bool
	// Gzip uploads a gzip-compressed copy of text files, with
	// Content-Encoding: gzip. Off by default: most CDNs compress for the
	// client, and a client that does not accept gzip cannot read such an
	// object served straight from the store.
	Gzip bool
	// Force uploads every file, changed or not (after a change of the
	// header rules, say, which content hashes do not see).
	Force bool
	// KeepAssets is how long a fingerprinted asset the site no longer has
	// stays in the store after the last page that loaded it went, for the
	// pages that CDNs and open browser tabs still hold (see [ManifestKey]).
	// Zero deletes such assets with the deploy that retires them, like
	// everything else the site no longer has.
	KeepAssets time.Duration
	// Now is the clock that times KeepAssets (default time.Now).
	Now func() time.Time
	// Workers is how many uploads or deletions run at once (default 16).
	Workers int
	// Progress, if set, is called after each upload or deletion, never
	// concurrently.
	Progress func(Progress)
}

// Progress is how far a deploy has got.
type Progress struct {
	Phase       string // "assets", "pages", "indexes" or "deletions"
	Done, Total int    // operations done and planned, over all phases
	Bytes       int64  // bytes uploaded so far
}

// Op is what a deploy does to one object.
type Op int

const (
	Add    Op = iota // a file the store does not have
	Update           // a file whose content in the store differs
	Delete           // an object the site no longer has
)

// String returns the operation in Chinese, as the plan prints it.
func (o Op) String() string {
	switch o {
	case Add:
		return "新增"
	case Update:
		return "更新"
	}
	return "删除"
}

// Change is one operation of a plan.
type Change struct {
	Key  string // object key, the file's slash-separated path in the site
	Op   Op
	Size int64 // bytes to upload (after compression); 0 for a deletion
	file *file
	cls  class
}

// Plan is what a deploy does, in the order it does it: uploads of assets,
// then pages, then indexes, then deletions of indexes, pages, assets.
// Kept lists the old assets it leaves in the store for now.
type Plan struct {
	Changes   []Change
	Kept      []Kept
	Unchanged int   // files the store already holds as they are
	Bytes     int64 // bytes to upload
	Uploads   int
	Deletes   int // deletions only: a kept asset is not one
}

// Result is what a deploy did.
type Result struct {
	Plan     Plan
	Files    int   // files in the site
	Objects  int   // objects the store held before
	Uploaded int   // uploads done
	Deleted  int   // deletions done
	Bytes    int64 // bytes uploaded
	Duration time.Duration
	Scan     time.Duration // of which reading and hashing the site
	List     time.Duration // and listing the store
	Warnings diag.List     // what an operator should know of a deploy that succeeded
}

// ErrTooManyDeletes is wrapped by the error of a deploy refused by
// [Options.MaxDeletes].
var ErrTooManyDeletes = errors.New("too many deletions")

// Error is how a deploy fails: what an operator is told, as diagnostics
// (positioned at the file or the store, in Chinese, with a hint), and the
// cause beneath, for [errors.Is].
type Error struct {
	Diagnostics diag.List
	Err         error
}

func (e *Error) Error() string { return e.Diagnostics.Err().Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(where, msg, hint string, err error) *Error {
	return &Error{Diagnostics: diag.List{{Pos: diag.Pos{File: where}, Message: msg, Hint: hint}}, Err: err}
}

// Site deploys the site in the folder dir to the store at the
// gocloud.dev/blob URL to:
//
//	s3://bucket?region=us-east-1                         AWS S3
//	s3://site?endpoint=http://127.0.0.1:8333&region=us-east-1&use_path_style=true
//	                                                     any S3-compatible store
//	gs://bucket   azblob://container   file:///srv/site
//
// opts.From and opts.To, when empty, are set from dir and to.
func Site(ctx context.Context, dir, to string, opts Options) (*Result, error) {
	if opts.From == "" {
		opts.From = dir
	}
	if opts.To == "" {
		opts.To = Redact(to)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fail(opts.From, "不是网站文件夹", "先运行 qualbridge build 生成网站，或用 -src 指向生成的文件夹", err)
	}
	b, err := Open(ctx, to)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return ToBucket(ctx, b, os.DirFS(dir), opts)
}

// Open opens the store at the gocloud.dev/blob URL to ([objstore.Open]); a
// URL that does not open is an [*Error].
func Open(ctx context.Context, to string) (*blob.Bucket, error) {
	b, err := objstore.Open(ctx, to)
	var oe *objstore.OpenError
	if errors.As(err, &oe) {
		return nil, &Error{Diagnostics: diag.List{oe.Diagnostic()}, Err: err}
	}
	return b, err
}

// Redact returns a store URL without its query, for messages
// ([objstore.Redact]).
func Redact(raw string) string { return objstore.Redact(raw) }

// ToBucket deploys the site to b: it lists b, compares every file's
// content hash with what b holds, and uploads what changed and deletes
// what the site no longer has, in the order of [Plan].
func ToBucket(ctx context.Context, b *blob.Bucket, site fs.FS, opts Options) (*Result, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = 16
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	files, err := scan(ctx, site, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Files: len(files), Scan: time.Since(start)}
	if _, ok := files["index.html"]; !ok {
		return res, fail(opts.From, "没有 index.html，不像是生成好的网站；什么也没有改动",
			"先运行 qualbridge build，再部署它的输出文件夹", nil)
	}
	listStart := time.Now()
	remote, err := list(ctx, b)
	res.List = time.Since(listStart)
	if err != nil {
		if ctx.Err() != nil {
			return res, interrupted(opts, err, 0, 0)
		}
		return res, fail(opts.To, "无法列出存储中的对象："+storeErr(err), "检查地址（桶名、endpoint、region）、凭据（如 AWS_ACCESS_KEY_ID）和网络", err)
	}
	_, listed := remote[ManifestKey]
	maps.DeleteFunc(remote, func(k string, _ *blob.ListObject) bool { return reserved(k) })
	res.Objects = len(remote)
	m, held, warnings, err := readManifest(ctx, b, listed, opts)
	res.Warnings = warnings
	if err != nil {
		if ctx.Err() != nil {
			return res, interrupted(opts, err, 0, 0)
		}
		return res, fail(path.Join(opts.To, ManifestKey), "无法读取部署记录："+storeErr(err), "检查凭据和网络后重新运行", err)
	}
	plan, err := diff(ctx, b, files, remote, opts)
	var begin, end manifest
	var fresh []string
	if err == nil {
		begin, end, fresh, err = retire(ctx, b, &plan, files, m, opts.Now(), opts)
	}
	if err != nil {
		if ctx.Err() != nil {
			return res, interrupted(opts, err, 0, 0)
		}
		return res, fail(opts.To, "无法读取存储中对象的属性："+storeErr(err), "检查凭据和网络后重新运行", err)
	}
	res.Plan = plan
	if opts.MaxDeletes >= 0 && plan.Deletes > opts.MaxDeletes {
		return res, fail(opts.To, fmt.Sprintf("将删除存储中的 %d 个对象，超过上限 %d；什么也没有改动", plan.Deletes, opts.MaxDeletes),
			fmt.Sprintf("先用 -dry-run 看清要删除的对象；确认存储地址和 %s 都没错后，用 -max-deletes %d 重新运行", opts.From, plan.Deletes),
			ErrTooManyDeletes)
	}
	if !opts.DryRun {
		err = deployWithManifest(ctx, b, site, opts, res, held, begin, end, fresh)
	}
	res.Duration = time.Since(start)
	return res, err
}

// deployWithManifest carries out the plan between the two writes of the
// manifest: the first, before any upload, names the build's assets as
// loaded by pages in the store; the last, once every page is the
// build's, retires the assets no page loads any more.
func deployWithManifest(ctx context.Context, b *blob.Bucket, site fs.FS, opts Options, res *Result, held []byte, begin, end manifest, fresh []string) error {
	held, err := writeManifest(ctx, b, begin, held)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(opts, err, 0, len(res.Plan.Changes))
		}
		return fail(path.Join(opts.To, ManifestKey), "无法写入部署记录："+storeErr(err), "什么也没有上传；排除问题后重新运行", err)
	}
	if err := apply(ctx, b, site, res.Plan, opts, res); err != nil {
		return err
	}
	// The assets this deploy retires have been loaded by no page in the
	// store since now, not since it began.
	now := opts.Now()
	for _, k := range fresh {
		end.Retired[k] = now
	}
	for i, k := range res.Plan.Kept {
		if slices.Contains(fresh, k.Key) {
			res.Plan.Kept[i].Since, res.Plan.Kept[i].Until = now, now.Add(opts.KeepAssets)
		}
	}
	if _, err := writeManifest(ctx, b, end, held); err != nil {
		if ctx.Err() != nil {
			return interrupted(opts, err, len(res.Plan.Changes), len(res.Plan.Changes))
		}
		return fail(path.Join(opts.To, ManifestKey), "网站已部署，但无法更新部署记录："+storeErr(err),
			"网站可用；重新运行同一条 qualbridge deploy 以更新记录，否则旧资源会保留得更久", err)
	}
	return nil
}

// file is one file of the site, as it would be uploaded.
type file struct {
	size        int64 // bytes uploaded
	md5         []byte
	sourceMD5   string // hex MD5 of the file itself, before compression
	contentType string
	cache       string
	encoding    string // "gzip" or ""
}

// metaMD5 is the metadata key holding the hex MD5 of the file as in the
// site, before compression. A store's own hash (the S3 ETag) is compared
// first, from the listing alone; this is read only where the listing
// cannot settle it (an object uploaded in parts, a store that lists no
// MD5s).
const metaMD5 = "qualbridge-md5"

// scan reads and hashes every file of the site, a few at a time.
func scan(ctx context.Context, site fs.FS, opts Options) (map[string]*file, error) {
	var keys []string
	err := fs.WalkDir(site, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if reserved(p) {
			return fmt.Errorf("%s: 这一路径留给部署记录（%s），网站里不能有", p, ManifestKey)
		}
		if p == publish.Marker {
			return nil // the generator's mark of a folder it owns, not part of the site
		}
		if d.Type().IsRegular() {
			keys = append(keys, p)
		} else if !d.IsDir() {
			return fmt.Errorf("%s: 不是普通文件（符号链接或设备）", p)
		}
		return nil
	})
	if err != nil {
		return nil, fail(opts.From, "无法读取网站文件夹："+err.Error(), "", err)
	}
	files := make(map[string]*file, len(keys))
	var (
		mu   sync.Mutex
		errs diag.List
	)
	parallel(ctx, len(keys), runtime.GOMAXPROCS(0), func(i int) {
		key := keys[i]
		f, err := prepare(site, key, opts.Gzip)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, diag.Diagnostic{Pos: diag.Pos{File: path.Join(opts.From, key)}, Message: "无法读取：" + err.Error()})
			return
		}
		files[key] = f.file
	})
	if len(errs) > 0 {
		errs.Sort()
		return nil, &Error{Diagnostics: errs}
	}
	if err := ctx.Err(); err != nil {
		return nil, interrupted(opts, err, 0, 0)
	}
	return files, nil
}

type prepared struct {
	*file
	body []byte
}

// prepare reads a file and makes the bytes to upload.
func prepare(site fs.FS, key string, compress bool) (prepared, error) {
	data, err := fs.ReadFile(site, key)
	if err != nil {
		return prepared{}, err
	}
	src := md5.Sum(data)
	f := &file{sourceMD5: hex.EncodeToString(src[:]), contentType: contentType(key), cache: cacheControl(key, data)}
	body := data
	if compress && compressible(f.contentType) && len(data) > 256 {
		var buf bytes.Buffer
		buf.Grow(len(data) / 3)
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(data)
		zw.Close()
		body, f.encoding = buf.Bytes(), "gzip"
	}
	sum := md5.Sum(body)
	f.md5, f.size = sum[:], int64(len(body))
	return prepared{file: f, body: body}, nil
}

// list reads every object key, size and hash in the store: the one cost of
// a deploy that changes nothing.
func list(ctx context.Context, b *blob.Bucket) (map[string]*blob.ListObject, error) {
	remote := map[string]*blob.ListObject{}
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return remote, nil
			}
			return nil, err
		}
		remote[obj.Key] = obj
	}
}

// diff compares the site with the store.
func diff(ctx context.Context, b *blob.Bucket, files map[string]*file, remote map[string]*blob.ListObject, opts Options) (Plan, error) {
	var plan Plan
	// A store whose listed hash matches a file's MD5 for even one object
	// lists MD5s (S3's ETag of an object uploaded in one request, GCS's
	// and Azure's Content-MD5): a differing hash there means a changed
	// file. A store that lists no MD5s (one that encrypts, say) leaves
	// every difference in doubt, settled by the object's attributes.
	md5s := false
	for key, f := range files {
		if obj, ok := remote[key]; ok && bytes.Equal(obj.MD5, f.md5) {
			md5s = true
			break
		}
	}
	var doubt []string // keys whose listed hash does not settle it
	for key, f := range files {
		obj, ok := remote[key]
		switch {
		case !ok:
			plan.Changes = append(plan.Changes, Change{Key: key, Op: Add, Size: f.size, file: f, cls: classify(key)})
		case opts.Force:
			plan.Changes = append(plan.Changes, Change{Key: key, Op: Update, Size: f.size, file: f, cls: classify(key)})
		case obj.Size == f.size && bytes.Equal(obj.MD5, f.md5):
			plan.Unchanged++
		case md5s && obj.MD5 != nil:
			plan.Changes = append(plan.Changes, Change{Key: key, Op: Update, Size: f.size, file: f, cls: classify(key)})
		default:
			doubt = append(doubt, key)
		}
	}
	// Where the listing does not settle it, the object's own headers and
	// the hash it was uploaded with do.
	slices.Sort(doubt)
	same := make([]bool, len(doubt))
	errs := make([]error, len(doubt))
	parallel(ctx, len(doubt), opts.Workers, func(i int) {
		a, err := b.Attributes(ctx, doubt[i])
		if err != nil {
			if gcerrors.Code(err) != gcerrors.NotFound {
				errs[i] = err
			}
			return
		}
		f := files[doubt[i]]
		same[i] = a.Metadata[metaMD5] == f.sourceMD5 && a.ContentEncoding == f.encoding &&
			a.ContentType == f.contentType && a.CacheControl == f.cache
	})
	if err := errors.Join(errs...); err != nil {
		return plan, err
	}
	if err := ctx.Err(); err != nil {
		return plan, err
	}
	for i, key := range doubt {
		if same[i] {
			plan.Unchanged++
			continue
		}
		f := files[key]
		plan.Changes = append(plan.Changes, Change{Key: key, Op: Update, Size: f.size, file: f, cls: classify(key)})
	}
	for key := range remote {
		if _, ok := files[key]; !ok {
			plan.Changes = append(plan.Changes, Change{Key: key, Op: Delete, cls: classify(key)})
		}
	}
	slices.SortFunc(plan.Changes, func(a, b Change) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Key, b.Key)
	})
	for _, c := range plan.Changes {
		if c.Op == Delete {
			plan.Deletes++
		} else {
			plan.Uploads++
			plan.Bytes += c.Size
		}
	}
	return plan, nil
}

// rank is a change's phase: uploads by class (assets, pages, indexes),
// then deletions in the reverse order, so that nothing in the store ever
// names an object that is not there yet or no longer.
func rank(c Change) int {
	if c.Op == Delete {
		return 2*int(classIndex) + 1 - int(c.cls)
	}
	return int(c.cls)
}

func phaseName(r int) string {
	if r > int(classIndex) {
		return "deletions"
	}
	return class(r).String()
}

// apply carries out a plan, one phase at a time: a phase starts only when
// every operation of the one before has succeeded.
func apply(ctx context.Context, b *blob.Bucket, site fs.FS, plan Plan, opts Options, res *Result) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		done     int
	)
	total := len(plan.Changes)
	for start := 0; start < total; {
		r := rank(plan.Changes[start])
		end := start
		for end < total && rank(plan.Changes[end]) == r {
			end++
		}
		phase := plan.Changes[start:end]
		parallel(ctx, len(phase), opts.Workers, func(i int) {
			c := phase[i]
			var err error
			if c.Op == Delete {
				err = b.Delete(ctx, c.Key)
				if gcerrors.Code(err) == gcerrors.NotFound {
					err = nil // gone already: a re-run after an interrupted one
				}
			} else {
				err = upload(ctx, b, site, c)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = opErr(opts, c, err)
					cancel()
				}
				return
			}
			done++
			if c.Op == Delete {
				res.Deleted++
			} else {
				res.Uploaded++
				res.Bytes += c.Size
			}
			if opts.Progress != nil {
				opts.Progress(Progress{Phase: phaseName(r), Done: done, Total: total, Bytes: res.Bytes})
			}
		})
		if firstErr != nil {
			// Only the caller cancels before the first error is set.
			if errors.Is(firstErr, context.Canceled) || errors.Is(firstErr, context.DeadlineExceeded) {
				return interrupted(opts, firstErr, done, total)
			}
			return firstErr
		}
		if err := ctx.Err(); err != nil {
			return interrupted(opts, err, done, total)
		}
		start = end
	}
	return nil
}

// upload writes one file to the store, with its headers and hash.
func upload(ctx context.Context, b *blob.Bucket, site fs.FS, c Change) error {
	p, err := prepare(site, c.Key, c.file.encoding != "")
	if err != nil {
		return err
	}
	if !bytes.Equal(p.md5, c.file.md5) {
		return fmt.Errorf("部署过程中文件被改动了")
	}
	wo := &blob.WriterOptions{
		ContentType:     p.contentType,
		CacheControl:    p.cache,
		ContentEncoding: p.encoding,
		ContentMD5:      p.md5,
		Metadata:        map[string]string{metaMD5: p.sourceMD5},
	}
	// One request per object, so that S3's ETag is the MD5 of the object
	// (an upload in parts gets another ETag) and the next deploy can tell
	// from the listing alone that it is unchanged.
	if len(p.body) >= 5<<20 {
		wo.BufferSize = len(p.body) + 1
	}
	return b.WriteAll(ctx, c.Key, p.body, wo)
}

func opErr(opts Options, c Change, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	verb := "上传"
	if c.Op == Delete {
		verb = "删除"
	}
	// Not path.Join: it would clean "s3://site" into "s3:/site".
	return fail(strings.TrimSuffix(opts.To, "/")+"/"+c.Key, verb+"失败："+storeErr(err),
		"已上传的部分不影响网站；排除问题后重新运行 qualbridge deploy，会从中断处继续", err)
}

func storeErr(err error) string { return objstore.Message(err) }

func interrupted(opts Options, err error, done, total int) error {
	return fail(opts.To, fmt.Sprintf("部署被中断，已完成 %d/%d 项操作", done, total),
		"网站仍然可用（旧页面或部分新页面，所引用的资源都在）；重新运行同一条 qualbridge deploy 即可完成", err)
}

// parallel calls f(0) … f(n-1) on up to workers goroutines, and stops
// handing out work when ctx is done.
func parallel(ctx context.Context, n, workers int, f func(i int)) {
	if workers > n {
		workers = n
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}
