package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/deploy"
	"github.com/qualbridge/qualbridge/deploy/store"
	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/issuance"
	"github.com/qualbridge/qualbridge/verifier/remote"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// runRegistry is "registry check" (issuance.Check), "registry repair"
// (issuance.Repair) and "registry recover" (issuance.Recover).
func runRegistry(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || (args[0] != "check" && args[0] != "repair" && args[0] != "recover") {
		c.errorf("registry 需要子命令 check、repair 或 recover")
		fmt.Fprintln(c.stderr, "usage: qualbridge registry check -registry DIR\n       qualbridge registry repair -registry DIR\n       qualbridge registry recover -registry DIR -from SNAPSHOT [-dry-run]")
		return errUsage
	}
	sub := args[0]
	if sub == "recover" {
		return runRecover(ctx, c, args[1:])
	}
	flags := newFlags(c, "registry "+sub, "-registry DIR")
	dir := flags.String("registry", "", "登记库`目录`")
	if help, err := parseFlags(flags, args[1:]); help || err != nil {
		return err
	}
	if *dir == "" || flags.NArg() > 0 {
		return c.usageErrorf(flags, "registry %s 需要 -registry，且不接受参数", sub)
	}
	if sub == "repair" {
		acts, err := issuance.Repair(nil, *dir, time.Now())
		for _, a := range acts {
			fmt.Fprintf(c.stdout, "%s\n", a)
		}
		if err != nil {
			return c.fail(err)
		}
		if len(acts) == 0 {
			fmt.Fprintln(c.stdout, "无需修复")
		}
		return nil
	}
	ds, n := issuance.Check(*dir)
	c.diagnostics(withDir(*dir, ds))
	errs, warns := ds.Count(diag.Error), ds.Count(diag.Warning)
	if errs > 0 {
		c.errorf("登记库有 %d 处问题，%d 处提醒", errs, warns)
		return errReported
	}
	fmt.Fprintf(c.stdout, "登记库完好：%d 份证书，%d 处提醒\n", n, warns)
	return nil
}

// withDir positions registry diagnostics under the directory the
// operator named.
func withDir(dir string, ds diag.List) diag.List {
	out := make(diag.List, len(ds))
	for i, d := range ds {
		d.Pos.File = joinPath(dir, d.Pos.File)
		out[i] = d
	}
	return out
}

// runRecover is "registry recover" (issuance.Recover): the revocations a
// registry restored from an older backup lacks, taken back byte for byte
// from a snapshot it published (a folder, or a store URL as publish -to
// takes, mirrored into a temporary folder first):
//
//	qualbridge registry recover -registry reg -from "s3://snap?endpoint=…"
//	已从快照 s3://snap 取回 1 条撤销（S000035000001254000001），发布序号提高到 7
func runRecover(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "registry recover", "-registry DIR -from SNAPSHOT [-dry-run]")
	var o issuance.RecoverOptions
	flags.StringVar(&o.Registry, "registry", "", "登记库`目录`")
	from := flags.String("from", "", "登记库发布过的`快照`：文件夹，或对象存储 URL（与 publish -to 相同；只读即可）")
	flags.BoolVar(&o.DryRun, "dry-run", false, "只核验并列出将取回的内容，不写入")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if o.Registry == "" || *from == "" || flags.NArg() > 0 {
		return c.usageErrorf(flags, "registry recover 需要 -registry 和 -from，且不接受参数")
	}
	var err error
	if o.Trust, err = issuance.OpenTrust(o.Registry); err != nil {
		return c.fail(err)
	}
	o.Now = time.Now()
	o.Snapshot, o.Source = *from, *from
	if strings.Contains(*from, "://") {
		o.Source = deploy.Redact(*from)
		dir, err := os.MkdirTemp("", "qualbridge-recover-")
		if err != nil {
			return c.fail(err)
		}
		defer os.RemoveAll(dir)
		if err := c.mirror(ctx, *from, dir, o.Trust.Pin); err != nil {
			return err
		}
		o.Snapshot = dir
	}
	r, err := issuance.Recover(o)
	if err != nil {
		return c.fail(err)
	}
	c.recovered(o, r)
	return nil
}

// mirror copies the snapshot in the store at url into dir, as a
// verifier's cache is (remote.Mirror): the revocations and packs only once the head
// checks against the pin.
func (c *cli) mirror(ctx context.Context, url, dir string, pin *trust.Pin) error {
	b, err := deploy.Open(ctx, url)
	if c.storeFailure(err) {
		return errReported
	}
	if err != nil {
		return c.fail(err)
	}
	defer b.Close()
	m, err := remote.NewMirror(b, dir, pin, trust.DefaultOptions(), slog.New(slog.DiscardHandler))
	if err != nil {
		return c.fail(err)
	}
	if _, err := m.Sync(ctx); err != nil {
		if errors.Is(err, remote.ErrNoHead) {
			c.errorf("%s: 存储中没有快照头：这里还没有发布过快照", deploy.Redact(url))
		} else {
			c.errorf("%s: 无法读取存储：%s", deploy.Redact(url), store.Message(err))
		}
		c.hintf("检查地址、凭据（如 AWS_ACCESS_KEY_ID）和网络后重新运行；读取权限即可")
		return errReported
	}
	return nil
}

