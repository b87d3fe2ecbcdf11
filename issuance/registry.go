package issuance

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Files of a registry directory besides those [record.LoadRegistry] reads.
const (
	// JournalFile exists only while a batch is being committed: it names
	// the batch, so that the next run (or [Repair]) finishes or undoes it.
	JournalFile = "journal"
	// IndexFile lists the keyed fingerprints of every holder and
	// qualification issued; it is derived from the batch manifests and
	// can always be rebuilt from them.
	IndexFile = "issued.idx"
	// LockFile is held (flock) by the run that changes the registry, and
	// says who that is and since when.
	LockFile = ".lock"

	manifestExt = ".batch"
	personalExt = ".personal.age"
	certsExt    = ".certs"

	manifestHeader = "qualbridge batch v1"
	journalHeader  = "qualbridge journal v1"
)

// Manifest is a batch's own record of itself, certs/NNNNNN.batch,
// written before the batch file: where its input came from, what the
// other two files hash to, and one keyed fingerprint per certificate.
// Nothing in it is personal data.
type Manifest struct {
	Batch          int
	InputSHA256    string // of the applicants file, so the same batch run twice is recognised
	Verifier       string // the verifier URL base printed in the QR codes
	IssuedAt       time.Time
	CertsSHA256    string
	PersonalSHA256 string
	SealedSHA256   string   // of the .sealed file; "" for a batch issued without a root of trust
	Holders        []Holder // in the order of the batch file's lines
}

// Holder is one certificate's line of a manifest: its number and the
// fingerprint of (identity number, qualification) under the signing key.
type Holder struct {
	Number      string
	KID         string
	Fingerprint string
}

func (m *Manifest) format() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\ninput-sha256 %s\nverifier %s\nissued-at %s\ncount %d\ncerts-sha256 %s\npersonal-sha256 %s\n",
		manifestHeader, m.InputSHA256, m.Verifier, m.IssuedAt.UTC().Format(time.RFC3339), len(m.Holders), m.CertsSHA256, m.PersonalSHA256)
	if m.SealedSHA256 != "" {
		fmt.Fprintf(&b, "sealed-sha256 %s\n", m.SealedSHA256)
	}
	for _, h := range m.Holders {
		fmt.Fprintf(&b, "holder %s %s %s\n", h.Number, h.KID, h.Fingerprint)
	}
	return b.Bytes()
}

// parseManifest reads a manifest; the error says which line is wrong.
func parseManifest(batch int, data []byte) (*Manifest, error) {
	m := &Manifest{Batch: batch}
	count := -1
	lines := strings.Split(string(data), "\n")
	if len(lines) == 0 || lines[len(lines)-1] != "" {
		return nil, &lineError{len(lines), "最后一行没有换行符（写入被中断？）"}
	}
	lines = lines[:len(lines)-1]
	if len(lines) == 0 || lines[0] != manifestHeader {
		return nil, &lineError{1, "不是批次清单（第一行应为 \"" + manifestHeader + "\"）"}
	}
	for i, l := range lines[1:] {
		n := i + 2
		k, v, _ := strings.Cut(l, " ")
		var err error
		switch k {
		case "input-sha256":
			m.InputSHA256 = v
		case "verifier":
			m.Verifier = v
		case "issued-at":
			m.IssuedAt, err = time.Parse(time.RFC3339, v)
		case "count":
			count, err = strconv.Atoi(v)
		case "certs-sha256":
			m.CertsSHA256 = v
		case "personal-sha256":
			m.PersonalSHA256 = v
		case "sealed-sha256":
			m.SealedSHA256 = v
		case "holder":
			f := strings.Fields(v)
			if len(f) != 3 || len(f[2]) != 32 {
				return nil, &lineError{n, "holder 行应为 \"holder <证书编号> <密钥> <指纹>\""}
			}
			m.Holders = append(m.Holders, Holder{f[0], f[1], f[2]})
		default:
			return nil, &lineError{n, fmt.Sprintf("未知的清单字段 %q", k)}
		}
		if err != nil {
			return nil, &lineError{n, fmt.Sprintf("%s 的值 %q 无法读取", k, v)}
		}
	}
	if count != len(m.Holders) {
		return nil, &lineError{len(lines), fmt.Sprintf("清单写明 %d 份证书，实际列出 %d 份", count, len(m.Holders))}
	}
	return m, nil
}

// lineError is a problem on one line of a registry file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("第 %d 行：%s", e.line, e.msg) }

