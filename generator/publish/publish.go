// Package publish is the last stage of a build: it puts a finished site
// in the place of the output folder (public/) in one step, so that a
// reader, a web server or rsync, sees either the old site or the new one,
// never half of each, and a failed build leaves the output as it was.
//
//	st, err := publish.NewStage("public", publish.Options{})
//	… st.WriteFile("zh-hans/index.html", page) for every file …
//	err = st.Commit() // or st.Abort() when the build failed
//
// # What it will write over
//
// Only what a build made. Every stage gets a marker file, [Marker], at
// its root, so every site it publishes has one; [NewStage] refuses an
// output that exists and is not a folder (a file, a symbolic link), or a
// folder that holds anything but has no marker, and likewise a kept
// <out>.prev without one: pointed by mistake at a folder of documents,
// it says so and touches nothing.
//
// # The site before last, <out>.prev
//
// Making a file or directory (allocating an inode) is the dearest thing
// a build does to a disk. On this project's build machine it costs
// 0.3-0.4 ms on ext4, against 0.01 ms to rewrite an existing file, so a
// site of 24,000 pages spent most of its build making its 48,000 files
// and directories. So where the system can exchange two directories in
// one step (Linux renameat2), the site that a build replaces is kept
// beside the output as "<out>.prev", and the next build is written over
// it, file by file, and swapped in: every file of the new site is written
// whole, everything else is removed at commit, and nothing of the old
// tree is trusted or followed (a symbolic link in it is replaced, never
// written through; a file with a second hard link is replaced, so that
// the other name keeps its content). The price is a second copy of the
// site on disk; [Options.NoPrevious] (qualbridge build -no-prev) does
// without it, and each build then makes every file anew.
//
// # A build that dies
//
// A stage is a folder "<out>.tmp-*" beside the output, locked (flock on
// its marker) while its build runs. One left by a build that was killed
// is unlocked: the next [NewStage] takes it as its site before last when
// there is none, and removes it otherwise, so no copy of the site
// leaks.
package publish

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/qualbridge/qualbridge/diag"
)

// Marker is the name of the file at the root of every site published
// here, by which [NewStage] knows a folder it may replace.
const Marker = ".qualbridge-site"

// markerText is the content of the [Marker] file, for whoever finds it.
const markerText = "此文件夹由 qualbridge build 生成，每次构建都会被整体替换：请勿在这里存放其他文件。\n" +
	"This folder is written by qualbridge build and replaced whole by each build.\n"

// keptSuffix names the site before last, kept beside the output to be
// updated into the next one.
const keptSuffix = ".prev"

// Options control a [Stage].
type Options struct {
	// NoPrevious publishes without keeping the site before last as
	// <out>.prev: half the disk, and every file made anew by each build.
	// A <out>.prev left by earlier builds is removed.
	NoPrevious bool
}

// A Stage is the folder a new site is written into, beside the output
// folder, until [Stage.Commit] puts it in the output's place.
//
// Concurrent calls to WriteFile are safe; Commit and Abort are called
// once, after the last WriteFile.
type Stage struct {
	Dir   string // where the site is being written
	out   string
	opts  Options
	reuse bool // Dir holds an old site, updated in place
	lock  *os.File

	mu      sync.Mutex
	written map[string]bool // slash-separated names, when reusing
	dirs    map[string]bool // folders of Dir known to be real folders, when reusing
}

