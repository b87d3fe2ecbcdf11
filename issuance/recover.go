package issuance

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// RecoverOptions is one recovery of a registry restored from an older
// backup, from a snapshot it published since.
type RecoverOptions struct {
	Registry string
	FS       FS     // nil: [OS]
	Trust    *Trust // the registry's root of trust ([OpenTrust])
	Snapshot string // the snapshot folder (a store is mirrored into one first)
	Source   string // names the snapshot in messages; "": Snapshot
	Now      time.Time
	DryRun   bool // check and report, write nothing
}

// Recovered is what [Recover] took back, or would take back (DryRun).
type Recovered struct {
	Head *trust.Head // the snapshot's, checked
	// Expired is when the snapshot's head expired, if it had: it was
	// checked as of its own signing (the revocations it holds are signed
	// and chained, and do not expire).
	Expired time.Time
	Had     int // revocations the registry held before
	// Added are the revocations taken back, in the snapshot's order.
	// Number is empty for one of a certificate the registry does not
	// hold (issued after the backup, then revoked): it is taken back all
	// the same, since a list without it would not extend the one the
	// verifiers hold.
	Added     []Revocation
	Orphans   int      // of Added: Number empty
	Untrusted []string // of Added: the kids of those the trust list no longer lets count (compromised, out of window)
	SeqFrom   uint64   // publish.seq before
	SeqTo     uint64   // and after (the head's sequence if it was higher)
	// Certificates the registry publishes, and those of the snapshot
	// whose locator no issuance log of the registry holds (issued after
	// the backup: the snapshot has only their sealed copies, and a
	// registry needs the personal records and the tokens).
	Certificates, Lost int
	// ListSeq is the registry's trust list sequence, SnapshotListSeq the
	// snapshot's: a higher one means the list changed after the backup.
	ListSeq, SnapshotListSeq uint64
}

// UpToDate reports whether there was nothing to take back.
func (r *Recovered) UpToDate() bool { return len(r.Added) == 0 && r.SeqTo == r.SeqFrom }

