package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/qualbridge/qualbridge/deploy"
)

// runDeploy puts the built site into an object store:
//
//	qualbridge deploy -to "s3://site?endpoint=http://127.0.0.1:8333&region=us-east-1&use_path_style=true"
//	已部署到 s3://site：上传 3 个（12.4 KB），删除 1 个，未变 217 个，用时 0.4s
//
// Credentials come from the store's usual places (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY or ~/.aws for s3://, Application Default
// Credentials for gs://, AZURE_STORAGE_ACCOUNT and a key or identity for
// azblob://), never from flags, so that they stay out of shell history.
func runDeploy(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	src := fs.String("src", "public", "the built site to deploy")
	to := fs.String("to", "", "the store, a gocloud.dev/blob URL: s3://bucket?endpoint=…&region=…, gs://bucket, azblob://container, file:///dir")
	dry := fs.Bool("dry-run", false, "print the plan, change nothing")
	maxDeletes := fs.Int("max-deletes", 256, "refuse to deploy when more objects than this would be deleted (-1: no limit)")
	gz := fs.Bool("gzip", false, "upload gzip-compressed copies of text files, with Content-Encoding: gzip")
	force := fs.Bool("force", false, "upload every file, changed or not")
	keep := fs.Duration("keep-assets", 24*time.Hour, "keep a fingerprinted asset the site no longer has this long after its last page went (0: delete it at once)")
	workers := fs.Int("workers", 16, "uploads at once")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: qualbridge deploy -to URL [-src public] [-dry-run] [-max-deletes N] [-keep-assets 24h] [-gzip] [-force]")
		fmt.Fprintln(c.stderr, "\nuploads what changed in the built site to an object store, assets first, deletions last")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *keep < 0 {
		c.errorf("-keep-assets 不能为负数，收到 %v", *keep)
		fs.Usage()
		return errUsage
	}
	if fs.NArg() > 0 || *to == "" {
		if *to == "" {
			c.errorf("缺少 -to：要部署到哪个存储")
		} else {
			c.errorf("deploy 不接受参数，收到 %q", fs.Arg(0))
		}
		fs.Usage()
		return errUsage
	}

	opts := deploy.Options{MaxDeletes: *maxDeletes, DryRun: *dry, Gzip: *gz, Force: *force, Workers: *workers, KeepAssets: *keep}
	progress := isTerminal(c.stderr)
	if progress {
		opts.Progress = func(p deploy.Progress) {
			fmt.Fprintf(c.stderr, "\r%s %d/%d，已上传 %s\x1b[K", phaseWord[p.Phase], p.Done, p.Total, size(p.Bytes))
		}
	}
	res, err := deploy.Site(ctx, *src, *to, opts)
	if progress && res != nil && res.Uploaded+res.Deleted > 0 {
		fmt.Fprint(c.stderr, "\r\x1b[K")
	}
	if res != nil && (*dry || errors.Is(err, deploy.ErrTooManyDeletes)) {
		for _, ch := range res.Plan.Changes {
			fmt.Fprintf(c.stdout, "%s %s\n", ch.Op, ch.Key)
		}
		for _, k := range res.Plan.Kept {
			fmt.Fprintln(c.stdout, k)
		}
	}
	if res != nil {
		for _, d := range res.Warnings {
			c.errorf("%s: %s: %s", d.Pos, d.Severity, d.Message)
			if d.Hint != "" {
				c.hintf("%s", d.Hint)
			}
		}
	}
	if c.storeFailure(err) {
		return errReported
	}
	if err != nil {
		return err
	}
	p := res.Plan
	kept := ""
	if len(p.Kept) > 0 {
		kept = fmt.Sprintf("保留旧资源 %d 个，", len(p.Kept))
	}
	if *dry {
		fmt.Fprintf(c.stdout, "计划（未改动任何内容）：上传 %d 个（%s），删除 %d 个，%s未变 %d 个\n", p.Uploads, size(p.Bytes), p.Deletes, kept, p.Unchanged)
		return nil
	}
	fmt.Fprintf(c.stdout, "已部署到 %s：上传 %d 个（%s），删除 %d 个，%s未变 %d 个，用时 %v\n",
		deploy.Redact(*to), res.Uploaded, size(res.Bytes), res.Deleted, kept, p.Unchanged, res.Duration.Round(10*time.Millisecond))
	return nil
}

var phaseWord = map[string]string{"assets": "上传资源", "pages": "上传页面", "indexes": "上传索引", "deletions": "删除"}

// isTerminal reports whether w is a terminal, where a progress line that
// rewrites itself is welcome (and not in a log or a pipe).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// storeFailure prints the diagnostics of a [deploy.Error] (a store URL
// that does not open, a refused deploy), each with its hint, and
// reports whether err was one.
func (c *cli) storeFailure(err error) bool {
	var de *deploy.Error
	if !errors.As(err, &de) {
		return false
	}
	for _, d := range de.Diagnostics {
		c.errorf("%s: %s", d.Pos, d.Message)
		if d.Hint != "" {
			c.hintf("%s", d.Hint)
		}
	}
	return true
}