// journal is the intent of a commit in progress.
type journal struct {
	Batch       int
	Count       int
	InputSHA256 string
	Started     time.Time
	PID         int
}

func (j *journal) format() []byte {
	return fmt.Appendf(nil, "%s\nbatch %06d\ncount %d\ninput-sha256 %s\nstarted %s\npid %d\n",
		journalHeader, j.Batch, j.Count, j.InputSHA256, j.Started.UTC().Format(time.RFC3339), j.PID)
}

func parseJournal(data []byte) (*journal, error) {
	j := &journal{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	first := true
	for sc.Scan() {
		l := sc.Text()
		if first {
			if l != journalHeader {
				return nil, errors.New("不是签发日志")
			}
			first = false
			continue
		}
		k, v, _ := strings.Cut(l, " ")
		var err error
		switch k {
		case "batch":
			j.Batch, err = strconv.Atoi(v)
		case "count":
			j.Count, err = strconv.Atoi(v)
		case "input-sha256":
			j.InputSHA256 = v
		case "started":
			j.Started, err = time.Parse(time.RFC3339, v)
		case "pid":
			j.PID, err = strconv.Atoi(v)
		}
		if err != nil {
			return nil, fmt.Errorf("%s 的值 %q 无法读取", k, v)
		}
	}
	if first || j.Batch <= 0 {
		return nil, errors.New("签发日志不完整")
	}
	return j, nil
}

func batchBase(n int) string { return fmt.Sprintf("%06d", n) }

// batchPaths returns the three files of batch n under dir.
func batchPaths(dir string, n int) (personal, manifest, certs string) {
	b := filepath.Join(dir, record.CertsDir, batchBase(n))
	return b + personalExt, b + manifestExt, b + certsExt
}

// sealedPath is batch n's sealed certificates and issuance log.
func sealedPath(dir string, n int) string {
	return filepath.Join(dir, record.CertsDir, batchBase(n)+sealedExt)
}

// lastSigned is the latest signing time the registry records.
func (st *state) lastSigned() time.Time {
	var t time.Time
	for _, m := range st.manifests {
		if m.IssuedAt.After(t) {
			t = m.IssuedAt
		}
	}
	return t
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// state is a registry read for issuing: the signed batches, their
// manifests and the index.
type state struct {
	reg       *record.Registry
	manifests map[int]*Manifest // batch number → manifest
	legacy    []int             // batches without a manifest (written before manifests existed)
	index     []string          // lines of issued.idx, "kid fp"
	last      int               // highest batch number in use by any file
}

// loadState reads dir. A registry the verifier would refuse is refused here too.
func loadState(dir string) (*state, error) {
	reg, err := record.LoadRegistry(os.DirFS(dir))
	if err != nil {
		return nil, &RegistryError{Dir: dir, Err: err}
	}
	st := &state{reg: reg, manifests: map[int]*Manifest{}}
	names, err := record.BatchFiles(os.DirFS(dir))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		n, _ := record.BatchNumber(path.Base(name))
		st.last = max(st.last, n)
		_, mpath, _ := batchPaths(dir, n)
		data, err := os.ReadFile(mpath)
		if errors.Is(err, fs.ErrNotExist) {
			st.legacy = append(st.legacy, n)
			continue
		}
		if err != nil {
			return nil, err
		}
		m, err := parseManifest(n, data)
		if err != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s: %w", filepath.ToSlash(filepath.Join(record.CertsDir, batchBase(n)+manifestExt)), err)}
		}
		st.manifests[n] = m
	}
	// Staged files of an unfinished batch also hold their number.
	des, _ := os.ReadDir(filepath.Join(dir, record.CertsDir))
	for _, de := range des {
		if n, ok := stagedBatch(de.Name()); ok {
			st.last = max(st.last, n)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for l := range strings.SplitSeq(string(data), "\n") {
		if l != "" {
			st.index = append(st.index, l)
		}
	}
	return st, nil
}

// stagedBatch parses "000042.batch" or "000042.personal.age".
func stagedBatch(name string) (int, bool) {
	for _, ext := range []string{manifestExt, personalExt, sealedExt} {
		if base, ok := strings.CutSuffix(name, ext); ok {
			return record.BatchNumber(base + certsExt)
		}
	}
	return 0, false
}

// derivedIndex is the index as the manifests say it must be: one line
// per certificate, in batch order. Lines of the old index that no
// manifest explains are kept only while legacy batches exist, since
// they are the only record of those batches' holders.
func (st *state) derivedIndex() []string {
	var out []string
	seen := map[string]bool{}
	nums := make([]int, 0, len(st.manifests))
	for n := range st.manifests {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		for _, h := range st.manifests[n].Holders {
			l := h.KID + " " + h.Fingerprint
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	if len(st.legacy) > 0 {
		for _, l := range st.index {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// issuedSet is every (kid, fingerprint) the registry has issued: the
// manifests, and the index as well, so that neither a lost index nor a
// lost manifest lets a holder be issued twice.
func (st *state) issuedSet() map[string]bool {
	set := map[string]bool{}
	for _, m := range st.manifests {
		for _, h := range m.Holders {
			set[h.KID+" "+h.Fingerprint] = true
		}
	}
	for _, l := range st.index {
		set[l] = true
	}
	return set
}

func formatIndex(lines []string) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// writeIndex writes issued.idx from the manifests.
func writeIndex(fsys FS, dir string, lines []string) error {
	if err := writeFile(fsys, filepath.Join(dir, IndexFile), formatIndex(lines), 0o600); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}

// pending is a batch ready to commit.
type pending struct {
	manifest *Manifest
	certs    []byte
	personal []byte
	sealed   []byte // nil: no root of trust
}

// commit writes a batch by the protocol of the package doc. A failure
// before the batch file is in place undoes what it wrote (and if even
// that fails, the journal lets the next run undo it); after, the batch
// is issued and only the index may lag, which the next run rebuilds.
func commit(fsys FS, dir string, st *state, p *pending, now time.Time) (indexErr error, err error) {
	n := p.manifest.Batch
	certsDir := filepath.Join(dir, record.CertsDir)
	personal, manifest, certs := batchPaths(dir, n)
	j := &journal{Batch: n, Count: len(p.manifest.Holders), InputSHA256: p.manifest.InputSHA256, Started: now, PID: os.Getpid()}

	if err := fsys.MkdirAll(certsDir, 0o755); err != nil {
		return nil, err
	}
	// 1. The intent, durable before any batch file exists.
	if err := writeFile(fsys, filepath.Join(dir, JournalFile), j.format(), 0o644); err != nil {
		return nil, err
	}
	if err := fsys.SyncDir(dir); err != nil {
		return nil, undo(fsys, dir, n, err)
	}
	// 2. The personal records and the manifest, then their directory.
	if err := writeFile(fsys, personal, p.personal, 0o644); err != nil {
		return nil, undo(fsys, dir, n, err)
	}
	if err := writeFile(fsys, manifest, p.manifest.format(), 0o644); err != nil {
		return nil, undo(fsys, dir, n, err)
	}
	if p.sealed != nil {
		if err := writeFile(fsys, sealedPath(dir, n), p.sealed, 0o644); err != nil {
			return nil, undo(fsys, dir, n, err)
		}
	}
	if err := fsys.SyncDir(certsDir); err != nil {
		return nil, undo(fsys, dir, n, err)
	}
	// 3. The batch file: its rename is the commit point.
	if err := writeFile(fsys, certs, p.certs, 0o644); err != nil {
		return nil, undo(fsys, dir, n, err)
	}
	if err := fsys.SyncDir(certsDir); err != nil {
		// The rename may or may not survive a power cut, so the batch may
		// not be called issued (nor printed). Nor may it be undone: the
		// verifier may already serve it. The journal stays, and the next
		// run decides by what is on disk (TestCommitFaults/power-cut).
		return nil, &UncertainError{Batch: path.Join(record.CertsDir, batchBase(n)+certsExt), Err: err}
	}
	// 4. Committed. The index and the journal's removal may fail; the
	// next run rebuilds the one and finishes the other.
	st.manifests[n] = p.manifest
	if err := writeIndex(fsys, dir, st.derivedIndex()); err != nil {
		return err, nil
	}
	if err := fsys.Remove(filepath.Join(dir, JournalFile)); err != nil {
		return err, nil
	}
	return fsys.SyncDir(dir), nil
}

// undo removes the staged files of batch n and then the journal, after
// err stopped its commit. It returns err.
func undo(fsys FS, dir string, n int, err error) error {
	personal, manifest, _ := batchPaths(dir, n)
	e1 := removeIfExists(fsys, manifest)
	e2 := removeIfExists(fsys, personal)
	e3 := removeIfExists(fsys, sealedPath(dir, n))
	if e1 == nil && e2 == nil && e3 == nil && fsys.SyncDir(filepath.Join(dir, record.CertsDir)) == nil {
		if removeIfExists(fsys, filepath.Join(dir, JournalFile)) == nil {
			fsys.SyncDir(dir)
		}
	}
	return err
}

// Action is one thing recovery or [Repair] did, said for the operator.
type Action struct {
	File    string // relative to the registry, slash-separated
	Message string // in Chinese
}

func (a Action) String() string { return a.File + ": " + a.Message }

// recoverJournal finishes or undoes the commit a journal names, and
// removes temporary files. It runs under the lock, first thing.
func recoverJournal(fsys FS, dir string) ([]Action, error) {
	var acts []Action
	certsDir := filepath.Join(dir, record.CertsDir)
	jpath := filepath.Join(dir, JournalFile)
	data, err := os.ReadFile(jpath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		j, perr := parseJournal(data)
		if perr != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s: %v", JournalFile, perr)}
		}
		personal, manifest, certs := batchPaths(dir, j.Batch)
		b := batchBase(j.Batch)
		if _, err := os.Stat(certs); err == nil {
			ok, why := batchMatchesManifest(certs, manifest)
			if !ok {
				return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s: %s", path.Join(record.CertsDir, b+certsExt), why)}
			}
			acts = append(acts, Action{path.Join(record.CertsDir, b+certsExt), fmt.Sprintf("上次签发（%s 开始，%d 份）已完整写入，补完收尾", localTime(j.Started), j.Count)})
		} else {
			for _, f := range []string{manifest, personal, sealedPath(dir, j.Batch)} {
				if err := removeIfExists(fsys, f); err != nil {
					return acts, err
				}
			}
			if err := fsys.SyncDir(certsDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return acts, err
			}
			acts = append(acts, Action{path.Join(record.CertsDir, b+certsExt), fmt.Sprintf("上次签发（%s 开始，%d 份）未写完，已回滚：其中没有任何证书生效", localTime(j.Started), j.Count)})
		}
	}
	tmps, err := removeTemps(fsys, dir)
	acts = append(acts, tmps...)
	if err != nil {
		return acts, err
	}
	if data != nil {
		// The index follows the batches as they now are.
		st, err := loadState(dir)
		if err != nil {
			return acts, err
		}
		if err := writeIndex(fsys, dir, st.derivedIndex()); err != nil {
			return acts, err
		}
		acts = append(acts, Action{IndexFile, "已按批次清单重建"})
		if err := fsys.Remove(jpath); err != nil {
			return acts, err
		}
		if err := fsys.SyncDir(dir); err != nil {
			return acts, err
		}
	}
	return acts, nil
}

// batchMatchesManifest reports whether a batch file is the one its
// manifest describes.
func batchMatchesManifest(certs, manifest string) (bool, string) {
	cdata, err := os.ReadFile(certs)
	if err != nil {
		return false, err.Error()
	}
	mdata, err := os.ReadFile(manifest)
	if err != nil {
		return false, "批次清单缺失"
	}
	m, err := parseManifest(0, mdata)
	if err != nil {
		return false, "批次清单无法读取：" + err.Error()
	}
	if sha256Hex(cdata) != m.CertsSHA256 {
		return false, "批次文件与其清单记录的摘要不符"
	}
	if m.SealedSHA256 != "" {
		sdata, err := os.ReadFile(strings.TrimSuffix(certs, certsExt) + sealedExt)
		if err != nil {
			return false, "封存文件缺失"
		}
		if sha256Hex(sdata) != m.SealedSHA256 {
			return false, "封存文件与其清单记录的摘要不符"
		}
	}
	return true, ""
}

// removeTemps removes the temporary files issuing leaves behind when
// it is stopped between writing a file and renaming it.
func removeTemps(fsys FS, dir string) ([]Action, error) {
	var acts []Action
	for _, d := range []string{"", record.CertsDir} {
		des, err := os.ReadDir(filepath.Join(dir, d))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return acts, err
		}
		removed := false
		for _, de := range des {
			if !isTemp(de.Name()) {
				continue
			}
			if err := fsys.Remove(filepath.Join(dir, d, de.Name())); err != nil {
				return acts, err
			}
			removed = true
			acts = append(acts, Action{path.Join(filepath.ToSlash(d), de.Name()), "已删除中断写入留下的临时文件"})
		}
		if removed {
			if err := fsys.SyncDir(filepath.Join(dir, d)); err != nil {
				return acts, err
			}
		}
	}
	return acts, nil
}

// localTime shows a time in the centre's civil time (Asia/Shanghai, UTC+8).
func localTime(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")
}
