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
)

// Files of a registry directory, besides those of its root of trust
// (trust.go).
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

	// CertsDir holds the batches: per batch its personal records, its
	// manifest and its issuance log (NNNNNN.sealed, the commit point).
	CertsDir = "certs"

	manifestExt = ".batch"
	personalExt = ".personal.age"

	manifestHeader = "qualbridge batch v2"
	journalHeader  = "qualbridge journal v1"
)

// Manifest is a batch's own record of itself, certs/NNNNNN.batch,
// written before the issuance log: where its input came from, what the
// other two files hash to, and one keyed fingerprint per certificate.
// Nothing in it is personal data.
type Manifest struct {
	Batch          int
	InputSHA256    string // of the applicants file, so the same batch run twice is recognised
	Verifier       string // the verifier URL base printed in the QR codes
	IssuedAt       time.Time
	PersonalSHA256 string
	SealedSHA256   string   // of the issuance log, NNNNNN.sealed
	Holders        []Holder // in the order of the issuance log's lines
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
	fmt.Fprintf(&b, "%s\ninput-sha256 %s\nverifier %s\nissued-at %s\ncount %d\npersonal-sha256 %s\nsealed-sha256 %s\n",
		manifestHeader, m.InputSHA256, m.Verifier, m.IssuedAt.UTC().Format(time.RFC3339), len(m.Holders), m.PersonalSHA256, m.SealedSHA256)
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
	if len(m.SealedSHA256) != 64 || len(m.PersonalSHA256) != 64 {
		return nil, &lineError{len(lines), "清单缺少 personal-sha256 或 sealed-sha256"}
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

// batchPaths returns the three files of batch n under dir; the last,
// the issuance log, is the one whose rename commits the batch.
func batchPaths(dir string, n int) (personal, manifest, sealed string) {
	b := filepath.Join(dir, CertsDir, batchBase(n))
	return b + personalExt, b + manifestExt, b + sealedExt
}

// batchRel is batch n's issuance log relative to the registry, as the
// operator is shown it: "certs/000001.sealed".
func batchRel(n int) string { return path.Join(CertsDir, batchBase(n)+sealedExt) }

// batchNumber parses an issuance log's name, "000042.sealed".
func batchNumber(name string) (int, bool) {
	base, ok := strings.CutSuffix(name, sealedExt)
	if !ok || len(base) != 6 || !allDigits(base) {
		return 0, false
	}
	n, err := strconv.Atoi(base)
	return n, err == nil && n > 0
}

// batchFiles returns the numbers of the committed batches of dir (those
// with an issuance log), sorted.
func batchFiles(dir string) ([]int, error) {
	des, err := os.ReadDir(filepath.Join(dir, CertsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []int
	for _, de := range des {
		if n, ok := batchNumber(de.Name()); ok && de.Type().IsRegular() {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
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

// state is a registry read for issuing: the committed batches'
// manifests, which certificate number each holds, and the index. It
// reads no certificate: those are in the issuance logs ([readSealed]).
type state struct {
	manifests map[int]*Manifest // batch number → manifest
	numbers   map[string]int    // certificate number → batch
	index     []string          // lines of issued.idx, "kid fp"
	last      int               // highest batch number in use by any file
}

// loadState reads dir. Every committed batch (an issuance log) must
// have its manifest, and no certificate number may be in two batches.
func loadState(dir string) (*state, error) {
	st := &state{manifests: map[int]*Manifest{}, numbers: map[string]int{}}
	nums, err := batchFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, n := range nums {
		st.last = max(st.last, n)
		_, mpath, _ := batchPaths(dir, n)
		mrel := path.Join(CertsDir, batchBase(n)+manifestExt)
		data, err := os.ReadFile(mpath)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：批次 %s 的清单缺失", mrel, batchBase(n))}
		}
		if err != nil {
			return nil, err
		}
		m, err := parseManifest(n, data)
		if err != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s: %w", mrel, err)}
		}
		for _, h := range m.Holders {
			if prev, dup := st.numbers[h.Number]; dup {
				return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：证书编号 %s 已在批次 %s 中", mrel, h.Number, batchBase(prev))}
			}
			st.numbers[h.Number] = n
		}
		st.manifests[n] = m
	}
	// Staged files of an unfinished batch also hold their number.
	des, _ := os.ReadDir(filepath.Join(dir, CertsDir))
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

// stagedBatch parses "000042.batch" or "000042.personal.age", the files
// a batch writes before its issuance log.
func stagedBatch(name string) (int, bool) {
	for _, ext := range []string{manifestExt, personalExt} {
		if base, ok := strings.CutSuffix(name, ext); ok {
			return batchNumber(base + sealedExt)
		}
	}
	return 0, false
}

// derivedIndex is the index as the manifests say it must be: one line
// per certificate, in batch order.
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
	personal []byte // the personal records, age-encrypted
	sealed   []byte // the issuance log: the commit point
}

// commit writes a batch by the protocol of the package doc. A failure
// before the issuance log is in place undoes what it wrote (and if even
// that fails, the journal lets the next run undo it); after, the batch
// is issued and only the index may lag, which the next run rebuilds.
func commit(fsys FS, dir string, st *state, p *pending, now time.Time) (indexErr error, err error) {
	n := p.manifest.Batch
	certsDir := filepath.Join(dir, CertsDir)
	personal, manifest, sealed := batchPaths(dir, n)
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
	if err := fsys.SyncDir(certsDir); err != nil {
		return nil, undo(fsys, dir, n, err)
	}
	// 3. The issuance log: its rename is the commit point.
	if err := writeFile(fsys, sealed, p.sealed, 0o644); err != nil {
		return nil, undo(fsys, dir, n, err)
	}
	if err := fsys.SyncDir(certsDir); err != nil {
		// The rename may or may not survive a power cut, so the batch may
		// not be called issued (nor printed). Nor may it be undone: it may
		// already be published. The journal stays, and the next run
		// decides by what is on disk (TestCommitFaults/power-cut).
		return nil, &UncertainError{Batch: batchRel(n), Err: err}
	}
	// 4. Committed. The index and the journal's removal may fail; the
	// next run rebuilds the one and finishes the other.
	st.manifests[n] = p.manifest
	for _, h := range p.manifest.Holders {
		st.numbers[h.Number] = n
	}
	if err := writeIndex(fsys, dir, st.derivedIndex()); err != nil {
		return err, nil
	}
	if err := fsys.Remove(filepath.Join(dir, JournalFile)); err != nil {
		return err, nil
	}
	return fsys.SyncDir(dir), nil
}

// undo removes the staged files of batch n and then the journal, after
// err stopped its commit before the issuance log was in place. It
// returns err.
func undo(fsys FS, dir string, n int, err error) error {
	personal, manifest, _ := batchPaths(dir, n)
	e1 := removeIfExists(fsys, manifest)
	e2 := removeIfExists(fsys, personal)
	if e1 == nil && e2 == nil && fsys.SyncDir(filepath.Join(dir, CertsDir)) == nil {
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
	certsDir := filepath.Join(dir, CertsDir)
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
		personal, manifest, sealed := batchPaths(dir, j.Batch)
		if _, err := os.Stat(sealed); err == nil {
			if why := batchMatchesManifest(sealed, manifest, personal); why != "" {
				return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s: %s", batchRel(j.Batch), why)}
			}
			acts = append(acts, Action{batchRel(j.Batch), fmt.Sprintf("上次签发（%s 开始，%d 份）已完整写入，补完收尾", localTime(j.Started), j.Count)})
		} else {
			for _, f := range []string{manifest, personal} {
				if err := removeIfExists(fsys, f); err != nil {
					return acts, err
				}
			}
			if err := fsys.SyncDir(certsDir); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return acts, err
			}
			acts = append(acts, Action{batchRel(j.Batch), fmt.Sprintf("上次签发（%s 开始，%d 份）未写完，已回滚：其中没有任何证书生效", localTime(j.Started), j.Count)})
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

// batchMatchesManifest says what is wrong ("" if nothing) with a
// committed batch: its issuance log and personal records must be the
// ones its manifest describes.
func batchMatchesManifest(sealed, manifest, personal string) string {
	sdata, err := os.ReadFile(sealed)
	if err != nil {
		return err.Error()
	}
	mdata, err := os.ReadFile(manifest)
	if err != nil {
		return "批次清单缺失"
	}
	m, err := parseManifest(0, mdata)
	if err != nil {
		return "批次清单无法读取：" + err.Error()
	}
	if sha256Hex(sdata) != m.SealedSHA256 {
		return "签发日志与其清单记录的摘要不符"
	}
	pdata, err := os.ReadFile(personal)
	if err != nil || sha256Hex(pdata) != m.PersonalSHA256 {
		return "加密个人信息缺失或与清单记录的摘要不符"
	}
	return ""
}

// removeTemps removes the temporary files issuing leaves behind when
// it is stopped between writing a file and renaming it.
func removeTemps(fsys FS, dir string) ([]Action, error) {
	var acts []Action
	for _, d := range []string{"", CertsDir} {
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
