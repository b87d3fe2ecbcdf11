package generator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Publish puts the finished site tmp in place of out. Where the system can
// exchange two directories in one step (Linux renameat2), a reader of out
// sees either the old site or the new, never neither; elsewhere out is
// moved aside and tmp renamed in its place, and the old one restored if
// that fails. The previous site is removed. The dev server publishes its
// in-memory site with it too.
func Publish(tmp, out string) error {
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, out)
	}
	if err := exchange(tmp, out); err == nil {
		// tmp now holds the previous site.
		return removeAll(tmp)
	}
	old, err := os.MkdirTemp(filepath.Dir(out), filepath.Base(out)+".old-")
	if err != nil {
		return err
	}
	if err := os.Remove(old); err != nil {
		return err
	}
	if err := os.Rename(out, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		if rerr := os.Rename(old, out); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return removeAll(old)
}

// removeAll is os.RemoveAll of a site, its top-level directories (one per
// script, mostly) removed side by side: removing 24,000 files is a good
// part of a big rebuild.
func removeAll(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return os.RemoveAll(dir)
	}
	errs := make([]error, len(ents))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, e := range ents {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = os.RemoveAll(filepath.Join(dir, e.Name()))
		})
	}
	wg.Wait()
	return errors.Join(append(errs, os.RemoveAll(dir))...)
}
