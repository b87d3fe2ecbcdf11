package issuance

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
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

// Sealed is one certificate of a batch's .sealed file: its line of the
// issuance log (number, locator, key, generation, signing time), its
// version-2 envelope, and its two sealed copies. A line holds no token
// and no name: the locators are one-way, the copies encrypted.
type Sealed struct {
	Number        string
	Locator       record.Locator // by token (seal.TokenKeys)
	KID           string
	Generation    uint32
	SignedAt      time.Time
	Envelope      []byte // record version 2, signed
	ByToken       []byte // seal.SealedSize bytes
	LookupLocator record.Locator
	ByLookup      []byte

	batch int // the batch it was issued in
}

// sealBatch signs every certificate in version 2 and seals both copies.
// The lookup KDF (argon2id, tens of milliseconds each) runs on every
// CPU; the nonces are drawn in order from rnd.
func sealBatch(ctx context.Context, s *record.Signer, rnd io.Reader, certs []Certificate, pepper seal.Pepper, params seal.Params, now time.Time) ([]Sealed, error) {
	out := make([]Sealed, len(certs))
	type lookup struct {
		loc record.Locator
		key seal.Key
		err error
	}
	keys := make([]lookup, len(certs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				p := certs[i].Public
				l, err := seal.Normalize(p.Number, certs[i].Personal.Name, certs[i].Personal.IDNumber)
				if err == nil {
					keys[i].loc, keys[i].key, err = seal.LookupKeys(l, pepper, params)
				}
				keys[i].err = err
			}
		})
	}
	for i := range certs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, c := range certs {
		p := c.Public
		if keys[i].err != nil {
			return nil, fmt.Errorf("证书 %s：查询副本无法生成：%v", p.Number, keys[i].err)
		}
		loc, key, err := seal.TokenKeys(p.Token)
		if err != nil {
			return nil, err
		}
		v2 := &record.Certificate{Locator: loc, Number: p.Number, HolderMasked: p.HolderMasked, BirthYear: p.BirthYear,
			IDType: p.IDType, IDMasked: p.IDMasked, TaiwanName: p.TaiwanName, TaiwanGrade: p.TaiwanGrade,
			OccupationCode: p.OccupationCode, OccupationName: p.OccupationName, Level: p.Level,
			QualificationID: p.QualificationID, Issuer: p.Issuer, IssueDate: p.IssueDate, ValidUntil: p.ValidUntil,
			Generation: 1, PersonalDigest: p.PersonalDigest}
		env, err := s.SignCertificate(v2, now)
		if err != nil {
			return nil, fmt.Errorf("证书 %s：%w", p.Number, err)
		}
		byToken, err := seal.Seal(rnd, key, loc, seal.ByToken, 1, env)
		if err != nil {
			return nil, err
		}
		byLookup, err := seal.Seal(rnd, keys[i].key, keys[i].loc, seal.ByLookup, 1, env)
		if err != nil {
			return nil, err
		}
		out[i] = Sealed{Number: p.Number, Locator: loc, KID: s.KID(), Generation: 1, SignedAt: now.UTC().Truncate(time.Second),
			Envelope: env, ByToken: byToken, LookupLocator: keys[i].loc, ByLookup: byLookup}
	}
	return out, nil
}

func formatSealed(lines []Sealed) []byte {
	var b bytes.Buffer
	b.WriteString(sealedHeader + ": <number> <locator> <kid> <generation> <signed-at> <envelope> <by-token> <lookup-locator> <by-lookup>\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "%s %s %s %d %s %s %s %s %s\n", l.Number, l.Locator, l.KID, l.Generation, l.SignedAt.UTC().Format(time.RFC3339),
			base64URL.EncodeToString(l.Envelope), base64URL.EncodeToString(l.ByToken), l.LookupLocator, base64URL.EncodeToString(l.ByLookup))
	}
	return b.Bytes()
}

