package publish

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/qualbridge/qualbridge/diag"
)

// site publishes files at out in one stage.
func site(t *testing.T, out string, files map[string]string, opts Options) {
	t.Helper()
	st, err := NewStage(out, opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := st.WriteFile(name, []byte(data)); err != nil {
			st.Abort()
			t.Fatal(err)
		}
	}
	if err := st.Commit(); err != nil {
		t.Fatal(err)
	}
}

// tree reads every file under dir, the marker left out.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == Marker {
			return nil
		}
		b, err := os.ReadFile(p)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// beside lists the names in out's parent folder.
func beside(t *testing.T, out string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestSites publishes sites in turn at one output: each replaces the one
// before whole, the third written over the first (kept as public.prev),
// where a folder becomes a file and a file a folder; each has the marker.
func TestSites(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	sites := []map[string]string{
		{"index.html": "one", "a/b/c.txt": "c", "gone.txt": "x"},
		{"index.html": "two", "a/b/c.txt": "c2", "d/e.css": "e"},
		{"index.html": "three", "a/b": "b", "gone.txt/f.txt": "f"},
	}
	for _, files := range sites {
		site(t, out, files, Options{})
		if got := tree(t, out); !reflect.DeepEqual(got, files) {
			t.Errorf("out holds %q, want %q", got, files)
		}
		if ok, _ := hasMarker(out); !ok {
			t.Errorf("no %s in the site", Marker)
		}
	}
	want := []string{"public"}
	if canExchange {
		want = append(want, "public.prev")
	}
	if got := beside(t, out); !slices.Equal(got, want) {
		t.Errorf("beside the output: %q, want %q", got, want)
	}
	st, err := NewStage(out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Abort()
	for _, name := range []string{"../x", Marker, "/etc/x"} {
		if err := st.WriteFile(name, nil); err == nil {
			t.Errorf("%s: written", name)
		}
	}
}

// TestNoPrevious: with Options.NoPrevious only the output is left, and a
// public.prev of earlier builds is removed.
func TestNoPrevious(t *testing.T) {
	out := filepath.Join(t.TempDir(), "public")
	site(t, out, map[string]string{"a.txt": "1"}, Options{})
	site(t, out, map[string]string{"a.txt": "2"}, Options{})
	site(t, out, map[string]string{"a.txt": "3"}, Options{NoPrevious: true})
	if got := beside(t, out); !slices.Equal(got, []string{"public"}) {
		t.Errorf("beside the output: %q, want only public", got)
	}
	if got := tree(t, out); got["a.txt"] != "3" {
		t.Errorf("out holds %q", got)
	}
}

// TestRefusals: an output that is not a published site, or a public.prev
// that is not one, is refused with a message saying why, and left as it
// was; so is everything beside it.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		make    func(t *testing.T, dir string) // makes dir/public (and more)
		at      string                         // the path refused, below dir
		message string
		hint    string
	}{
		{
			name: "folder of documents",
			make: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "public", "合同.docx"), "not a site")
			},
			at:      "public",
			message: "这个文件夹不是 qualbridge 生成的网站（里面没有 .qualbridge-site），构建不会替换它",
			hint:    "用 -out 指定另一个文件夹（或尚不存在的路径）；如果它确是旧版本生成的网站，先删除它再构建",
		},
		{
			name:    "regular file",
			make:    func(t *testing.T, dir string) { write(t, filepath.Join(dir, "public"), "notes") },
			at:      "public",
			message: "输出位置已有一个文件，不是文件夹，构建不会替换它",
			hint:    "用 -out 指定一个文件夹（或尚不存在的路径），或先把这个文件移走",
		},
		{
			name: "symbolic link",
			make: func(t *testing.T, dir string) {
				site(t, filepath.Join(dir, "real"), map[string]string{"a": "a"}, Options{})
				if err := os.Symlink("real", filepath.Join(dir, "public")); err != nil {
					t.Skip(err)
				}
			},
			at:      "public",
			message: "输出位置是一个符号链接，构建不会替换它",
			hint:    "用 -out 指定一个真实的文件夹（或尚不存在的路径）",
		},
		{
			name: "prev not ours",
			make: func(t *testing.T, dir string) {
				site(t, filepath.Join(dir, "public"), map[string]string{"a": "a"}, Options{})
				write(t, filepath.Join(dir, "public.prev", "备份.txt"), "mine")
			},
			at:      "public.prev",
			message: "这里应是上一次构建留下的网站，却不是 qualbridge 生成的，构建不会改动它",
			hint:    "把它移走或改名后再构建",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.make(t, dir)
			before := snapshot(t, dir)
			out := filepath.Join(dir, "public")
			_, err := NewStage(out, Options{})
			var d diag.Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("err = %v, want a refusal", err)
			}
			if d.Pos.File != filepath.Join(dir, tt.at) || d.Message != tt.message || d.Hint != tt.hint {
				t.Errorf("got %s\nwant %s: error: %s\n\thint: %s", d, tt.at, tt.message, tt.hint)
			}
			if after := snapshot(t, dir); !reflect.DeepEqual(after, before) {
				t.Errorf("changed:\n%q\nwant\n%q", after, before)
			}
		})
	}
	// An empty folder is taken, and so are the builds after.
	out := filepath.Join(t.TempDir(), "public")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		site(t, out, map[string]string{"a": "a"}, Options{})
	}
}