// NewStage prepares a stage for a new site to be published at out. It
// refuses (with a [diag.Diagnostic] as the error) an out, or a kept
// out.prev, that is not a site published here, and removes or takes over
// the stages of builds that died.
func NewStage(out string, opts Options) (*Stage, error) {
	out = filepath.Clean(out)
	if err := checkOut(out); err != nil {
		return nil, err
	}
	kept := out + keptSuffix
	keptOK, err := checkKept(kept)
	if err != nil {
		return nil, err
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	if opts.NoPrevious || !canExchange {
		if keptOK {
			if err := removeAll(kept); err != nil {
				return nil, err
			}
			keptOK = false
		}
	}
	keptOK, err = clearLeftovers(out, keptOK && !opts.NoPrevious && canExchange, opts.NoPrevious || !canExchange)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(out)+".tmp-")
	if err != nil {
		return nil, err
	}
	st := &Stage{Dir: tmp, out: out, opts: opts}
	if keptOK {
		// Claim the kept site: lock its marker (another build may be
		// claiming it too), then rename it to the fresh temp dir's
		// unique name, so that two builds never share one stage.
		if f, ok := tryLock(filepath.Join(kept, Marker)); ok {
			if err := os.Remove(tmp); err != nil {
				f.Close()
				return nil, err
			}
			if err := os.Rename(kept, tmp); err == nil {
				st.reuse, st.written, st.dirs = true, map[string]bool{}, map[string]bool{".": true}
				st.lock = f
			} else {
				f.Close()
				if err := os.Mkdir(tmp, 0o755); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := st.mark(); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return st, nil
}

// checkOut refuses an output that a build must not replace.
func checkOut(out string) error {
	fi, err := os.Lstat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return refusal(out, "输出位置是一个符号链接，构建不会替换它",
			"用 -out 指定一个真实的文件夹（或尚不存在的路径）")
	case !fi.IsDir():
		return refusal(out, "输出位置已有一个文件，不是文件夹，构建不会替换它",
			"用 -out 指定一个文件夹（或尚不存在的路径），或先把这个文件移走")
	}
	ours, err := hasMarker(out)
	if err != nil || ours {
		return err
	}
	if empty, err := isEmpty(out); err != nil || empty {
		// An empty folder is taken: removed now (os.Remove removes only
		// an empty one), so that it is not kept as <out>.prev without a
		// marker.
		if err == nil {
			err = os.Remove(out)
		}
		return err
	}
	return refusal(out, fmt.Sprintf("这个文件夹不是 qualbridge 生成的网站（里面没有 %s），构建不会替换它", Marker),
		"用 -out 指定另一个文件夹（或尚不存在的路径）；如果它确是旧版本生成的网站，先删除它再构建")
}

// checkKept reports whether kept is a site before last to be reused, and
// refuses one that is something else.
func checkKept(kept string) (bool, error) {
	fi, err := os.Lstat(kept)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case fi.IsDir() && fi.Mode()&fs.ModeSymlink == 0:
		ours, err := hasMarker(kept)
		if err != nil || ours {
			return ours, err
		}
	}
	return false, refusal(kept, "这里应是上一次构建留下的网站，却不是 qualbridge 生成的，构建不会改动它",
		"把它移走或改名后再构建")
}

// isEmpty reports whether the folder dir holds nothing.
func isEmpty(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return len(names) == 0, err
}

// hasMarker reports whether dir has a [Marker] file (not a link).
func hasMarker(dir string) (bool, error) {
	fi, err := os.Lstat(filepath.Join(dir, Marker))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil && fi.Mode().IsRegular(), err
}

func refusal(p, msg, hint string) error {
	return diag.Diagnostic{Pos: diag.Pos{File: p}, Severity: diag.Error, Message: msg, Hint: hint}
}

// clearLeftovers deals with the stages of builds that died, the unlocked
// "<out>.tmp-*" and "<out>.old-*" folders with a marker beside out: the
// first becomes <out>.prev when there is none and keep allows, the rest
// are removed. It returns whether there is a kept site to reuse.
func clearLeftovers(out string, kept, noKeep bool) (bool, error) {
	base := filepath.Base(out)
	ents, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		return kept, err
	}
	var errs []error
	for _, e := range ents {
		name := e.Name()
		if !e.IsDir() || !(strings.HasPrefix(name, base+".tmp-") || strings.HasPrefix(name, base+".old-")) {
			continue
		}
		dir := filepath.Join(filepath.Dir(out), name)
		f, ok := tryLock(filepath.Join(dir, Marker))
		if !ok {
			continue // a live build's, or not ours
		}
		if !kept && !noKeep {
			err := os.Rename(dir, out+keptSuffix)
			f.Close()
			if err == nil {
				kept = true
				continue
			}
		}
		errs = append(errs, removeAll(dir))
		f.Close()
	}
	return kept, errors.Join(errs...)
}

