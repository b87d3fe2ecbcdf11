package store_test

import (
	"context"
	"errors"
	"testing"

	_ "gocloud.dev/blob/fileblob"

	"github.com/qualbridge/qualbridge/deploy/store"
)

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"s3://snap?endpoint=http://10.0.0.5:8333&region=us-east-1&profile=centre": "s3://snap",
		"file:///srv/snapshot":                                 "file:///srv/snapshot",
		"azblob://snapshots?domain=blob.core.chinacloudapi.cn": "azblob://snapshots",
		"not a url": "not a url",
	} {
		if got := store.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenError: a scheme no driver is linked for is an OpenError that
// names the URL without its query and says what a URL looks like.
func TestOpenError(t *testing.T) {
	_, err := store.Open(context.Background(), "gs://snap?secret=x")
	var oe *store.OpenError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v, want an OpenError", err)
	}
	d := oe.Diagnostic()
	if d.Pos.File != "gs://snap" || d.Hint == "" {
		t.Errorf("diagnostic %+v", d)
	}
	if b, err := store.Open(context.Background(), "file://"+t.TempDir()); err != nil {
		t.Errorf("file:// with its driver linked: %v", err)
	} else {
		b.Close()
	}
}