// Recover takes back, byte for byte, the revocations a registry restored
// from an older backup lacks, from a snapshot published before the loss
// (a folder, or a store mirrored into one), and raises the registry's
// publish sequence to the snapshot head's. Replicas that saw those
// revocations then accept the registry's next snapshot: its list extends
// theirs, with their high-water marks kept.
//
// The snapshot is loaded with every check of a verifier ([trust.Load])
// against the registry's own pin: another root's snapshot, a forged
// head or objects that do not match it are refused. The registry's
// cancellations.log must be a prefix of the snapshot's revocation list
// (the same envelopes in the same order); the missing ones are then
// appended in order, each checked against the registry's trust list,
// under the lock and through the crash-safe rewrite of [Revoke]. If the
// registry made revocations of its own since the restore, the lists
// diverge and nothing is written: the error, positioned at the first
// differing line, says what the operator can do. A second run finds
// nothing to do ([Recovered.UpToDate]).
//
// Certificates issued after the backup cannot come back this way; they
// are counted ([Recovered.Lost]), never written.
func Recover(o RecoverOptions) (*Recovered, error) {
	fsys := o.FS
	if fsys == nil {
		fsys = OS()
	}
	if o.Trust == nil {
		return nil, &NoTrustError{Dir: o.Registry}
	}
	if o.Source == "" {
		o.Source = o.Snapshot
	}
	unlock, err := Lock(o.Registry, "registry recover", o.Now)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !o.DryRun {
		if _, err := recoverJournal(fsys, o.Registry); err != nil {
			return nil, err
		}
	}
	snap, _, err := trust.Load(o.Snapshot, o.Trust.Pin, trust.Marks{}, o.Now, trust.DefaultOptions())
	var expired time.Time
	if trust.ReasonOf(err) == trust.ReasonExpired {
		// Heads live days; a registry restored later still needs the
		// revocations, and they do not expire: each is signed and
		// chained. Checked as of the head's own signing, everything
		// else (root, trust list, signatures, hashes) as strictly.
		hb, rerr := os.ReadFile(filepath.Join(o.Snapshot, trust.HeadFile))
		if h, perr := trust.ParseHead(hb); rerr == nil && perr == nil {
			snap, _, err = trust.Load(o.Snapshot, o.Trust.Pin, trust.Marks{}, h.SignedAt, trust.DefaultOptions())
			expired = h.Expires
		}
	}
	if err != nil {
		return nil, snapshotRefused(o.Source, err)
	}
	envs, err := readRevocationList(o.Snapshot, snap.Head)
	if err != nil {
		return nil, snapshotRefused(o.Source, err)
	}

	st, err := loadState(o.Registry)
	if err != nil {
		return nil, err
	}
	all, err := readSealed(o.Registry, st)
	if err != nil {
		return nil, err
	}
	numbers := make(map[record.Locator]string, len(all))
	for _, s := range all {
		numbers[s.Locator] = s.Number
	}
	cs, err := readCancellations(o.Registry)
	if err != nil {
		return nil, err
	}
	last, err := readSeq(o.Registry)
	if err != nil {
		return nil, err
	}
	r := &Recovered{Head: snap.Head, Expired: expired, Had: len(cs), SeqFrom: last, SeqTo: max(last, snap.Head.Seq),
		ListSeq: o.Trust.List.Seq, SnapshotListSeq: snap.List.Seq}
	pub, err := standing(o.Registry, o.Trust.List, all)
	if err != nil {
		return nil, err
	}
	r.Certificates = len(pub)
	for i := range snap.Records.Len() {
		if snap.Records.Kind(uint32(i)) != seal.ByToken {
			continue
		}
		if _, ok := numbers[snap.Records.Locator(uint32(i))]; !ok {
			r.Lost++
		}
	}

	// The registry's list must be the start of the snapshot's (or the
	// snapshot's the start of the registry's: nothing to take back).
	k := 0
	for k < len(cs) && k < len(envs) && string(cs[k].Envelope) == string(envs[k]) {
		k++
	}
	if k < len(cs) && k < len(envs) {
		return nil, diverged(o, len(cs), len(envs), k)
	}
	var lines []string
	for i, env := range envs[k:] {
		n := len(cs) + i + 1
		cn, err := record.OpenCancellation(env, o.Trust.List.PublicKey(trust.RoleSigning))
		if err != nil {
			kid, _ := record.EnvelopeKID(env)
			d := diag.Diagnostic{Pos: diag.Pos{File: o.Source}, Message: fmt.Sprintf(
				"快照中的第 %d 条撤销（密钥 %s）无法用登记库的信任列表核验：%v；未写入任何内容", n, kid, err)}
			if snap.List.Seq > o.Trust.List.Seq {
				d.Hint = fmt.Sprintf("快照的信任列表（第 %d 版）比登记库的（第 %d 版）新：备份之后加入的密钥不在登记库中；先从备份找回较新的 trust.list，再运行", snap.List.Seq, o.Trust.List.Seq)
			} else {
				d.Hint = "查明原因：快照的每条撤销都应由登记库信任列表中的签名密钥签署"
			}
			return nil, d
		}
		if o.Trust.List.May(cn.KID, trust.RoleSigning, cn.SignedAt) != nil {
			r.Untrusted = append(r.Untrusted, cn.KID)
		}
		num, ok := numbers[cn.Locator]
		if !ok {
			r.Orphans++
		}
		r.Added = append(r.Added, Revocation{Number: num, Locator: cn.Locator, Date: cn.Date, Reason: cn.Reason})
		lines = append(lines, cn.Locator.String()+" "+base64URL.EncodeToString(env))
	}
	if o.DryRun {
		return r, nil
	}
	if len(lines) > 0 {
		if err := appendLines(fsys, o.Registry, CancellationsFile, lines); err != nil {
			return nil, err
		}
	}
	if r.SeqTo > r.SeqFrom {
		if err := writeFile(fsys, filepath.Join(o.Registry, PublishSeqFile), []byte(strconv.FormatUint(r.SeqTo, 10)+"\n"), 0o644); err != nil {
			return nil, err
		}
		if err := fsys.SyncDir(o.Registry); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// readRevocationList reads the revocation list h names in the snapshot
// folder dir (docs/certificate-format.md §5: "QBV2", a 4-byte count,
// each envelope after its uvarint length) and checks it against h's
// count and chained hash, so that it is the list [trust.Load] checked.
func readRevocationList(dir string, h *trust.Head) ([][]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(trust.RevocationsFile(h.RevChain))))
	if err != nil {
		return nil, &trust.Refusal{Reason: trust.ReasonUnreadable, Err: err}
	}
	bad := &trust.Refusal{Reason: trust.ReasonMismatch, Err: errors.New("revocation list differs from the head")}
	if len(b) < 8 || string(b[:4]) != "QBV2" || binary.BigEndian.Uint32(b[4:8]) != h.Revocations {
		return nil, bad
	}
	rest := b[8:]
	envs := make([][]byte, 0, min(int(h.Revocations), len(rest)))
	for range h.Revocations {
		l, n := binary.Uvarint(rest)
		if n <= 0 || l > record.MaxEnvelope || l > uint64(len(rest)-n) {
			return nil, bad
		}
		envs = append(envs, rest[n:n+int(l)])
		rest = rest[n+int(l):]
	}
	if len(rest) != 0 || trust.Chain(envs)[len(envs)] != h.RevChain {
		return nil, bad
	}
	return envs, nil
}

