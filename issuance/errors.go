package issuance

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"

	"github.com/qualbridge/qualbridge/diag"
)

// BatchError is a batch refused before anything was written: every
// problem found, positioned in the applicants file (or the catalog).
type BatchError struct {
	Problems diag.List
	Summary  string // "批次被拒绝：3 处问题，未签发任何证书"
	Hint     string // may be empty
}

func (e *BatchError) Error() string {
	if err := e.Problems.Err(); err != nil {
		return err.Error() + "\n" + e.Summary
	}
	return e.Summary
}

// RegistryError is a registry directory that cannot be used as it is:
// a malformed file, a batch that does not match its manifest.
type RegistryError struct {
	Dir string
	Err error
}

func (e *RegistryError) Error() string {
	return fmt.Sprintf("登记库 %s 有问题：%v", e.Dir, e.Err)
}

func (e *RegistryError) Unwrap() error { return e.Err }

// NoTrustError is a registry without a root of trust (trust init):
// nothing is issued, revoked or published without one.
type NoTrustError struct {
	Dir string
}

func (e *NoTrustError) Error() string {
	return fmt.Sprintf("登记库 %s 没有根信任（%s）", e.Dir, PinFile)
}

// Hint says how to make one.
func (e *NoTrustError) Hint() string {
	return fmt.Sprintf("先运行 qualbridge trust init -registry %s -root-key ROOT.age -timestamp-key TS.age，再用 qualbridge keygen -registry %s -root-key ROOT.age 加入签名密钥", e.Dir, e.Dir)
}

// UncertainError is a commit stopped just after its batch file was put
// in place, before the disk confirmed it: the batch may or may not have
// been issued. Running the same command again settles it.
type UncertainError struct {
	Batch string
	Err   error
}

func (e *UncertainError) Error() string {
	return fmt.Sprintf("无法确认批次 %s 已写入磁盘：%v", e.Batch, e.Err)
}

func (e *UncertainError) Unwrap() error { return e.Err }

// Explain says a system error in the operator's words, with what to do.
// Errors it does not know keep their own text after a Chinese lead.
func Explain(err error) (message, hint string) {
	var d diag.Diagnostic
	if errors.As(err, &d) {
		if d.Pos.File == "" {
			return d.Message, d.Hint
		}
		return d.Pos.String() + ": " + d.Message, d.Hint
	}
	var le *LockedError
	if errors.As(err, &le) {
		return le.Error(), "等那次运行结束后再试；若那个进程已不存在，锁会自动释放"
	}
	var nt *NoTrustError
	if errors.As(err, &nt) {
		return err.Error(), nt.Hint()
	}
	var ue *UncertainError
	if errors.As(err, &ue) {
		msg, _ := Explain(ue.Err)
		return fmt.Sprintf("无法确认批次 %s 已写入磁盘（%s）；证书尚未打印", ue.Batch, msg), "排除故障后重新运行同一命令：已写入就补打，未写入就重新签发，不会重复"
	}
	var re *RegistryError
	if errors.As(err, &re) {
		return re.Error(), "运行 qualbridge registry check -registry " + re.Dir + " 查看全部问题，再运行 qualbridge registry repair"
	}
	if errors.Is(err, context.Canceled) {
		return "已按要求中断", "重新运行同一条命令即可完成：未写完的批次会自动回滚，已签发的不会重复签发"
	}
	file := ""
	var pe *fs.PathError
	var le2 *os.LinkError
	switch {
	case errors.As(err, &pe):
		file = pe.Path
	case errors.As(err, &le2):
		file = le2.New
	}
	if dir, base := filepath.Split(file); strings.HasPrefix(base, tmpPrefix) {
		// The temporary name means nothing to the operator: name the file
		// it was to become (".tmp-000002.sealed-1a2b3c" → "000002.sealed").
		base = strings.TrimPrefix(base, tmpPrefix)
		if i := strings.LastIndexByte(base, '-'); i > 0 {
			base = base[:i]
		}
		file = dir + base
	}
	what := "读写文件"
	if file != "" {
		what = "读写 " + file + " "
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return what + "失败：磁盘已满", "腾出磁盘空间后重新运行同一命令：未写完的批次会自动回滚，不会重复签发"
	case errors.Is(err, syscall.EROFS):
		return what + "失败：所在磁盘为只读", "把登记库放在可写的磁盘上，或重新挂载为可写后重新运行同一命令"
	case errors.Is(err, fs.ErrPermission):
		return what + "失败：没有权限", "用有写权限的账户运行，或检查该目录的权限后重新运行同一命令"
	case errors.Is(err, syscall.EIO):
		return what + "失败：磁盘读写错误", "检查磁盘是否损坏；之后运行 qualbridge registry check 确认登记库完好"
	case errors.Is(err, fs.ErrNotExist):
		return what + "失败：文件不存在", "检查路径是否写对"
	}
	if hasHan(err.Error()) {
		return err.Error(), "" // already said in the operator's words
	}
	return "出错：" + err.Error(), ""
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
