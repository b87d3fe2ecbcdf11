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
// with a hint: each batch line and its signature, each batch against its
// manifest, the index against the manifests, each revocation, and
// whatever an interrupted run left behind. It changes nothing. The
// returned count is the number of certificates checked.
func Check(dir string) (diag.List, int) {
	c := &regCheck{dir: dir, tokens: map[record.Token]string{}, numbers: map[string]string{}}
	c.run()
	c.list.Sort()
	return c.list, c.certs
}

type regCheck struct {
	dir     string
	list    diag.List
	trust   *record.TrustList
	tokens  map[record.Token]string // → "file:line"
	numbers map[string]string
	certs   int
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

func (c *regCheck) run() {
	data, ok := c.read(record.TrustFile)
	if !ok {
		c.add(record.TrustFile, 0, "用 qualbridge keygen 建立登记库", "缺少信任列表")
		return
	}
	tl, err := record.ParseTrustList(data)
	if err != nil {
		c.add(record.TrustFile, 0, "从备份恢复 trust.json", "信任列表无法读取：%v", err)
		return
	}
	c.trust = tl

	des, err := os.ReadDir(filepath.Join(c.dir, record.CertsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		msg, hint := Explain(err)
		c.add(record.CertsDir, 0, hint, "%s", msg)
	}
	batches := map[int]bool{}
	staged := map[int][]string{}
	for _, de := range des {
		name := de.Name()
		rel := path.Join(record.CertsDir, name)
		switch {
		case isTemp(name):
			c.add(rel, 0, hintRepair, "中断写入留下的临时文件")
		case strings.HasSuffix(name, certsExt):
			if n, ok := record.BatchNumber(name); ok {
				batches[n] = true
			} else {
				c.warn(rel, 0, "", "不是批次文件名（应为 NNNNNN.certs），已忽略")
			}
		case strings.HasSuffix(name, ".torn"):
			c.warn(rel, 0, "核对后可删除", "repair 截下的残行")
		default:
			if n, ok := stagedBatch(name); ok {
				staged[n] = append(staged[n], rel)
			}
		}
	}
	nums := make([]int, 0, len(batches))
	for n := range batches {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var manifests []*Manifest
	legacy := 0
	for _, n := range nums {
		if m := c.batch(n); m != nil {
			manifests = append(manifests, m)
		} else {
			legacy++
		}
	}
	_, hasJournal := c.read(JournalFile)
	if hasJournal {
		c.add(JournalFile, 0, "重新运行同一条 issue 命令，或运行 qualbridge registry repair", "有一次签发没有完成")
	}
	for n, files := range staged {
		if batches[n] {
			continue
		}
		for _, f := range files {
			c.add(f, 0, "重新运行同一条 issue 命令，或运行 qualbridge registry repair（回滚）", "批次 %s 只写了一部分（没有批次文件 %s），其中的证书均未生效", batchBase(n), batchBase(n)+certsExt)
		}
	}
	c.index(manifests, legacy)
	c.revocations()
	c.sealed(manifests)
	names, _ := filepath.Glob(filepath.Join(c.dir, tmpPrefix+"*"))
	for _, n := range names {
		c.add(filepath.Base(n), 0, hintRepair, "中断写入留下的临时文件")
	}
	names, _ = filepath.Glob(filepath.Join(c.dir, "*.torn"))
	for _, n := range names {
		c.warn(filepath.Base(n), 0, "核对后可删除", "repair 截下的残行")
	}
}

// batch checks batch n and returns its manifest (nil if it has none).
func (c *regCheck) batch(n int) *Manifest {
	b := batchBase(n)
	cname, mname, pname := path.Join(record.CertsDir, b+certsExt), path.Join(record.CertsDir, b+manifestExt), path.Join(record.CertsDir, b+personalExt)
	cdata, _ := c.read(cname)
	var numbers []string
	for i, l := range c.lines(cname, cdata) {
		line := i + 1
		e, err := record.ParseEntry(l)
		if err != nil {
			c.add(cname, line, "从备份恢复该批次文件", "格式错误：%v", err)
			continue
		}
		numbers = append(numbers, e.Number)
		at := fmt.Sprintf("%s:%d", cname, line)
		if prev, dup := c.tokens[e.Token]; dup {
			c.add(cname, line, "", "令牌与 %s 重复", prev)
		}
		if prev, dup := c.numbers[e.Number]; dup {
			c.add(cname, line, "", "证书编号 %s 与 %s 重复", e.Number, prev)
		}
		c.tokens[e.Token], c.numbers[e.Number] = at, at
		c.certs++
		if _, err := c.trust.VerifyEntry(e); err != nil {
			c.add(cname, line, "该证书核验时会显示为“非本中心签发”：查明原因，必要时重新签名", "证书 %s 签名无效：%v", e.Number, err)
		}
	}
	pdata, ok := c.read(pname)
	if !ok {
		c.add(pname, 0, "从备份恢复：没有它就无法重印这些证书", "缺少批次 %s 的加密个人信息", b)
	}
	mdata, ok := c.read(mname)
	if !ok {
		c.warn(mname, 0, "该批次早于批次清单，只能靠 issued.idx 查重；请勿删除 issued.idx", "批次 %s 没有清单", b)
		return nil
	}
	m, err := parseManifest(n, mdata)
	if err != nil {
		var le *lineError
		line := 0
		if errors.As(err, &le) {
			line = le.line
			err = errors.New(le.msg)
		}
		c.add(mname, line, "从备份恢复该清单", "批次清单无法读取：%v", err)
		return nil
	}
	if sha256Hex(cdata) != m.CertsSHA256 {
		c.add(cname, 0, "从备份恢复该批次文件", "批次文件与清单记录的摘要不符：文件被改动或截断")
	}
	if pdata != nil && sha256Hex(pdata) != m.PersonalSHA256 {
		c.add(pname, 0, "从备份恢复", "加密个人信息与清单记录的摘要不符")
	}
	if len(numbers) == len(m.Holders) {
		for i, h := range m.Holders {
			if h.Number != numbers[i] {
				c.add(mname, 8+i, "", "清单第 %d 份证书是 %s，批次文件中是 %s", i+1, h.Number, numbers[i])
				break
			}
		}
	} else {
		c.add(mname, 0, "", "清单列出 %d 份证书，批次文件有 %d 份", len(m.Holders), len(numbers))
	}
	return m
}

// index checks issued.idx against the manifests.
func (c *regCheck) index(manifests []*Manifest, legacy int) {
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
	if legacy > 0 {
		return // the old batches' lines are in the index only
	}
	for l, line := range have {
		if !want[l] {
			c.add(IndexFile, line, hintRepair+"：它按批次清单重建索引", "索引中的这一行不属于任何批次")
		}
	}
}

func (c *regCheck) revocations() {
	data, ok := c.read(record.RevocationsFile)
	if !ok {
		return
	}
	seen := map[record.Token]int{}
	for i, l := range c.lines(record.RevocationsFile, data) {
		line := i + 1
		env, err := base64URL.DecodeString(string(l))
		if err != nil {
			c.add(record.RevocationsFile, line, "从备份恢复 revocations.log", "格式错误：不是 base64url")
			continue
		}
		rev, err := c.trust.VerifyRevocation(env)
		if errors.Is(err, record.ErrKeyCompromised) {
			c.warn(record.RevocationsFile, line, "用有效密钥重新签署该撤销", "撤销由已泄露的密钥签署，核验服务会忽略它")
			continue
		}
		if err != nil {
			c.add(record.RevocationsFile, line, "", "撤销签名无效：%v", err)
			continue
		}
		if _, ok := c.tokens[rev.Token]; !ok {
			c.add(record.RevocationsFile, line, "", "撤销的证书 %s 不在任何批次中", rev.Number)
		}
		if prev, dup := seen[rev.Token]; dup {
			c.add(record.RevocationsFile, line, "", "证书 %s 已在第 %d 行撤销过", rev.Number, prev)
		}
		seen[rev.Token] = line
	}
}

// Repair brings an interrupted or damaged registry back to a state
// [Check] accepts where that needs no judgement: it finishes or rolls
// back the commit the journal names, removes temporary files and the
// staged files of batches that never committed, cuts a torn last line
// off a batch file or the revocation log (keeping the cut bytes in
// "<file>.torn" beside it), and rebuilds the index from the manifests.
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
	certsDir := filepath.Join(dir, record.CertsDir)
	des, err := os.ReadDir(certsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return acts, err
	}
	for _, de := range des {
		n, ok := stagedBatch(de.Name())
		if !ok {
			continue
		}
		if _, err := os.Stat(filepath.Join(certsDir, batchBase(n)+certsExt)); err == nil {
			continue
		}
		if err := fsys.Remove(filepath.Join(certsDir, de.Name())); err != nil {
			return acts, err
		}
		acts = append(acts, Action{path.Join(record.CertsDir, de.Name()), "已删除：所属批次从未写完，其中没有生效的证书"})
	}
	if len(des) > 0 {
		if err := fsys.SyncDir(certsDir); err != nil {
			return acts, err
		}
	}
	// Torn last lines.
	torn := []string{record.RevocationsFile, CancellationsFile}
	for _, de := range des {
		if _, ok := record.BatchNumber(de.Name()); ok {
			torn = append(torn, path.Join(record.CertsDir, de.Name()))
		}
	}
	for _, rel := range torn {
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

// sealed checks the root of trust and what issue 13 adds to each batch:
// the trust list signed by the pinned root, each .sealed file against
// its manifest (digest, count, numbers, every version-2 signature), and
// each version-2 revocation.
func (c *regCheck) sealed(manifests []*Manifest) {
	if !HasTrust(c.dir) {
		for _, m := range manifests {
			if m.SealedSHA256 != "" {
				c.add(PinFile, 0, "从备份恢复 trust-root.pub、roots/ 和 trust.list", "批次 %s 有封存副本，但登记库没有根信任", batchBase(m.Batch))
			}
		}
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
	locs := map[record.Locator]bool{}
	var all []Sealed
	var at []string // "file:line" of each of all
	for _, m := range manifests {
		name := path.Join(record.CertsDir, batchBase(m.Batch)+sealedExt)
		if m.SealedSHA256 == "" {
			c.warn(path.Join(record.CertsDir, batchBase(m.Batch)+manifestExt), 0, "这些证书只能用旧版核验服务核验", "批次 %s 在建立根信任之前签发，没有封存副本，不会进入核验快照", batchBase(m.Batch))
			continue
		}
		data, ok := c.read(name)
		if !ok {
			c.add(name, 0, "从备份恢复该文件：没有它，这些证书不会进入核验快照", "缺少批次 %s 的封存副本", batchBase(m.Batch))
			continue
		}
		if sha256Hex(data) != m.SealedSHA256 {
			c.add(name, 0, "从备份恢复该文件", "与批次清单记录的摘要不符：文件被改动过")
			continue
		}
		lines, err := parseSealed(data)
		if err != nil {
			var le *lineError
			line := 0
			if errors.As(err, &le) {
				line, err = le.line, errors.New(le.msg)
			}
			c.add(name, line, "从备份恢复该文件", "封存文件无法读取：%v", err)
			continue
		}
		if len(lines) != len(m.Holders) {
			c.add(name, 0, "从备份恢复该文件", "有 %d 份封存证书，清单列出 %d 份", len(lines), len(m.Holders))
			continue
		}
		for i := range lines {
			s := &lines[i]
			if s.Number != m.Holders[i].Number {
				c.add(name, i+2, "从备份恢复该文件", "证书编号 %s 与清单的第 %d 份（%s）不符", s.Number, i+1, m.Holders[i].Number)
			}
			locs[s.Locator] = true
			at = append(at, fmt.Sprintf("%s:%d", name, i+2))
		}
		all = append(all, lines...)
	}
	// Each certificate as it now stands (re-signed ones replaced).
	cur, err := overlayReissued(c.dir, all)
	if err != nil {
		c.add(ReissuedDir, 0, "从备份恢复该文件夹", "%v", err)
		cur = all
	}
	cs0, _ := readCancellations(c.dir) // its errors are reported below
	gone := withdrawn(t.List, cur, cs0)
	for i := range cur {
		if gone[cur[i].Locator] {
			continue // revoked, its key compromised: not published (see withdrawn)
		}
		if err := checkSealed(t.List, &cur[i]); err != nil {
			file, line, _ := strings.Cut(at[i], ":")
			n, _ := strconv.Atoi(line)
			if cur[i].Generation > 1 {
				file, n = ReissuedDir, 0
			}
			c.add(file, n, "该证书核验时会显示为“未通过核验”：查明原因，必要时用 qualbridge reissue 重新签名", "证书 %s（第 %d 版次）的第 2 版签名无效：%v", cur[i].Number, cur[i].Generation, err)
		}
	}
	cs, err := readCancellations(c.dir)
	if err != nil {
		c.add(CancellationsFile, 0, hintRepair, "%v", err)
		return
	}
	for i, x := range cs {
		cn, err := record.OpenCancellation(x.Envelope, t.List.PublicKey(trust.RoleSigning))
		switch {
		case err != nil:
			c.add(CancellationsFile, i+1, "查明原因：这条撤销在核验服务中不会生效", "撤销签名无效：%v", err)
		case cn.Locator != x.Locator:
			c.add(CancellationsFile, i+1, "从备份恢复该文件", "行首的定位符与签名内容不符")
		case !locs[cn.Locator]:
			c.add(CancellationsFile, i+1, "", "撤销的证书不在任何封存批次中")
		}
	}
}
