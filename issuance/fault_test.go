package issuance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/qualbridge/qualbridge/verifier/seal"
)

// errKilled is what every file operation returns once faultFS has
// "killed" the run: nothing after the fault reaches the disk, as after
// kill -9.
var errKilled = errors.New("TEST: process killed")

// faultFS is the OS file system with one fault at operation failAt
// (counting writes, fsyncs, closes, renames, removals and directory
// fsyncs): the error err there only (a full disk, an I/O error), or,
// with sticky set, at every later operation too (a killed process, a
// directory gone read-only). A write that fails writes half its bytes
// first: a torn write.
type faultFS struct {
	FS
	failAt int
	err    error
	sticky bool
	n      int
	failed bool
	ops    []string

	// With power set, the fault is a power cut: besides stopping the run,
	// [faultFS.powerCut] then loses what the kernel had not made durable:
	// the contents of every file not fsynced, and every rename and removal
	// in a directory not fsynced since.
	power    bool
	unsynced map[string]bool           // files written and not fsynced
	pending  map[string][]pendingEntry // per directory, since its last fsync
	trash    int
}

// pendingEntry is a directory change not yet durable: a creation (from
// empty), a rename, or a removal or overwrite (to the trash).
type pendingEntry struct{ from, to string }

func (f *faultFS) track() {
	if f.unsynced == nil {
		f.unsynced, f.pending = map[string]bool{}, map[string][]pendingEntry{}
	}
}

// powerCut undoes what a power cut would: directory changes not
// fsynced, newest first, then the contents of files not fsynced.
func (f *faultFS) powerCut(t *testing.T) {
	f.track()
	for dir, ps := range f.pending {
		for i := len(ps) - 1; i >= 0; i-- {
			if ps[i].from == "" {
				os.Remove(ps[i].to)
				delete(f.unsynced, ps[i].to)
				continue
			}
			if err := os.Rename(ps[i].to, ps[i].from); err != nil {
				t.Fatalf("power cut in %s: %v", dir, err)
			}
			if f.unsynced[ps[i].to] {
				delete(f.unsynced, ps[i].to)
				f.unsynced[ps[i].from] = true
			}
		}
	}
	for name := range f.unsynced {
		if _, err := os.Stat(name); err == nil {
			os.Truncate(name, 0)
		}
	}
	f.pending = nil
}

func (f *faultFS) step(op, name string) error {
	f.n++
	f.ops = append(f.ops, op+" "+filepath.Base(name))
	if f.failed && f.sticky {
		return &fs.PathError{Op: op, Path: name, Err: f.err}
	}
	if f.n == f.failAt {
		f.failed = true
		return &fs.PathError{Op: op, Path: name, Err: f.err}
	}
	return nil
}

