package generator

import (
	"errors"
	"io/fs"
	"time"

	"github.com/qualbridge/qualbridge/diag"

	"github.com/qualbridge/qualbridge/verifier/trust"
)

// publishedTrust is the centre's root of trust as the /verify/ page
// publishes it: catalog/trust-root.pub and catalog/trust.list, copied
// from the registry (qualbridge trust init and keygen -root-key write
// them there), checked here as a verifier would.
type publishedTrust struct {
	Pin, List []byte
	Seq       uint64
	SignedAt  time.Time
	Expires   time.Time
	Keys      []publishedKey
}

type publishedKey struct {
	KID, Role, Status string
	NotBefore         time.Time
	NotAfter          time.Time
}

// Where the site publishes them.
const (
	trustPinPath  = ".well-known/qualbridge/trust-root.pub"
	trustListPath = ".well-known/qualbridge/trust.list"
)

// readTrust reads catalog/trust-root.pub and catalog/trust.list of the
// repository site, if the centre publishes them: both or neither, the list
// signed by the root.
func readTrust(site fs.FS) (*publishedTrust, error) {
	fail := func(file, msg, hint string) error {
		return &BuildError{Diagnostics: diag.List{{Pos: diag.Pos{File: file, Line: 1, Col: 1}, Severity: diag.Error, Message: msg, Hint: hint}}}
	}
	if _, err := fs.Stat(site, "catalog/trust.json"); err == nil {
		return nil, fail("catalog/trust.json", "旧格式的信任列表不再发布", "改放登记库中的 trust-root.pub 和 trust.list（由 qualbridge trust init 建立），并删去 catalog/trust.json")
	}
	pin, perr := fs.ReadFile(site, "catalog/trust-root.pub")
	list, lerr := fs.ReadFile(site, "catalog/trust.list")
	switch {
	case errors.Is(perr, fs.ErrNotExist) && errors.Is(lerr, fs.ErrNotExist):
		return nil, nil
	case errors.Is(perr, fs.ErrNotExist):
		return nil, fail("catalog/trust.list", "有信任列表却没有根公钥", "把登记库的 trust-root.pub 一并放入 catalog/")
	case errors.Is(lerr, fs.ErrNotExist):
		return nil, fail("catalog/trust-root.pub", "有根公钥却没有信任列表", "把登记库的 trust.list 一并放入 catalog/")
	case perr != nil:
		return nil, &BuildError{Diagnostics: diag.List{diag.System("catalog/trust-root.pub", perr)}}
	case lerr != nil:
		return nil, &BuildError{Diagnostics: diag.List{diag.System("catalog/trust.list", lerr)}}
	}
	p, err := trust.ParsePin(pin)
	if err != nil {
		return nil, fail("catalog/trust-root.pub", "不是有效的根公钥文件："+err.Error(), "从登记库复制 qualbridge trust init 写出的 trust-root.pub，不要手工修改")
	}
	l, err := trust.OpenList(list, p.Root)
	if err != nil {
		return nil, fail("catalog/trust.list", "未经 catalog/trust-root.pub 的根密钥签名，不能发布："+err.Error(), "从同一登记库复制 trust.list 和 trust-root.pub")
	}
	t := &publishedTrust{Pin: pin, List: list, Seq: l.Seq, SignedAt: l.SignedAt, Expires: l.Expires}
	for _, k := range l.Keys {
		role := map[trust.Role]string{trust.RoleSigning: "证书和撤销签名", trust.RoleTimestamp: "快照时间戳"}[k.Role]
		status := map[trust.Status]string{trust.Active: "启用", trust.Retired: "停用（此前所签仍然有效）", trust.Compromised: "泄露（所签一律不可信）"}[k.Status]
		t.Keys = append(t.Keys, publishedKey{KID: k.KID, Role: role, Status: status, NotBefore: k.NotBefore, NotAfter: k.NotAfter})
	}
	return t, nil
}
