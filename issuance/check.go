package issuance

import (
	"bytes"
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

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// Check verifies a registry directory as a whole and reports every
// problem, positioned "file:line" relative to the registry, in Chinese
// with a hint: the trust list against the pinned root, each batch's
// issuance log against its manifest and every signature in it, the
// personal records' digests, the index against the manifests, each
// revocation, and whatever an interrupted run or an older version left
// behind. It reads no personal record and changes nothing. The returned
// count is the number of certificates checked.
func Check(dir string) (diag.List, int) {
	c := &regCheck{dir: dir, numbers: map[string]string{}, locators: map[record.Locator]string{}}
	c.run()
	c.list.Sort()
	return c.list, c.certs
}

type regCheck struct {
	dir      string
	list     diag.List
	numbers  map[string]string         // → "file:line"
	locators map[record.Locator]string // both copies' locators → "file:line"
	certs    int
}

func (c *regCheck) add(file string, line int, hint, format string, args ...any) {
	c.list = append(c.list, diag.Diagnostic{Pos: diag.Pos{File: file, Line: line}, Severity: diag.Error, Message: fmt.Sprintf(format, args...), Hint: hint})
}

func (c *regCheck) warn(file string, line int, hint, format string, args ...any) {
	c.list = append(c.list, diag.Diagnostic{Pos: diag.Pos{File: file, Line: line}, Severity: diag.Warning, Message: fmt.Sprintf(format, args...), Hint: hint})
}

const hintRepair = "运行 qualbridge registry repair"

func (c *regCheck) read(name string) ([]byte, bool) {
	data, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		msg, hint := Explain(err)
		c.add(name, 0, hint, "%s", msg)
		return nil, false
	}
	return data, true
}

func (c *regCheck) exists(name string) bool {
	_, err := os.Lstat(filepath.Join(c.dir, filepath.FromSlash(name)))
	return err == nil
}

// lines splits data into lines; a missing final newline (a torn write)
// is reported and the torn line left out.
func (c *regCheck) lines(name string, data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	ls := bytes.Split(data, []byte{'\n'})
	if last := ls[len(ls)-1]; len(last) > 0 {
		c.add(name, len(ls), hintRepair+"：它把这一行截下，另存在旁边的 .torn 文件中", "最后一行没有换行符：写入被中断")
		return ls[:len(ls)-1]
	}
	return ls[:len(ls)-1]
}

// The files of the version-1 registry: they held every token in the
// clear, and nothing reads or writes them any more.
var v1Files = []string{"trust.json", "revocations.log"}

const v1Ext = ".certs"

const hintV1 = "核对后删除（或移到离线保管处）：登记库只在加密的个人信息中保存令牌，偷到登记库的人不应拿到任何二维码"

