package diag

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// System words an error of the operating system for an editor or
// operator, in Chinese, at the path it names: "no space left on device"
// becomes
//
//	public.tmp-123/zh-hans/index.html: error: 无法写入：磁盘空间不足
//		hint: 腾出磁盘空间后再构建
//
// where is the path to report when err names none (an *fs.PathError or
// *os.LinkError carries its own). Errors it does not know keep the
// system's words after a Chinese lead, so nothing is lost.
func System(where string, err error) Diagnostic {
	d := Diagnostic{Pos: Pos{File: where}, Severity: Error}
	op := ""
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		d.Pos.File, op = pe.Path, pe.Op
	case errors.As(err, &le):
		d.Pos.File, op = le.New, "rename"
	}
	verb := map[string]string{
		"open": "打开", "read": "读取", "write": "写入", "mkdir": "创建文件夹", "mkdirat": "创建文件夹",
		"rename": "改名", "remove": "删除", "unlinkat": "删除", "lstat": "查看", "stat": "查看",
		"readdirent": "读取文件夹", "readdir": "读取文件夹", "chmod": "修改权限", "truncate": "写入",
		"close": "写入", "mkdirtemp": "创建临时文件夹", "createtemp": "创建临时文件",
	}[op]
	if verb == "" {
		verb = "处理"
	}
	reason, hint := systemReason(err)
	d.Message, d.Hint = "无法"+verb+"："+reason, hint
	return d
}

// systemReason returns what went wrong, and what to do, in Chinese.
func systemReason(err error) (string, string) {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "磁盘空间不足", "腾出磁盘空间后再试"
	case errors.Is(err, syscall.EDQUOT):
		return "超出磁盘配额", "腾出空间或请管理员提高配额后再试"
	case errors.Is(err, syscall.EROFS):
		return "磁盘是只读的", "换一个可以写入的位置"
	case errors.Is(err, fs.ErrPermission):
		return "没有权限", "检查这个文件或文件夹的权限，或换一个位置"
	case errors.Is(err, fs.ErrNotExist):
		return "文件或文件夹不存在", "检查路径是否写对"
	case errors.Is(err, fs.ErrExist):
		return "已经存在", "换一个名称，或先移走已有的"
	case errors.Is(err, syscall.ENOTDIR):
		return "路径中有一段不是文件夹", "检查路径是否写对"
	case errors.Is(err, syscall.EISDIR):
		return "这是一个文件夹，不是文件", "检查路径是否写对"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "同时打开的文件太多", "关闭一些程序后再试"
	case errors.Is(err, syscall.EIO):
		return "磁盘读写出错", "检查磁盘是否完好"
	case errors.Is(err, syscall.ENAMETOOLONG):
		return "路径太长", "换一个短一些的路径"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return "系统错误（" + errno.Error() + "）", ""
	}
	return "系统错误（" + err.Error() + "）", ""
}