// snapshotRefused words a snapshot [trust.Load] refused for the operator.
func snapshotRefused(source string, err error) error {
	d := diag.Diagnostic{Pos: diag.Pos{File: source}}
	reason := trust.ReasonOf(err)
	switch reason {
	case trust.ReasonRoot:
		d.Message = "快照不在本登记库的根信任（trust-root.pub）之下，拒绝从中恢复"
		d.Hint = "-from 应是本登记库发布的快照：核对文件夹或存储地址；另一个根的快照不能用来恢复"
	case trust.ReasonUnreadable:
		d.Message = "无法读取快照"
		d.Hint = "检查 -from 的路径或存储地址，以及读取权限"
	case trust.ReasonExpired:
		d.Message = "快照头或信任列表已过期，拒绝从中恢复"
		d.Hint = "用仍在有效期内的快照副本（另一个存储，或某个核验服务状态目录中的 snapshot/：它最后接受的快照）"
	default:
		d.Message = "快照未通过核验，拒绝从中恢复"
		d.Hint = "快照头或它所列的对象被改动、伪造或不完整：换用另一份副本（另一个存储，或某个核验服务状态目录中的 snapshot/：它最后接受的快照）"
	}
	d.Message += fmt.Sprintf("（%s：%v）", reason, errors.Unwrap(err))
	return d
}

// diverged is the refusal of a registry whose revocations and the
// snapshot's differ at index i, neither a prefix of the other.
func diverged(o RecoverOptions, had, snap, i int) error {
	return diag.Diagnostic{Pos: diag.Pos{File: filepath.Join(o.Registry, CancellationsFile), Line: i + 1},
		Message: fmt.Sprintf("登记库的撤销与快照 %s 的不一致：登记库 %d 条，快照 %d 条，自第 %d 条起不同；未写入任何内容", o.Source, had, snap, i+1),
		Hint: fmt.Sprintf("登记库恢复后又自行撤销过证书，须由人决定：把 %s 第 %d 行起的 %d 条移出（记下证书编号），重新运行 registry recover，再用 qualbridge revoke 重做这些撤销（追加在快照的撤销之后，核验服务照常接受）；"+
			"或者放弃快照中的撤销，发布后在每个核验服务删除 marks.json（docs/deploy.md，“The rollback trap”）", CancellationsFile, i+1, had-i)}
}

// appendLines appends lines to a small registry file at once, rewriting
// it whole through a temporary file and a rename, with fsyncs: all of
// them are there after a crash, or none.
func appendLines(fsys FS, dir, file string, lines []string) error {
	name := filepath.Join(dir, file)
	old, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		return &RegistryError{Dir: dir, Err: fmt.Errorf("%s 的最后一行不完整，拒绝追加", file)}
	}
	for _, l := range lines {
		old = append(old, l+"\n"...)
	}
	if err := writeFile(fsys, name, old, 0o644); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}
