package issuance

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FS is what issuing changes on disk. Every write, fsync, rename and
// removal of a commit goes through it, in the order the commit protocol
// needs, so that a test can make any one of them fail (a full disk, a
// read-only directory) or stop the run there for good (a killed
// process). [OS] is the real one. Paths are operating-system paths.
type FS interface {
	// Create creates a new file for writing; it fails if name exists.
	Create(name string, perm fs.FileMode) (File, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	MkdirAll(name string, perm fs.FileMode) error
	// SyncDir makes the entries of a directory (creations, renames,
	// removals) durable, as fsync on the directory does.
	SyncDir(name string) error
	// Truncate cuts a file to size bytes and syncs it.
	Truncate(name string, size int64) error
}

// File is a file being written.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// OS returns the operating system's file system.
func OS() FS { return osFS{} }

type osFS struct{}

func (osFS) Create(name string, perm fs.FileMode) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
}
func (osFS) Rename(o, n string) error                     { return os.Rename(o, n) }
func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) MkdirAll(name string, perm fs.FileMode) error { return os.MkdirAll(name, perm) }
func (osFS) SyncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
func (osFS) Truncate(name string, size int64) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// tmpPrefix starts the name of every temporary file issuing writes;
// [Repair] removes those it finds, [Check] reports them.
const tmpPrefix = ".tmp-"

// writeFile writes data to name durably and atomically: a temporary
// file in the same directory, written and fsynced, then renamed over
// name. The caller syncs the directory (once for several files).
func writeFile(fsys FS, name string, data []byte, perm fs.FileMode) error {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(name), tmpPrefix+filepath.Base(name)+"-"+hex.EncodeToString(rnd[:]))
	f, err := fsys.Create(tmp, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, name)
	}
	if err != nil {
		fsys.Remove(tmp)
	}
	return err
}

// removeIfExists removes name; a name already gone is not an error.
func removeIfExists(fsys FS, name string) error {
	if err := fsys.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func isTemp(name string) bool { return strings.HasPrefix(name, tmpPrefix) }