func (f *faultFS) Create(name string, perm fs.FileMode) (File, error) {
	if err := f.step("create", name); err != nil {
		return nil, err
	}
	file, err := f.FS.Create(name, perm)
	if err != nil {
		return nil, err
	}
	f.track()
	f.unsynced[name] = true
	f.pending[filepath.Dir(name)] = append(f.pending[filepath.Dir(name)], pendingEntry{"", name})
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Rename(o, n string) error {
	if err := f.step("rename", n); err != nil {
		return err
	}
	f.track()
	if _, err := os.Stat(n); err == nil && f.power {
		f.putAside(n)
	}
	if err := f.FS.Rename(o, n); err != nil {
		return err
	}
	f.pending[filepath.Dir(n)] = append(f.pending[filepath.Dir(n)], pendingEntry{o, n})
	if f.unsynced[o] {
		delete(f.unsynced, o)
		f.unsynced[n] = true
	}
	return nil
}

func (f *faultFS) Remove(name string) error {
	if err := f.step("remove", name); err != nil {
		return err
	}
	if !f.power {
		return f.FS.Remove(name)
	}
	if _, err := os.Stat(name); err != nil {
		return f.FS.Remove(name)
	}
	f.track()
	return f.putAside(name)
}

// putAside moves name to the trash until its directory is fsynced, so
// that a power cut can bring it back.
func (f *faultFS) putAside(name string) error {
	f.trash++
	trash := filepath.Join(filepath.Dir(name), fmt.Sprintf("#trash-%d", f.trash))
	if err := os.Rename(name, trash); err != nil {
		return err
	}
	f.pending[filepath.Dir(name)] = append(f.pending[filepath.Dir(name)], pendingEntry{name, trash})
	return nil
}

func (f *faultFS) SyncDir(name string) error {
	if err := f.step("syncdir", name); err != nil {
		return err
	}
	if err := f.FS.SyncDir(name); err != nil {
		return err
	}
	f.track()
	for _, p := range f.pending[name] {
		if strings.Contains(filepath.Base(p.to), "#trash-") {
			os.Remove(p.to)
		}
	}
	delete(f.pending, name)
	return nil
}

func (f *faultFS) MkdirAll(name string, perm fs.FileMode) error {
	if err := f.step("mkdir", name); err != nil {
		return err
	}
	return f.FS.MkdirAll(name, perm)
}

type faultFile struct {
	File
	fs   *faultFS
	name string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.step("write", f.name); err != nil {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, err
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.step("fsync", f.name); err != nil {
		return err
	}
	if err := f.File.Sync(); err != nil {
		return err
	}
	delete(f.fs.unsynced, f.name)
	return nil
}

func (f *faultFile) Close() error {
	err := f.fs.step("close", f.name)
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	return err
}

// TestCommitFaults stops an issue run at every file operation of its
// commit, in each way a real office meets (killed, disk full, I/O
// error, read-only from there on), then re-runs the same command: the
// registry ends with exactly one certificate per holder, registry check
// clean and no temporary file, whatever the point. The same holds when
// the operator runs registry repair before the re-run.
func TestCommitFaults(t *testing.T) {
	const n = 5
	batch := fictionalBatch(0, n)
	// A clean run counts the operations (and checks the protocol's order).
	// The registry has a root of trust, so the commit writes the sealed
	// copies (000001.sealed) too.
	probe := newTrustedRegistry(t, batch).Options
	ffs := &faultFS{FS: OS()}
	probe.FS = ffs
	mustIssue(t, probe)
	total := ffs.n
	order := strings.Join(ffs.ops, ", ")
	for _, want := range []string{"rename journal", "syncdir reg", "rename 000001.personal.age", "rename 000001.batch", "syncdir certs", "rename 000001.sealed", "rename issued.idx", "remove journal"} {
		if !strings.Contains(order, want) {
			t.Fatalf("commit lacks %q: %s", want, order)
		}
	}
	// The issuance log is the commit point: renamed after the manifest
	// and the personal records are durable, and followed by a directory
	// fsync before anything else.
	i, j := strings.Index(order, "rename 000001.batch"), strings.Index(order, "rename 000001.sealed")
	if k := strings.Index(order, "rename 000001.personal.age"); i > j || k > j || !strings.Contains(order[i:j], "syncdir certs") {
		t.Fatalf("the issuance log is renamed before its manifest and personal records are durable: %s", order)
	}
	if !strings.HasPrefix(order[j:], "rename 000001.sealed, syncdir certs") {
		t.Fatalf("the commit rename is not followed by a directory fsync: %s", order)
	}
	for _, v1 := range []string{".certs", "revocations.log", "trust.json"} {
		if strings.Contains(order, v1) {
			t.Fatalf("the commit writes a version-1 file (%s): %s", v1, order)
		}
	}
	t.Logf("%d file operations in a commit: %s", total, order)

	faults := []struct {
		name   string
		err    error
		sticky bool
	}{
		{"killed", errKilled, true},
		{"ENOSPC", syscall.ENOSPC, false},
		{"EIO", syscall.EIO, false},
		{"read-only", syscall.EROFS, true},
		{"power-cut", errKilled, true},
	}
	for _, f := range faults {
		for at := 1; at <= total; at++ {
			for _, repair := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/op%02d/repair=%v", f.name, at, repair), func(t *testing.T) {
					o := newTrustedRegistry(t, batch).Options
					ffs := &faultFS{FS: OS(), failAt: at, err: f.err, sticky: f.sticky, power: f.name == "power-cut"}
					o.FS = ffs
					res, err := Issue(context.Background(), o)
					if ffs.power {
						ffs.powerCut(t)
					}
					if err == nil && res.IndexErr == nil && !f.sticky {
						t.Fatalf("fault at %s went unnoticed", ffs.ops[at-1])
					}
					if err != nil && f.err != errKilled && !errors.Is(err, errKilled) {
						// What the operator is told names the cause.
						msg, hint := Explain(err)
						if !strings.Contains(msg, "失败") || hint == "" {
							t.Errorf("fault %v explained as %q / %q", err, msg, hint)
						}
					}
					if repair {
						if _, err := Repair(nil, o.Registry, o.Now); err != nil {
							t.Fatalf("repair: %v", err)
						}
						if ds, _ := Check(o.Registry); len(ds) > 0 {
							t.Fatalf("check after repair:\n%s", listString(ds))
						}
					}
					o.FS = nil
					mustIssue(t, o)
					assertExactlyOnce(t, o.Registry, n)
					// A run that said it issued (and would have printed) must
					// never lose those certificates: they are in someone's hand.
					if err == nil {
						st, lerr := loadState(o.Registry)
						if lerr != nil {
							t.Fatal(lerr)
						}
						all, lerr := readSealed(o.Registry, st)
						if lerr != nil {
							t.Fatal(lerr)
						}
						for _, c := range res.Certificates {
							loc, _, _ := seal.TokenKeys(c.Public.Token)
							if !slices.ContainsFunc(all, func(s Sealed) bool { return s.Locator == loc && s.Number == c.Public.Number }) {
								t.Fatalf("certificate %s reported issued at op %d (%s) is gone", c.Public.Number, at, ffs.ops[at-1])
							}
						}
					}
					// And once more: nothing new.
					third := mustIssue(t, o)
					if !third.Again || third.AgainCount != n {
						t.Errorf("third run: again=%v, %d certificates", third.Again, third.AgainCount)
					}
					assertExactlyOnce(t, o.Registry, n)
				})
			}
		}
	}
}