func (c *regCheck) run() {
	for _, name := range v1Files {
		if c.exists(name) {
			c.add(name, 0, hintV1, "版本 1 的登记库文件（含明文令牌或无签名的信任列表）：此版本不再读写它")
		}
	}
	if !HasTrust(c.dir) {
		nt := &NoTrustError{Dir: c.dir}
		c.add(PinFile, 0, nt.Hint(), "登记库没有根信任：不能签发，也无法核对签名")
		return
	}
	t, err := openTrust(c.dir) // an expired list is checked too, and said below
	if err != nil {
		c.add(ListFile, 0, "从备份恢复 trust.list；信任列表只能由 qualbridge keygen -root-key 或 trust retire/compromise 改动", "%v", err)
		return
	}
	if d, ok := t.ExpiryWarning(time.Now()); ok {
		d.Pos.File = ListFile
		c.list = append(c.list, d)
	}

	des, err := os.ReadDir(filepath.Join(c.dir, CertsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		msg, hint := Explain(err)
		c.add(CertsDir, 0, hint, "%s", msg)
	}
	batches := map[int]bool{}
	staged := map[int][]string{}
	for _, de := range des {
		name := de.Name()
		rel := path.Join(CertsDir, name)
		switch {
		case isTemp(name):
			c.add(rel, 0, hintRepair, "中断写入留下的临时文件")
		case strings.HasSuffix(name, sealedExt):
			if n, ok := batchNumber(name); ok {
				batches[n] = true
			} else {
				c.warn(rel, 0, "", "不是签发日志的文件名（应为 NNNNNN.sealed），已忽略")
			}
		case strings.HasSuffix(name, v1Ext):
			c.add(rel, 0, hintV1, "版本 1 的批次文件（含明文令牌）：此版本不再读写它")
		case strings.HasSuffix(name, ".torn"):
			c.warn(rel, 0, "核对后可删除", "repair 截下的残行")
		default:
			if n, ok := stagedBatch(name); ok {
				staged[n] = append(staged[n], rel)
			} else {
				c.warn(rel, 0, "", "不属于登记库的文件，已忽略")
			}
		}
	}
	nums := make([]int, 0, len(batches))
	for n := range batches {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var manifests []*Manifest
	var all []Sealed
	var at []string // "file:line" of each of all
	for _, n := range nums {
		m, lines, pos := c.batch(n)
		if m != nil {
			manifests = append(manifests, m)
		}
		all, at = append(all, lines...), append(at, pos...)
	}
	if _, hasJournal := c.read(JournalFile); hasJournal {
		c.add(JournalFile, 0, "重新运行同一条 issue 命令，或运行 qualbridge registry repair", "有一次签发没有完成")
	}
	for n, files := range staged {
		if batches[n] {
			continue
		}
		for _, f := range files {
			c.add(f, 0, "重新运行同一条 issue 命令，或运行 qualbridge registry repair（回滚）", "批次 %s 只写了一部分（没有签发日志 %s），其中的证书均未生效", batchBase(n), batchBase(n)+sealedExt)
		}
	}
	c.index(manifests)
	c.signatures(t, all, at)
	c.cancellations(t)
	names, _ := filepath.Glob(filepath.Join(c.dir, tmpPrefix+"*"))
	for _, n := range names {
		c.add(filepath.Base(n), 0, hintRepair, "中断写入留下的临时文件")
	}
	names, _ = filepath.Glob(filepath.Join(c.dir, "*.torn"))
	for _, n := range names {
		c.warn(filepath.Base(n), 0, "核对后可删除", "repair 截下的残行")
	}
}

// batch checks batch n: its manifest, its issuance log against it (digest,
// count, numbers), its personal records' digest, and numbers and
// locators unique across the registry. It returns the manifest (nil if
// unreadable) and the certificates of the log with their positions.
func (c *regCheck) batch(n int) (*Manifest, []Sealed, []string) {
	b := batchBase(n)
	sname, mname, pname := path.Join(CertsDir, b+sealedExt), path.Join(CertsDir, b+manifestExt), path.Join(CertsDir, b+personalExt)
	sdata, _ := c.read(sname)
	mdata, ok := c.read(mname)
	if !ok {
		c.add(mname, 0, "从备份恢复该清单：没有它，查重和重印都找不到这一批", "批次 %s 没有清单", b)
		return nil, nil, nil
	}
	m, err := parseManifest(n, mdata)
	if err != nil {
		var le *lineError
		line := 0
		if errors.As(err, &le) {
			line, err = le.line, errors.New(le.msg)
		}
		c.add(mname, line, "从备份恢复该清单", "批次清单无法读取：%v", err)
		return nil, nil, nil
	}
	if pdata, ok := c.read(pname); !ok {
		c.add(pname, 0, "从备份恢复：没有它就无法重印这些证书（令牌只保存在其中）", "缺少批次 %s 的加密个人信息", b)
	} else if sha256Hex(pdata) != m.PersonalSHA256 {
		c.add(pname, 0, "从备份恢复", "加密个人信息与清单记录的摘要不符")
	}
	if sha256Hex(sdata) != m.SealedSHA256 {
		c.add(sname, 0, "从备份恢复该文件", "签发日志与清单记录的摘要不符：文件被改动或截断")
		return m, nil, nil
	}
	lines, err := parseSealed(sdata)
	if err != nil {
		var le *lineError
		line := 0
		if errors.As(err, &le) {
			line, err = le.line, errors.New(le.msg)
		}
		c.add(sname, line, "从备份恢复该文件", "签发日志无法读取：%v", err)
		return m, nil, nil
	}
	if len(lines) != len(m.Holders) {
		c.add(sname, 0, "从备份恢复该文件", "有 %d 份证书，清单列出 %d 份", len(lines), len(m.Holders))
		return m, nil, nil
	}
	pos := make([]string, len(lines))
	for i := range lines {
		s := &lines[i]
		line := i + 2
		here := fmt.Sprintf("%s:%d", sname, line)
		pos[i] = here
		if s.Number != m.Holders[i].Number {
			c.add(sname, line, "从备份恢复该文件", "证书编号 %s 与清单的第 %d 份（%s）不符", s.Number, i+1, m.Holders[i].Number)
		}
		if prev, dup := c.numbers[s.Number]; dup {
			c.add(sname, line, "", "证书编号 %s 与 %s 重复", s.Number, prev)
		}
		for _, l := range []record.Locator{s.Locator, s.LookupLocator} {
			if prev, dup := c.locators[l]; dup {
				c.add(sname, line, "", "定位符与 %s 重复", prev)
			}
			c.locators[l] = here
		}
		c.numbers[s.Number] = here
		s.batch = n
		c.certs++
	}
	return m, lines, pos
}

// signatures checks every certificate as it now stands (re-signed ones
// replaced) against the root-signed trust list.
func (c *regCheck) signatures(t *Trust, all []Sealed, at []string) {
	cur, err := overlayReissued(c.dir, all)
	if err != nil {
		c.add(ReissuedDir, 0, "从备份恢复该文件夹", "%v", err)
		cur = all
	}
	cs, _ := readCancellations(c.dir) // its errors are reported by cancellations
	gone := withdrawn(t.List, cur, cs)
	errs := make([]error, len(cur))
	parallel(len(cur), func(i int) {
		if !gone[cur[i].Locator] { // revoked, its key compromised: not published (see withdrawn)
			errs[i] = checkSealed(t.List, &cur[i])
		}
	})
	for i, err := range errs {
		if err == nil {
			continue
		}
		file, line, _ := strings.Cut(at[i], ":")
		n, _ := strconv.Atoi(line)
		if cur[i].Generation > 1 {
			file, n = ReissuedDir, 0
		}
		c.add(file, n, "该证书核验时会显示为“未通过核验”：查明原因，必要时用 qualbridge reissue 重新签名", "证书 %s（第 %d 版次）签名无效：%v", cur[i].Number, cur[i].Generation, err)
	}
}

// cancellations checks each revocation of cancellations.log: signed by
// a key of the trust list, naming its own locator, a certificate of the
// registry, once.
func (c *regCheck) cancellations(t *Trust) {
	data, ok := c.read(CancellationsFile)
	if !ok {
		return
	}
	seen := map[record.Locator]int{}
	for i, l := range c.lines(CancellationsFile, data) {
		line := i + 1
		a, b, _ := strings.Cut(string(l), " ")
		loc, err := parseLocator(a)
		env, err2 := base64URL.DecodeString(b)
		if err != nil || err2 != nil {
			c.add(CancellationsFile, line, "从备份恢复 "+CancellationsFile, "格式错误：应为 \"<定位符> <base64url 签名记录>\"")
			continue
		}
		cn, err := record.OpenCancellation(env, t.List.PublicKey(trust.RoleSigning))
		effective := false
		switch {
		case err != nil:
			c.add(CancellationsFile, line, "查明原因：这条撤销在核验服务中不会生效", "撤销签名无效：%v", err)
		case cn.Locator != loc:
			c.add(CancellationsFile, line, "从备份恢复该文件", "行首的定位符与签名内容不符")
		case t.List.May(cn.KID, trust.RoleSigning, cn.SignedAt) != nil:
			if _, resigned := seen[loc]; !resigned && !resignedLater(t, c.lines(CancellationsFile, data)[i+1:], loc) {
				c.warn(CancellationsFile, line, "用 qualbridge reissue -kid "+cn.KID+" 以有效密钥重签这条撤销", "撤销由已泄露或不在时间窗内的密钥签署，核验服务会忽略它")
			}
		default:
			effective = true
		}
		if _, ok := c.locators[loc]; !ok {
			c.warn(CancellationsFile, line, "若登记库从备份恢复过：这是备份之后签发、又撤销的证书，由 registry recover 取回，照样保留；否则查明这一行从何而来", "撤销的证书不在任何签发日志中")
		}
		if !effective {
			continue
		}
		if prev, dup := seen[loc]; dup {
			c.add(CancellationsFile, line, "", "该证书已在第 %d 行撤销过", prev)
		}
		seen[loc] = line
	}
}

// index checks issued.idx against the manifests.
func (c *regCheck) index(manifests []*Manifest) {
	data, ok := c.read(IndexFile)
	if !ok {
		if len(manifests) > 0 {
			c.add(IndexFile, 0, hintRepair+"：它按批次清单重建索引", "缺少已签发索引")
		}
		return
	}
	have := map[string]int{}
	for i, l := range c.lines(IndexFile, data) {
		s := string(l)
		kid, fp, ok := strings.Cut(s, " ")
		if !ok || len(fp) != 32 || kid == "" {
			c.add(IndexFile, i+1, hintRepair, "索引行格式错误")
			continue
		}
		have[s] = i + 1
	}
	want := map[string]bool{}
	for _, m := range manifests {
		for _, h := range m.Holders {
			l := h.KID + " " + h.Fingerprint
			want[l] = true
			if _, ok := have[l]; !ok {
				c.add(IndexFile, 0, hintRepair+"：它按批次清单重建索引", "索引缺少批次 %s 的证书 %s", batchBase(m.Batch), h.Number)
			}
		}
	}
	for l, line := range have {
		if !want[l] {
			c.add(IndexFile, line, hintRepair+"：它按批次清单重建索引", "索引中的这一行不属于任何批次")
		}
	}
}

// Repair brings an interrupted or damaged registry back to a state
// [Check] accepts where that needs no judgement: it finishes or rolls
// back the commit the journal names, removes temporary files and the
// staged files of batches that never committed, cuts a torn last line
// off cancellations.log (keeping the cut bytes in "<file>.torn" beside
// it), and rebuilds the index from the manifests.
// It never deletes a complete signed record. It says what it did.
func Repair(fsys FS, dir string, now time.Time) ([]Action, error) {
	if fsys == nil {
		fsys = OS()
	}
	unlock, err := Lock(dir, "registry repair", now)
	if err != nil {
		return nil, err
	}
	defer unlock()
	acts, err := recoverJournal(fsys, dir)
	if err != nil {
		return acts, err
	}
	certsDir := filepath.Join(dir, CertsDir)
	des, err := os.ReadDir(certsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return acts, err
	}
	for _, de := range des {
		n, ok := stagedBatch(de.Name())
		if !ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(certsDir, batchBase(n)+sealedExt)); err == nil {
			continue
		}
		if err := fsys.Remove(filepath.Join(certsDir, de.Name())); err != nil {
			return acts, err
		}
		acts = append(acts, Action{path.Join(CertsDir, de.Name()), "已删除：所属批次从未写完，其中没有生效的证书"})
	}
	if len(des) > 0 {
		if err := fsys.SyncDir(certsDir); err != nil {
			return acts, err
		}
	}
	// A torn last line of the one file appended to. (Every other file is
	// written whole, through a temporary file and a rename.)
	for _, rel := range []string{CancellationsFile} {
		name := filepath.Join(dir, filepath.FromSlash(rel))
		data, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return acts, err
		}
		if len(data) == 0 || data[len(data)-1] == '\n' {
			continue
		}
		keep := bytes.LastIndexByte(data, '\n') + 1
		if err := writeFile(fsys, name+".torn", data[keep:], 0o600); err != nil {
			return acts, err
		}
		if err := fsys.Truncate(name, int64(keep)); err != nil {
			return acts, err
		}
		if err := fsys.SyncDir(filepath.Dir(name)); err != nil {
			return acts, err
		}
		acts = append(acts, Action{rel, fmt.Sprintf("截去不完整的最后一行（%d 字节，另存为 %s.torn）", len(data)-keep, path.Base(rel))})
	}
	st, err := loadState(dir)
	if err != nil {
		return acts, err
	}
	want := st.derivedIndex()
	if !slices.Equal(want, st.index) {
		if err := writeIndex(fsys, dir, want); err != nil {
			return acts, err
		}
		acts = append(acts, Action{IndexFile, fmt.Sprintf("已按批次清单重建（%d 行）", len(want))})
	}
	return acts, nil
}

// resignedLater reports whether a later line of cancellations.log
// revokes loc again under a key the trust list lets stand (what reissue
// appends after a compromise).
func resignedLater(t *Trust, rest [][]byte, loc record.Locator) bool {
	for _, l := range rest {
		a, b, _ := strings.Cut(string(l), " ")
		l2, err := parseLocator(a)
		env, err2 := base64URL.DecodeString(b)
		if err != nil || err2 != nil || l2 != loc {
			continue
		}
		cn, err := record.OpenCancellation(env, t.List.PublicKey(trust.RoleSigning))
		if err == nil && cn.Locator == loc && t.List.May(cn.KID, trust.RoleSigning, cn.SignedAt) == nil {
			return true
		}
	}
	return false
}
