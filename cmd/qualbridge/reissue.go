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
// (issuance.Reissue), after a person approves the list.
func runReissue(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "reissue", "-registry DIR -kid K -key FILE -identity FILE [-yes]")
	var o issuance.ReissueOptions
	flags.StringVar(&o.Registry, "registry", "", "登记库`目录`")
	flags.StringVar(&o.KID, "kid", "", "已停用或泄露的密钥 `kid`：它签的证书全部重新签名")
	keyFile := flags.String("key", "", "用来重新签名的（启用中的）age 加密签名密钥`文件`")
	identity := flags.String("identity", "", "打开个人信息的中心 age 身份`文件`")
	yes := flags.Bool("yes", false, "不再询问，直接重新签名列出的证书")
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
	o.OpenKey = c.keyOpener(*keyFile, "")
	o.OpenPepper = c.pepperOpener(o.Registry, "")
	o.Now = time.Now()
	o.Approve = func(list []issuance.Sealed) bool {
		fmt.Fprintf(c.stdout, "以下 %d 份证书由密钥 %s 签名，将用新密钥重新签名（令牌和二维码不变，版次加一）：\n", len(list), o.KID)
		for _, s := range list {
			fmt.Fprintf(c.stdout, "  %s  第 %d 版次  签于 %s\n", s.Number, s.Generation, s.SignedAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"))
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
	fmt.Fprintf(c.stdout, "已重新签名 %d 份证书（密钥 %s）；运行 qualbridge publish 让核验服务得到它们\n", len(done), done[0].KID)
	return nil
}
