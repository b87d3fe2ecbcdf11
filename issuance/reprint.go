package issuance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/verifier/record"
)

// ReprintOptions selects already-issued certificates to print again.
type ReprintOptions struct {
	Registry   string
	Identities []age.Identity // open the batches' personal records
	Number     string         // one certificate, or
	Batch      int            // every certificate of one batch
	Out        string
	Catalog    fs.FS  // for the certificate category; nil: inferred from the level
	Verifier   string // only for batches older than manifests, which do not record it
}

// Reprint prints already-issued certificates again: the public part
// from the signed batch, the personal record decrypted from the batch's
// personal records (and checked against the signed digest), and the
// verifier URL the batch was issued with, so the QR code holds exactly
// the bytes it held the first time.
func Reprint(ctx context.Context, o ReprintOptions) ([]Certificate, PrintInfo, error) {
	st, err := loadState(o.Registry)
	if err != nil {
		return nil, PrintInfo{}, err
	}
	var cat *catalog.Catalog
	if o.Catalog != nil {
		if c, ds := catalog.Load(o.Catalog, catalog.Options{}); ds.Err() == nil {
			cat = c
		}
	}
	batch := o.Batch
	if o.Number != "" {
		if _, ok := st.reg.ByNumber[o.Number]; !ok {
			return nil, PrintInfo{}, fmt.Errorf("登记库 %s 中没有证书 %s", o.Registry, o.Number)
		}
		if batch, err = batchOf(o.Registry, o.Number); err != nil {
			return nil, PrintInfo{}, err
		}
	}
	_, _, certsPath := batchPaths(o.Registry, batch)
	if _, err := os.Stat(certsPath); err != nil {
		return nil, PrintInfo{}, fmt.Errorf("登记库 %s 中没有批次 %s", o.Registry, batchBase(batch))
	}
	base := o.Verifier
	if m := st.manifests[batch]; m != nil {
		base = m.Verifier
	}
	if base == "" {
		return nil, PrintInfo{}, fmt.Errorf("批次 %s 早于批次清单，没有记录核验地址：请传 -verifier（与原证书相同的地址）", batchBase(batch))
	}
	personal, err := openPersonal(o.Registry, batch, o.Identities)
	if err != nil {
		return nil, PrintInfo{}, err
	}
	var certs []Certificate
	for _, pr := range personal {
		if o.Number != "" && pr.number != o.Number {
			continue
		}
		e, ok := st.reg.Entries[pr.token]
		if !ok || e.Number != pr.number {
			return nil, PrintInfo{}, &RegistryError{Dir: o.Registry, Err: fmt.Errorf("批次 %s 的个人信息中的证书 %s 不在批次文件中", batchBase(batch), pr.number)}
		}
		pub, err := st.reg.Trust.VerifyEntry(e)
		if err != nil {
			return nil, PrintInfo{}, &RegistryError{Dir: o.Registry, Err: fmt.Errorf("证书 %s 的签名无法核验：%v", pr.number, err)}
		}
		if d, err := pr.personal.Digest(); err != nil || d != pub.PersonalDigest {
			return nil, PrintInfo{}, &RegistryError{Dir: o.Registry, Err: fmt.Errorf("证书 %s 的个人信息与签名记录不符", pr.number)}
		}
		var q *catalog.Qualification
		if cat != nil {
			q = cat.Qualification(pub.QualificationID)
		}
		certs = append(certs, Certificate{Public: pub, Personal: pr.personal, Verifier: base, Skill: isSkill(q, pub.Level)})
	}
	if len(certs) == 0 {
		return nil, PrintInfo{}, fmt.Errorf("批次 %s 的个人信息中没有证书 %s", batchBase(batch), o.Number)
	}
	info, err := Print(ctx, o.Out, certs)
	return certs, info, err
}

// batchOf returns the batch whose file lists number.
func batchOf(dir, number string) (int, error) {
	names, err := record.BatchFiles(os.DirFS(dir))
	if err != nil {
		return 0, err
	}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			return 0, err
		}
		if bytes.Contains(data, []byte(" "+number+" ")) {
			n, _ := record.BatchNumber(path.Base(name))
			return n, nil
		}
	}
	return 0, fmt.Errorf("登记库 %s 中没有证书 %s", dir, number)
}

type personalRecord struct {
	token    record.Token
	number   string
	personal record.Personal
}

// openPersonal decrypts batch n's personal records.
func openPersonal(dir string, n int, ids []age.Identity) ([]personalRecord, error) {
	name, _, _ := batchPaths(dir, n)
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), ids...)
	if err != nil {
		return nil, fmt.Errorf("%s：无法解密个人信息（身份文件不是中心的接收者之一？）", name)
	}
	var out []personalRecord
	sc := bufio.NewScanner(io.LimitReader(r, 1<<30))
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		f := strings.Fields(l)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s（解密后）第 %d 行格式错误", name, line)
		}
		raw, err := base64URL.DecodeString(f[2])
		var p record.Personal
		if err == nil {
			err = p.UnmarshalBinary(raw)
		}
		if err != nil {
			return nil, fmt.Errorf("%s（解密后）第 %d 行无法读取：%v", name, line, err)
		}
		out = append(out, personalRecord{token: record.Token(f[0]), number: f[1], personal: p})
	}
	return out, sc.Err()
}
