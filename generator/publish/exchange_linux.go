package publish

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// canExchange: renameat2 exchanges directories, so a [Stage] can reuse
// the site before last.
const canExchange = true

// exchange swaps the two paths atomically.
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

var errNotOverwritable = errors.New("not a regular file with one link")

// overwrite writes data over the existing regular file name, which must
// have no other link and is not followed if it is a symbolic link. The
// file keeps its inode: that is the point (see [Stage]).
func overwrite(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 {
		return errNotOverwritable
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if st.Size > int64(len(data)) {
		if err := f.Truncate(int64(len(data))); err != nil {
			return err
		}
	}
	if st.Mode&0o7777 != 0o644 {
		if err := f.Chmod(0o644); err != nil {
			return err
		}
	}
	return f.Close()
}