// mark writes the marker of the stage and locks it for the build (a
// reused stage's is locked already).
func (st *Stage) mark() error {
	f := st.lock
	if f == nil {
		var err error
		f, err = os.OpenFile(filepath.Join(st.Dir, Marker), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if err := lockFile(f); err != nil {
			f.Close()
			return err
		}
		st.lock = f
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(markerText), 0)
	return err
}

// WriteFile writes the file name (slash-separated, relative to the site
// root) with data, creating its folders.
func (st *Stage) WriteFile(name string, data []byte) error {
	if !filepath.IsLocal(filepath.FromSlash(name)) || name == Marker {
		return fmt.Errorf("%s: not a path inside the site", name)
	}
	full := filepath.Join(st.Dir, filepath.FromSlash(name))
	if st.reuse {
		st.mu.Lock()
		st.written[name] = true
		st.mu.Unlock()
		if err := st.realDirs(path.Dir(name)); err != nil {
			return err
		}
		if err := overwrite(full, data); err == nil {
			return nil
		}
		// Not there, or in the way (a directory where the file goes, a
		// symbolic link): clear the path and make the file afresh.
		if err := clearPath(st.Dir, name); err != nil {
			return err
		}
	}
	// One mkdir in the common case (the parent exists, since pages are
	// listed parents first); MkdirAll's extra stat calls only when not.
	if dir := filepath.Dir(full); dir != st.Dir {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(full, data, 0o644)
}

// realDirs makes sure that dir and each folder above it in a reused
// stage is a real folder or nothing, never a symbolic link (to a folder
// outside the site) or a file: whatever else stands there is removed, so
// that no write goes through it. Each folder is looked at once per
// build.
func (st *Stage) realDirs(dir string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.dirs[dir] {
		return nil
	}
	// Held while looking, so that no other writer makes a folder here
	// between the look and the removal.
	var todo []string
	for d := dir; !st.dirs[d]; d = path.Dir(d) {
		todo = append(todo, d)
	}
	for i := len(todo) - 1; i >= 0; i-- {
		full := filepath.Join(st.Dir, filepath.FromSlash(todo[i]))
		fi, err := os.Lstat(full)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		case !fi.IsDir():
			if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		st.dirs[todo[i]] = true
	}
	return nil
}

// clearPath removes whatever stands in the way of writing the file name
// under root: a non-directory where one of its directories goes, and a
// directory or link where the file goes.
func clearPath(root, name string) error {
	parts := strings.Split(name, "/")
	p := root
	for i, part := range parts {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		last := i == len(parts)-1
		if last && fi.Mode().IsRegular() {
			return os.Remove(p) // a file with other links: replace it
		}
		if last || !fi.IsDir() {
			return os.RemoveAll(p)
		}
	}
	return nil
}

// Commit removes from a reused stage what the new site does not have,
// then puts the stage in the output's place; the site it replaces is
// kept as <out>.prev (or removed, with [Options.NoPrevious] or where it
// cannot be exchanged).
func (st *Stage) Commit() error {
	defer st.unlock()
	if st.reuse {
		if err := st.prune(); err != nil {
			return err
		}
	}
	return publish(st.Dir, st.out, st.opts.NoPrevious)
}

// Abort gives up the stage: a reused one is kept for the next build, a
// fresh one removed.
func (st *Stage) Abort() {
	defer st.unlock()
	if st.reuse && os.Rename(st.Dir, st.out+keptSuffix) == nil {
		return
	}
	removeAll(st.Dir)
}

func (st *Stage) unlock() {
	if st.lock != nil {
		st.lock.Close()
		st.lock = nil
	}
}

// prune removes every file and directory of the stage that WriteFile did
// not write (or lead to), walking the top-level directories side by side.
func (st *Stage) prune() error {
	dirs := map[string]bool{".": true}
	for name := range st.written {
		for d := path.Dir(name); !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	// entry prunes the entry e of the directory dir ("." for the root).
	// A DirEntry's type is the entry's own, never a link's target.
	var entry func(dir string, e fs.DirEntry) error
	entry = func(dir string, e fs.DirEntry) error {
		name := path.Join(dir, e.Name())
		full := filepath.Join(st.Dir, filepath.FromSlash(name))
		switch {
		case name == Marker:
			return nil
		case e.IsDir() && dirs[name]:
			ents, err := os.ReadDir(full)
			if err != nil {
				return err
			}
			var errs []error
			for _, e := range ents {
				errs = append(errs, entry(name, e))
			}
			return errors.Join(errs...)
		case e.IsDir():
			return os.RemoveAll(full)
		case !st.written[name] || !e.Type().IsRegular():
			return os.Remove(full)
		}
		return nil
	}
	ents, err := os.ReadDir(st.Dir)
	if err != nil {
		return err
	}
	return sideBySide(len(ents), func(i int) error { return entry(".", ents[i]) })
}

// publish puts the finished site tmp in place of out. Where the system
// can exchange two directories in one step (Linux renameat2), a reader of
// out sees either the old site or the new, never neither, and the old
// site is kept as out + keptSuffix for the next [Stage] unless noKeep;
// elsewhere out is moved aside and tmp renamed in its place (the old one
// restored if that fails), and the old site removed.
func publish(tmp, out string, noKeep bool) error {
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, out)
	}
	if err := exchange(tmp, out); err == nil {
		// tmp now holds the previous site.
		if noKeep {
			return removeAll(tmp)
		}
		kept := out + keptSuffix
		if _, err := os.Lstat(kept); err == nil {
			// Left by a build that died: the newer one wins.
			if err := removeAll(kept); err != nil {
				return removeAll(tmp)
			}
		}
		if err := os.Rename(tmp, kept); err != nil {
			return removeAll(tmp)
		}
		return nil
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
	err = sideBySide(len(ents), func(i int) error { return os.RemoveAll(filepath.Join(dir, ents[i].Name())) })
	return errors.Join(err, os.RemoveAll(dir))
}

// sideBySide calls f(i) for 0 ≤ i < n, as many at a time as there are
// CPUs (file system calls mostly wait on the kernel), and joins the
// errors.
func sideBySide(n int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
