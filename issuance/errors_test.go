package issuance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
)

// TestExplain: what the operator reads for each system error, exactly.
func TestExplain(t *testing.T) {
	tmp := "reg/certs/.tmp-000002.sealed-1a2b3c4d5e6f"
	tests := []struct {
		err       error
		msg, hint string
	}{
		{&fs.PathError{Op: "write", Path: tmp, Err: syscall.ENOSPC},
			"读写 reg/certs/000002.sealed 失败：磁盘已满", "腾出磁盘空间后重新运行同一命令：未写完的批次会自动回滚，不会重复签发"},
		{&fs.PathError{Op: "open", Path: "reg/journal", Err: syscall.EROFS},
			"读写 reg/journal 失败：所在磁盘为只读", "把登记库放在可写的磁盘上，或重新挂载为可写后重新运行同一命令"},
		{&os.LinkError{Op: "rename", Old: tmp, New: "reg/certs/000002.sealed", Err: syscall.EACCES},
			"读写 reg/certs/000002.sealed 失败：没有权限", "用有写权限的账户运行，或检查该目录的权限后重新运行同一命令"},
		{&fs.PathError{Op: "sync", Path: "reg/certs", Err: syscall.EIO},
			"读写 reg/certs 失败：磁盘读写错误", "检查磁盘是否损坏；之后运行 qualbridge registry check 确认登记库完好"},
		{fmt.Errorf("signing: %w", context.Canceled),
			"已按要求中断", "重新运行同一条命令即可完成：未写完的批次会自动回滚，已签发的不会重复签发"},
		{errors.New("something odd"), "出错：something odd", ""},
	}
	for _, tt := range tests {
		msg, hint := Explain(tt.err)
		if msg != tt.msg || hint != tt.hint {
			t.Errorf("Explain(%v) =\n%q, %q\nwant\n%q, %q", tt.err, msg, hint, tt.msg, tt.hint)
		}
	}
}