// parseSealed reads a .sealed file; the error names the line.
func parseSealed(data []byte) ([]Sealed, error) {
	lines := strings.Split(string(data), "\n")
	if len(lines) == 0 || lines[len(lines)-1] != "" {
		return nil, &lineError{len(lines), "最后一行没有换行符（写入被中断？）"}
	}
	lines = lines[:len(lines)-1]
	if len(lines) == 0 || !strings.HasPrefix(lines[0], sealedHeader+":") {
		return nil, &lineError{1, "不是封存文件（第一行应以 \"" + sealedHeader + "\" 开头）"}
	}
	out := make([]Sealed, 0, len(lines)-1)
	for i, l := range lines[1:] {
		f := strings.Split(l, " ")
		bad := func(what string) error { return &lineError{i + 2, what} }
		if len(f) != 9 {
			return nil, bad("应有 9 个字段")
		}
		var s Sealed
		var err error
		s.Number, s.KID = f[0], f[2]
		if s.Locator, err = parseLocator(f[1]); err != nil {
			return nil, bad("定位符无法读取")
		}
		g, err := strconv.ParseUint(f[3], 10, 32)
		if err != nil || g == 0 {
			return nil, bad("版次无法读取")
		}
		s.Generation = uint32(g)
		if s.SignedAt, err = time.Parse(time.RFC3339, f[4]); err != nil {
			return nil, bad("签名时间无法读取")
		}
		if s.Envelope, err = base64URL.DecodeString(f[5]); err != nil {
			return nil, bad("签名记录无法读取")
		}
		if s.ByToken, err = base64URL.DecodeString(f[6]); err != nil || len(s.ByToken) != seal.SealedSize {
			return nil, bad("按核验码封存的副本无法读取或长度不对")
		}
		if s.LookupLocator, err = parseLocator(f[7]); err != nil {
			return nil, bad("查询副本的定位符无法读取")
		}
		if s.ByLookup, err = base64URL.DecodeString(f[8]); err != nil || len(s.ByLookup) != seal.SealedSize {
			return nil, bad("查询副本无法读取或长度不对")
		}
		out = append(out, s)
	}
	return out, nil
}

func parseLocator(s string) (record.Locator, error) {
	var l record.Locator
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(l) {
		return l, fmt.Errorf("bad locator %q", s)
	}
	copy(l[:], b)
	return l, nil
}

// readSealed reads the issuance log of every batch, in batch order,
// each checked against its manifest, with the re-signed certificates
// in place of those they replace.
func readSealed(dir string, st *state) ([]Sealed, error) {
	var out []Sealed
	for n := 1; n <= st.last; n++ {
		m := st.manifests[n]
		if m == nil {
			continue
		}
		_, _, name := batchPaths(dir, n)
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：%w", rel(dir, name), err)}
		}
		if sha256Hex(data) != m.SealedSHA256 {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：与批次清单记录的摘要不符", rel(dir, name))}
		}
		lines, err := parseSealed(data)
		if err != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：%w", rel(dir, name), err)}
		}
		if len(lines) != len(m.Holders) {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：有 %d 份证书，清单列出 %d 份", rel(dir, name), len(lines), len(m.Holders))}
		}
		for i := range lines {
			if lines[i].Number != m.Holders[i].Number {
				return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s:%d：证书编号 %s 与清单的第 %d 份（%s）不符", rel(dir, name), i+2, lines[i].Number, i+1, m.Holders[i].Number)}
			}
			lines[i].batch = n
		}
		out = append(out, lines...)
	}
	return overlayReissued(dir, out)
}

// overlayReissued puts the re-signed certificates of reissued/*.sealed
// (oldest first) in place of the ones they replace: same locator, a
// higher generation, the same place in issue order.
func overlayReissued(dir string, out []Sealed) ([]Sealed, error) {
	names, err := filepath.Glob(filepath.Join(dir, ReissuedDir, "*"+sealedExt))
	if err != nil || len(names) == 0 {
		return out, err
	}
	at := make(map[record.Locator]int, len(out))
	for i := range out {
		at[out[i].Locator] = i
	}
	for _, name := range names { // Glob sorts: NNNNNN order
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		lines, err := parseSealed(data)
		if err != nil {
			return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：%w", rel(dir, name), err)}
		}
		for _, l := range lines {
			i, ok := at[l.Locator]
			if !ok || out[i].Number != l.Number {
				return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：证书 %s 不在签发日志中", rel(dir, name), l.Number)}
			}
			if l.Generation <= out[i].Generation {
				return nil, &RegistryError{Dir: dir, Err: fmt.Errorf("%s：证书 %s 的版次 %d 不高于已有的 %d", rel(dir, name), l.Number, l.Generation, out[i].Generation)}
			}
			l.batch = out[i].batch
			out[i] = l
		}
	}
	return out, nil
}

// checkSealed checks one certificate's version-2 signature against the
// root-signed trust list and that it names its own locator and number.
func checkSealed(l *trust.List, s *Sealed) error {
	c, err := record.OpenCertificate(s.Envelope, l.PublicKey(trust.RoleSigning))
	if err != nil {
		return err
	}
	if c.Locator != s.Locator || c.Number != s.Number || c.Generation != s.Generation || c.KID != s.KID {
		return fmt.Errorf("签名记录与其日志字段不符")
	}
	return l.May(c.KID, trust.RoleSigning, c.SignedAt)
}

// rel is name relative to the registry dir, slash-separated, for messages.
func rel(dir, name string) string {
	r, err := filepath.Rel(dir, name)
	if err != nil {
		return name
	}
	return filepath.ToSlash(r)
}

// parallel calls f(0) … f(n-1) over all CPUs.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for k := range w {
		wg.Go(func() {
			for i := k; i < n; i += w {
				f(i)
			}
		})
	}
	wg.Wait()
}
