package issuance

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// PublishOptions is one publication of a verifier snapshot.
type PublishOptions struct {
	Registry  string
	Out       string             // the snapshot folder ([Publish]); names the target in messages ([PublishTo])
	Timestamp ed25519.PrivateKey // signs the head only
	Now       time.Time
	Lifetime  time.Duration // how long the head lives; 0: 7 days
}

// Publish writes the registry as a verifier snapshot into the folder
// o.Out ([PublishTo] with a [trust.Folder]).
func Publish(o PublishOptions) (*trust.Head, error) {
	p, err := PublishTo(context.Background(), o, trust.Folder(o.Out))
	if err != nil {
		return nil, err
	}
	return p.Head, nil
}

// PublishTo writes the registry as a verifier snapshot to t, a folder or
// an object store (trust.PublishTo): the root sets and the root-signed
// trust list, the version-2 revocations in append order, both sealed
// copies of every certificate in issue order, and last a head signed by
// the timestamp key. The head's sequence is above the registry's last
// (kept in publish.seq) and above the head t holds, so that a registry
// restored from an older backup still publishes a head verifiers accept.
// Every certificate's signature is checked against the root-signed trust
// list first: a registry whose trust list or certificates were changed
// without the root publishes nothing. Running it again with nothing new
// writes only a new head. o.Out names t in messages.
func PublishTo(ctx context.Context, o PublishOptions, target trust.Target) (*trust.Published, error) {
	if o.Lifetime == 0 {
		o.Lifetime = 7 * 24 * time.Hour
	}
	unlock, err := Lock(o.Registry, "publish", o.Now)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := recoverJournal(OS(), o.Registry); err != nil {
		return nil, err
	}
	tr, err := OpenTrust(o.Registry)
	if err != nil {
		return nil, err
	}
	if err := maySign(tr.List, kidOf(o.Timestamp), trust.RoleTimestamp, o.Now); err != nil {
		return nil, fmt.Errorf("拒绝发布：时间戳密钥不在根签名的信任列表中或此刻不得签名：%v", err)
	}
	st, err := loadState(o.Registry)
	if err != nil {
		return nil, err
	}
	all, err := readSealed(o.Registry, st)
	if err != nil {
		return nil, err
	}
	if all, err = standing(o.Registry, tr.List, all); err != nil {
		return nil, err
	}

	if err := checkAll(tr.List, all); err != nil {
		return nil, &RegistryError{Dir: o.Registry, Err: err}
	}
	objs := make([]trust.Object, 0, 2*len(all))
	for i := range all {
		s := &all[i]
		objs = append(objs,
			trust.Object{Locator: s.Locator, Kind: seal.ByToken, Generation: s.Generation, Sealed: s.ByToken},
			trust.Object{Locator: s.LookupLocator, Kind: seal.ByLookup, Generation: s.Generation, Sealed: s.ByLookup})
	}
	cs, err := readCancellations(o.Registry)
	if err != nil {
		return nil, err
	}
	revs := make([][]byte, len(cs))
	for i, c := range cs {
		revs[i] = c.Envelope
	}
	last, err := readSeq(o.Registry)
	if err != nil {
		return nil, err
	}
	pub, err := trust.PublishTo(ctx, target, trust.Input{Roots: tr.Roots, List: tr.Bytes, Revocations: revs, Records: objs,
		Seq: last + 1, Now: o.Now.UTC().Truncate(time.Second), Lifetime: o.Lifetime, Timestamp: o.Timestamp})
	if pub == nil && err != nil {
		return nil, &TargetError{Target: o.Out, Err: err}
	}
	// The head is out (a failed pruning after it only leaves objects
	// behind): the registry's sequence follows it.
	fsys := OS()
	if werr := writeFile(fsys, filepath.Join(o.Registry, PublishSeqFile), []byte(strconv.FormatUint(pub.Seq, 10)+"\n"), 0o644); werr != nil {
		return pub, werr
	}
	if werr := fsys.SyncDir(o.Registry); werr != nil {
		return pub, werr
	}
	if err != nil {
		return pub, fmt.Errorf("快照已发布到 %s，但清理旧对象失败：%w", o.Out, err)
	}
	return pub, nil
}

// TargetError is a publish that failed writing its target, before the
// head: the target's old head stands, with all its objects, and running
// the publish again writes what is missing.
type TargetError struct {
	Target string
	Err    error
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("快照 %s 写入失败（原有的快照头未被改动，仍然有效）：%v", e.Target, e.Err)
}
func (e *TargetError) Unwrap() error { return e.Err }

func readSeq(dir string) (uint64, error) {
	data, err := os.ReadFile(filepath.Join(dir, PublishSeqFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, &RegistryError{Dir: dir, Err: fmt.Errorf("%s 无法读取：%v", PublishSeqFile, err)}
	}
	return n, nil
}

func kidOf(k ed25519.PrivateKey) string {
	if len(k) != ed25519.PrivateKeySize {
		return ""
	}
	return record.KeyID(k.Public().(ed25519.PublicKey))
}

// checkAll checks every certificate's version-2 signature against the
// root-signed trust list, over all CPUs; the error names the first bad one.
func checkAll(l *trust.List, all []Sealed) error {
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	n := runtime.GOMAXPROCS(0)
	for w := range n {
		wg.Go(func() {
			for i := w; i < len(all); i += n {
				errs[i] = checkSealed(l, &all[i])
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("证书 %s 的第 2 版签名无法核验，拒绝发布：%v", all[i].Number, err)
		}
	}
	return nil
}
