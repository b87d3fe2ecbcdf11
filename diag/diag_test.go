package diag

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestFprint: diagnostics print one per line with their hints and a
// count; what follows from a file that did not parse is held back, with
// the advice to fix that file first.
func TestFprint(t *testing.T) {
	ds := List{
		{Pos: Pos{File: "catalog/guides.toml", Line: 5, Col: 1}, Message: "办理渠道 \"a\" 未在 catalog/offices.toml 中定义", Cause: "catalog/offices.toml"},
		{Pos: Pos{File: "catalog/offices.toml", Line: 3, Col: 13}, Message: "TOML 格式错误：引号没有闭合", Hint: "补上引号"},
		{Pos: Pos{File: "catalog/site.toml"}, Severity: Warning, Message: "没有写来源"},
	}
	ds.Sort()
	var b strings.Builder
	Fprint(&b, "qualbridge: ", ds)
	want := `qualbridge: catalog/offices.toml:3:13: error: TOML 格式错误：引号没有闭合
qualbridge: hint: 补上引号
qualbridge: catalog/site.toml: warning: 没有写来源
qualbridge: 2 errors, 1 warning
qualbridge: 先修正 catalog/offices.toml 的格式错误：另有 1 个错误是它无法读取的后果，暂不列出
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	var empty strings.Builder
	Fprint(&empty, "qualbridge: ", nil)
	if empty.Len() != 0 {
		t.Errorf("an empty list printed %q", empty.String())
	}
}

// TestSystem: the system's errors are told in Chinese, at their path.
func TestSystem(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "write", Path: "public.tmp-1/zh-hans/index.html", Err: syscall.ENOSPC},
			"public.tmp-1/zh-hans/index.html: error: 无法写入：磁盘空间不足\n\thint: 腾出磁盘空间后再试"},
		{&fs.PathError{Op: "open", Path: "catalog/site.toml", Err: syscall.EACCES},
			"catalog/site.toml: error: 无法打开：没有权限\n\thint: 检查这个文件或文件夹的权限，或换一个位置"},
		{&fs.PathError{Op: "mkdir", Path: "out", Err: syscall.EROFS},
			"out: error: 无法创建文件夹：磁盘是只读的\n\thint: 换一个可以写入的位置"},
		{&os.LinkError{Op: "rename", Old: "a", New: "public", Err: syscall.EEXIST},
			"public: error: 无法改名：已经存在\n\thint: 换一个名称，或先移走已有的"},
		{errors.New("odd"), "where: error: 无法处理：系统错误（odd）"},
	}
	for _, tt := range tests {
		if got := System("where", tt.err).String(); got != tt.want {
			t.Errorf("%v:\n%s\nwant\n%s", tt.err, got, tt.want)
		}
	}
}
