package remote

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"os"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/qualbridge/qualbridge/verifier/trust"
)

// Cache-Control of the snapshot's objects, for a CDN in front of the
// store: everything but the head is immutable under its name.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheHead      = "no-cache"
)

// Bucket is a snapshot store as a [trust.Target]. Has answers from one
// listing, made at its first call.
type Bucket struct {
	b      *blob.Bucket
	listed map[string]*blob.ListObject
}

// NewBucket returns the [trust.Target] of b.
func NewBucket(b *blob.Bucket) *Bucket { return &Bucket{b: b} }

// ReadHead implements [trust.Target].
func (t *Bucket) ReadHead(ctx context.Context) ([]byte, error) {
	b, err := readLimited(ctx, t.b, trust.HeadFile, trust.MaxHead)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	return b, err
}

// Has implements [trust.Target]: the listing holds path at data's size
// and, where the store lists MD5s, data's MD5.
func (t *Bucket) Has(ctx context.Context, path string, data []byte) (bool, error) {
	if t.listed == nil {
		objs, err := listAll(ctx, t.b)
		if err != nil {
			return false, err
		}
		t.listed = objs
	}
	o, ok := t.listed[path]
	if !ok || o.Size != int64(len(data)) {
		return false, nil
	}
	if o.MD5 != nil {
		sum := md5.Sum(data)
		return bytes.Equal(o.MD5, sum[:]), nil
	}
	return true, nil
}

// Write implements [trust.Target]: one request, checked by the store
// against the data's MD5.
func (t *Bucket) Write(ctx context.Context, path string, data []byte) error {
	sum := md5.Sum(data)
	cc := cacheImmutable
	if path == trust.HeadFile {
		cc = cacheHead
	}
	wo := &blob.WriterOptions{ContentType: "application/octet-stream", CacheControl: cc, ContentMD5: sum[:]}
	// One request for the whole object (a pack of 16,384 records is
	// 9.4 MB): an upload in parts gets an ETag that is no MD5, and the
	// next publish could not tell from the listing that it is unchanged.
	if len(data) >= 5<<20 {
		wo.BufferSize = len(data) + 1
	}
	return t.b.WriteAll(ctx, path, data, wo)
}

// List implements [trust.Target].
func (t *Bucket) List(ctx context.Context) (map[string]int64, error) {
	objs, err := listAll(ctx, t.b)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(objs))
	for k, o := range objs {
		out[k] = o.Size
	}
	return out, nil
}

// Delete implements [trust.Target].
func (t *Bucket) Delete(ctx context.Context, path string) error {
	err := t.b.Delete(ctx, path)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

func listAll(ctx context.Context, b *blob.Bucket) (map[string]*blob.ListObject, error) {
	out := map[string]*blob.ListObject{}
	it := b.List(nil)
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if !o.IsDir {
			out[o.Key] = o
		}
	}
}

// errTooLarge: an object over the size its head allows.
var errTooLarge = errors.New("object larger than the head allows")

// readLimited reads the object key of at most max bytes.
func readLimited(ctx context.Context, b *blob.Bucket, key string, max int64) ([]byte, error) {
	var dir os.FileInfo
	if b.As(&dir) {
		// A file:// store: opening a named pipe there would block the
		// poller for good (the open ignores ctx), so only regular files
		// are read.
		a, err := b.Attributes(ctx, key)
		if err != nil {
			return nil, err
		}
		var fi os.FileInfo
		if a.As(&fi) && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file (%v)", key, fi.Mode().Type())
		}
	}
	r, err := b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if r.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes: %w (%d)", key, r.Size(), errTooLarge, max)
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w (%d)", key, errTooLarge, max)
	}
	return data, nil
}
