package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

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

// readTrust reads catalog/trust-root.pub and catalog/trust.list, if the
// centre publishes them: both or neither, the list signed by the root.
func readTrust(src string) (*publishedTrust, error) {
	dir := filepath.Join(src, "catalog")
	if _, err := os.Stat(filepath.Join(dir, "trust.json")); err == nil {
		return nil, errors.New("catalog/trust.json:1:1: 旧格式的信任列表不再发布：改放登记库中的 trust-root.pub 和 trust.list（由 qualbridge trust init 建立）")
	}
	pin, perr := os.ReadFile(filepath.Join(dir, "trust-root.pub"))
	list, lerr := os.ReadFile(filepath.Join(dir, "trust.list"))
	switch {
	case errors.Is(perr, fs.ErrNotExist) && errors.Is(lerr, fs.ErrNotExist):
		return nil, nil
	case errors.Is(perr, fs.ErrNotExist):
		return nil, errors.New("catalog/trust.list:1:1: 有信任列表却没有根公钥：把登记库的 trust-root.pub 一并放入 catalog/")
	case errors.Is(lerr, fs.ErrNotExist):
		return nil, errors.New("catalog/trust-root.pub:1:1: 有根公钥却没有信任列表：把登记库的 trust.list 一并放入 catalog/")
	case perr != nil:
		return nil, perr
	case lerr != nil:
		return nil, lerr
	}
	p, err := trust.ParsePin(pin)
	if err != nil {
		return nil, fmt.Errorf("catalog/trust-root.pub:1:1: 不是有效的根公钥文件：%v", err)
	}
	l, err := trust.OpenList(list, p.Root)
	if err != nil {
		return nil, fmt.Errorf("catalog/trust.list:1:1: 未经 catalog/trust-root.pub 的根密钥签名，不能发布：%v", err)
	}
	t := &publishedTrust{Pin: pin, List: list, Seq: l.Seq, SignedAt: l.SignedAt, Expires: l.Expires}
	for _, k := range l.Keys {
		role := map[trust.Role]string{trust.RoleSigning: "证书和撤销签名", trust.RoleTimestamp: "快照时间戳"}[k.Role]
		status := map[trust.Status]string{trust.Active: "启用", trust.Retired: "停用（此前所签仍然有效）", trust.Compromised: "泄露（所签一律不可信）"}[k.Status]
		t.Keys = append(t.Keys, publishedKey{KID: k.KID, Role: role, Status: status, NotBefore: k.NotBefore, NotAfter: k.NotAfter})
	}
	return t, nil
}
