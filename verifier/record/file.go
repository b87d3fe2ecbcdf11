package record

import (
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to name through a temporary file in the
// same directory, fsynced, and a rename, so that a reader (the verifier's
// file watcher) never sees half a file and a crash leaves the old file or
// the new. The directory is fsynced after the rename, so that once it
// returns the new file survives a power loss too: package trust writes
// its snapshot files (objects before the head) and the verifier's
// high-water marks with it, and both rely on that order.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(name))
}

// syncDir fsyncs the directory dir, making the renames in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