// snapshot reads every entry under dir, links as their targets.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			got[p] = "-> " + l
		case d.IsDir():
			got[p] = "/"
		default:
			b, err := os.ReadFile(p)
			got[p] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNoFollow: a symbolic link in the kept site, to a folder or a file
// outside it, is replaced, never written through.
func TestNoFollow(t *testing.T) {
	if !canExchange {
		t.Skip("no kept site here")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "public")
	outside := filepath.Join(dir, "outside")
	write(t, filepath.Join(outside, "index.html"), "precious")
	write(t, filepath.Join(outside, "file.txt"), "precious too")
	files := map[string]string{"zh-hans/index.html": "page", "robots.txt": "r", "zh-hans/a/b.html": "b"}
	site(t, out, files, Options{})
	site(t, out, files, Options{})
	prev := out + keptSuffix
	if err := os.RemoveAll(filepath.Join(prev, "zh-hans")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(prev, "robots.txt")); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"zh-hans": outside, "robots.txt": filepath.Join(outside, "file.txt")} {
		if err := os.Symlink(target, filepath.Join(prev, link)); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, outside)
	site(t, out, files, Options{})
	if after := snapshot(t, outside); !reflect.DeepEqual(after, before) {
		t.Errorf("written through a link: %q", after)
	}
	if got := tree(t, out); !reflect.DeepEqual(got, files) {
		t.Errorf("out holds %q, want %q", got, files)
	}
}

// TestKilledBuild kills a build (another process) while it writes its
// stage, then builds again: nothing of the killed build is left beside
// the output, and the output is the new site.
func TestKilledBuild(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no flock")
	}
	for _, prior := range []int{0, 2} {
		out := filepath.Join(t.TempDir(), "public")
		for i := range prior {
			site(t, out, map[string]string{"old.txt": strings.Repeat("x", i)}, Options{})
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBuild$")
		cmd.Env = append(os.Environ(), "PUBLISH_HELPER_OUT="+out)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The helper says "writing" halfway through its files.
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "writing" {
			cmd.Process.Kill()
			t.Fatalf("helper: %q %v", line, err)
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		left := beside(t, out)
		if !slices.ContainsFunc(left, func(n string) bool { return strings.HasPrefix(n, "public.tmp-") }) {
			t.Fatalf("prior %d: the killed build left no stage (%q): the test kills too late", prior, left)
		}
		files := map[string]string{"index.html": "new", "a/b.txt": "b"}
		site(t, out, files, Options{})
		want := []string{"public", "public.prev"}
		if prior == 0 || !canExchange {
			// The killed stage was taken as the site to write over (or
			// removed), and there was no site to keep.
			want = []string{"public"}
		}
		if got := beside(t, out); !slices.Equal(got, want) {
			t.Errorf("prior %d: beside the output after the next build: %q, want %q", prior, got, want)
		}
		if got := tree(t, out); !reflect.DeepEqual(got, files) {
			t.Errorf("prior %d: out holds %q", prior, got)
		}
		// And the one after still leaves only these.
		site(t, out, files, Options{})
		if got := beside(t, out); !slices.Equal(got, want) && !slices.Equal(got, []string{"public", "public.prev"}) {
			t.Errorf("prior %d: beside the output two builds on: %q", prior, got)
		}
	}
}

// TestHelperBuild is the build TestKilledBuild kills: it writes 200
// files, says so halfway, and waits to be killed.
func TestHelperBuild(t *testing.T) {
	out := os.Getenv("PUBLISH_HELPER_OUT")
	if out == "" {
		t.Skip("helper process for TestKilledBuild")
	}
	st, err := NewStage(out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := st.WriteFile("pages/"+strings.Repeat("p", i%7+1)+"/"+string(rune('a'+i%26))+".html", []byte("half")); err != nil {
			t.Fatal(err)
		}
		if i == 100 {
			os.Stdout.WriteString("writing\n")
		}
	}
	select {} // killed here
}
