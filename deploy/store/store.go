// Package store opens the object stores qualbridge writes to (the site,
// the verifier snapshot) and a verifier reads from, by gocloud.dev/blob
// URL, and says in Chinese what a store's error means.
//
// It registers no driver itself: the schemes a program opens are those
// whose drivers it links. Package deploy (and so qualbridge) links all
// four: s3:// (AWS and any S3-compatible store), gs://, azblob:// and
// file://. The verifier links s3://, azblob:// and file:// only: the
// Google Cloud Storage client would add some 17 MB to every replica's
// memory for one small request a poll, and GCS answers the S3 protocol
// too (s3://bucket?endpoint=https://storage.googleapis.com with HMAC
// keys).
package store

import (
	"context"
	"net/url"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/qualbridge/qualbridge/diag"
)

// OpenError is a store URL that does not open.
type OpenError struct {
	URL string // without its query ([Redact])
	Err error
}

func (e *OpenError) Error() string { return e.URL + ": " + e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// Diagnostic is what an operator is told: positioned at the URL, with
// the forms a URL takes.
func (e *OpenError) Diagnostic() diag.Diagnostic {
	return diag.Diagnostic{Pos: diag.Pos{File: e.URL}, Message: "无法打开存储：" + e.Err.Error(),
		Hint: "地址形如 s3://桶名?endpoint=http://主机:端口&region=us-east-1&use_path_style=true、gs://桶名、azblob://容器名或 file:///文件夹"}
}

// Open opens the store at the gocloud.dev/blob URL raw, with the
// store's usual credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
// or ~/.aws for s3://, Application Default Credentials for gs://,
// AZURE_STORAGE_ACCOUNT and a key or identity for azblob://), never from
// flags. A URL that does not open is an [*OpenError]. Opening contacts
// no server: a store that is down fails at the first request.
func Open(ctx context.Context, raw string) (*blob.Bucket, error) {
	b, err := blob.OpenBucket(ctx, raw)
	if err != nil {
		return nil, &OpenError{URL: Redact(raw), Err: err}
	}
	return b, nil
}

// Redact returns a store URL without its query (which may name hosts or
// profiles an operator would not paste into a ticket), for messages.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// Message says in Chinese what a store's error means, where its code
// says, followed by the error itself.
func Message(err error) string {
	what := map[gcerrors.ErrorCode]string{
		gcerrors.NotFound:          "存储桶或对象不存在",
		gcerrors.PermissionDenied:  "没有权限",
		gcerrors.InvalidArgument:   "请求无效",
		gcerrors.ResourceExhausted: "超出存储的配额或请求速率",
		gcerrors.DeadlineExceeded:  "超时",
		gcerrors.Unimplemented:     "存储不支持这一操作",
	}[gcerrors.Code(err)]
	if what == "" {
		return err.Error()
	}
	return what + "（" + err.Error() + "）"
}