// TestIndexLost deletes, then corrupts, the issued index: duplicates
// are still refused (they are checked against the batch manifests),
// check reports the index, and repair rebuilds it.
func TestIndexLost(t *testing.T) {
	o := newRegistry(t, fictionalBatch(0, 3))
	mustIssue(t, o)
	idx := filepath.Join(o.Registry, IndexFile)
	good, err := os.ReadFile(idx)
	if err != nil {
		t.Fatal(err)
	}
	for _, damage := range []struct {
		name string
		data []byte
	}{{"deleted", nil}, {"corrupted", []byte("garbage\n")}, {"emptied", []byte{}}} {
		t.Run(damage.name, func(t *testing.T) {
			os.Remove(idx)
			if damage.data != nil {
				os.WriteFile(idx, damage.data, 0o600)
			}
			// A different file (another row added) with the same holders.
			o2 := o
			o2.Applicants = append(fictionalBatch(0, 3), fictionalBatch(3, 1)[len(strings.SplitN(string(fictionalBatch(3, 1)), "\n", 2)[0])+1:]...)
			_, err := Issue(context.Background(), o2)
			var be *BatchError
			if !errors.As(err, &be) || len(be.Problems) != 3 || !strings.Contains(be.Problems[0].Message, "已持有 ceshi-jia-4 的证书") {
				t.Fatalf("duplicates with the index %s: %v", damage.name, err)
			}
			ds, _ := Check(o.Registry)
			if len(ds) == 0 || !strings.Contains(listString(ds), IndexFile) {
				t.Errorf("check does not report the index:\n%s", listString(ds))
			}
			acts, err := Repair(nil, o.Registry, o.Now)
			if err != nil || len(acts) == 0 {
				t.Fatalf("repair: %v %v", acts, err)
			}
			got, _ := os.ReadFile(idx)
			if string(got) != string(good) {
				t.Errorf("rebuilt index differs:\n%s\nwant\n%s", got, good)
			}
			assertExactlyOnce(t, o.Registry, 3)
		})
	}
}
