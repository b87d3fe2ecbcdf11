package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/issuance"
)

// runReissue re-signs what a retired or compromised key signed
// (issuance.Reissue): its certificates that stand and its revocations,
// after a person approves the list.
func runReissue(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "reissue", "-registry DIR -kid K -key FILE -identity FILE [-yes]")
	var o issuance.ReissueOptions
	flags.StringVar(&o.Registry, "registry", "", "登记库`目录`")
	flags.StringVar(&o.KID, "kid", "", "已停用或泄露的密钥 `kid`：它签的证书和撤销记录全部重新签名")
	keyFile := flags.String("key", "", "用来重新签名的（启用中的）age 加密签名密钥`文件`")
	identity := flags.String("identity", "", "中心的 age 身份`文件`：解密个人信息，也打开加密给它的 -key 和人工查询 pepper（用口令加密的仍问口令）")
	yes := flags.Bool("yes", false, "不再询问，直接重新签名列出的证书和撤销记录")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if o.Registry == "" || o.KID == "" || *keyFile == "" || *identity == "" || flags.NArg() > 0 {
		return c.usageErrorf(flags, "reissue 需要 -registry、-kid、-key 和 -identity，且不接受参数")
	}
	var err error
	if o.Identities, err = c.identities(*identity); err != nil {
		return c.fail(err)
	}
	if o.Trust, err = issuance.OpenTrust(o.Registry); err != nil {
		return c.fail(err)
	}
	o.OpenKey = c.keyOpenerAs(*keyFile, *identity, true)
	o.OpenPepper = c.pepperOpenerAs(o.Registry, *identity, true)
	o.Now = time.Now()
	c.warnExpiry(o.Trust, o.Now)
	o.Approve = func(p *issuance.ReissuePlan) bool {
		fmt.Fprintf(c.stdout, "密钥 %s 签的内容将用新密钥重新签名：将重签 %d 份证书、%d 条撤销记录\n", o.KID, len(p.Certificates), len(p.Revocations))
		for _, s := range p.Certificates {
			fmt.Fprintf(c.stdout, "  证书 %s  第 %d 版次  签于 %s（令牌和二维码不变，版次加一）\n", s.Number, s.Generation, cst(s.SignedAt))
		}
		for _, r := range p.Revocations {
			fmt.Fprintf(c.stdout, "  撤销 %s  撤销日期 %s  原因：%s  签于 %s\n", r.Number, r.Old.Date.Format(time.DateOnly), r.Old.Reason, cst(r.Old.SignedAt))
		}
		for _, s := range p.Skipped {
			fmt.Fprintf(c.stdout, "  跳过 %s：已撤销，不再签名\n", s.Number)
		}
		if *yes {
			return true
		}
		fmt.Fprint(c.stdout, "确认重新签名？输入 是 或 yes：")
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		a := strings.TrimSpace(line)
		return a == "是" || strings.EqualFold(a, "yes")
	}
	done, err := issuance.Reissue(ctx, o)
	if errors.Is(err, issuance.ErrNotApproved) {
		c.errorf("%v", err)
		return errReported
	}
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "已重新签名 %d 份证书、%d 条撤销记录；运行 qualbridge publish 让核验服务得到它们\n", len(done.Certificates), len(done.Revocations))
	return nil
}

// cst is t in China Standard Time, to the minute.
func cst(t time.Time) string {
	return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")
}