// recovered reports what registry recover did: the result on stdout,
// what the operator must still see to on stderr.
func (c *cli) recovered(o issuance.RecoverOptions, r *issuance.Recovered) {
	if r.UpToDate() {
		fmt.Fprintf(c.stdout, "已是最新：登记库已有快照 %s 的全部 %d 条撤销，发布序号 %d 不低于快照头的\n", o.Source, r.Head.Revocations, r.SeqFrom)
	} else {
		var nums []string
		for _, a := range r.Added {
			if a.Number != "" {
				nums = append(nums, a.Number)
			}
		}
		what := strings.Join(nums, "、")
		if len(nums) > 5 {
			what = strings.Join(nums[:5], "、") + fmt.Sprintf(" 等 %d 份", len(nums))
		}
		if r.Orphans > 0 {
			if what != "" {
				what += "；"
			}
			what += fmt.Sprintf("另有 %d 条的证书不在登记库中", r.Orphans)
		}
		seq := fmt.Sprintf("发布序号提高到 %d", r.SeqTo)
		if o.DryRun && len(r.Added) == 0 {
			seq = fmt.Sprintf("演习（-dry-run，未写入）：发布序号将提高到 %d", r.SeqTo)
		}
		if r.SeqTo == r.SeqFrom {
			seq = fmt.Sprintf("发布序号 %d 不变", r.SeqTo)
		}
		verb := "已从快照"
		if o.DryRun {
			verb = "演习（-dry-run，未写入）：将从快照"
		}
		if len(r.Added) == 0 {
			fmt.Fprintf(c.stdout, "登记库已有快照 %s 的全部 %d 条撤销；%s\n", o.Source, r.Head.Revocations, seq)
		} else {
			fmt.Fprintf(c.stdout, "%s %s 取回 %d 条撤销（%s），%s\n", verb, o.Source, len(r.Added), what, seq)
		}
		for i, a := range r.Added {
			num := a.Number
			if num == "" {
				num = "（不在登记库中的证书 " + a.Locator.String() + "）"
			}
			fmt.Fprintf(c.stdout, "  第 %d 条 %s 撤销于 %s，原因：%s（%s）\n", r.Had+i+1, num, a.Date.Format(time.DateOnly), string(a.Reason), a.Reason)
		}
	}
	if r.Orphans > 0 {
		c.errorf("warning: %d 条撤销的证书不在登记库中（备份之后签发、又撤销的）：照样取回，撤销链才能延续核验服务已有的；registry check 会把它们列为警告“撤销的证书不在任何签发日志中”", r.Orphans)
	}
	if n := len(r.Untrusted); n > 0 {
		c.errorf("warning: %d 条撤销由已泄露或不在时间窗内的密钥签署（%s），核验服务会忽略它们", n, strings.Join(r.Untrusted, "、"))
		c.hintf("用 qualbridge reissue -kid K 以有效密钥重签这些撤销")
	}
	if !r.Expired.IsZero() {
		c.errorf("warning: 快照头已于 %s 过期：按它签发之时核验（根、信任列表、签名、摘要照样核对），撤销记录有签名和链，不会过期", cst(r.Expired))
	}
	if r.SnapshotListSeq > r.ListSeq {
		c.errorf("warning: 快照的信任列表（第 %d 版）比登记库的（第 %d 版）新：备份之后信任列表变过", r.SnapshotListSeq, r.ListSeq)
		c.hintf("发布前从备份找回较新的 trust.list（及 roots/），否则核验服务以 rollback 拒绝新快照")
	}
	if r.Lost > 0 {
		c.errorf("warning: 快照有 %d 份证书不在登记库中（快照 %d 条封存记录，登记库发布 %d 份证书、%d 条）：备份之后签发的证书无法从快照取回——快照只有封存副本，登记库需要个人记录和令牌",
			r.Lost, r.Head.Records, r.Certificates, 2*r.Certificates)
		c.hintf("发布不含它们的快照后，这些持证人的二维码将显示“未知”：用原来的申请表重新签发（新令牌、重新打印）并通知持证人")
	}
	if !r.UpToDate() && !o.DryRun {
		fmt.Fprintf(c.stdout, "运行 qualbridge publish -registry %s 发布：核验服务保留各自的 marks.json 即可接受\n", o.Registry)
	}
}
