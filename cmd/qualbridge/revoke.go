package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qualbridge/qualbridge/issuance"
	"github.com/qualbridge/qualbridge/verifier/record"
)

// runRevoke appends a signed revocation of one certificate to
// cancellations.log (issuance.Revoke), by its locator.
func runRevoke(ctx context.Context, c *cli, args []string) error {
	reasons := make([]string, 0, 4)
	for _, r := range record.Reasons() {
		reasons = append(reasons, string(r))
	}
	flags := newFlags(c, "revoke", "-registry DIR -key FILE (-number N | -token T) -reason R [-date D]")
	var o issuance.RevokeOptions
	flags.StringVar(&o.Registry, "registry", "", "登记库`目录`")
	keyFile := flags.String("key", "", "age 加密的签名密钥`文件`")
	identity := flags.String("identity", "", "打开密钥的 age 身份`文件`（默认用口令）")
	flags.StringVar(&o.Number, "number", "", "要撤销的证书`编号`")
	token := flags.String("token", "", "要撤销的证书`令牌`（二维码中的）")
	reason := flags.String("reason", "", "撤销`原因`："+strings.Join(reasons, ", "))
	date := flags.String("date", "", "撤销`日期`（2006-01-02，默认今天）")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return c.usageErrorf(flags, "revoke 不接受参数，而收到了 %q", flags.Arg(0))
	}
	if o.Registry == "" || *keyFile == "" || *reason == "" || (o.Number == "") == (*token == "") {
		return c.usageErrorf(flags, "revoke 需要 -registry、-key、-reason，以及 -number 或 -token 之一")
	}
	var err error
	if o.Reason, err = record.ParseReason(*reason); err != nil {
		return c.usageErrorf(flags, "-reason %q 不是以下之一：%s", *reason, strings.Join(reasons, ", "))
	}
	if *token != "" {
		if o.Token, err = record.ParseToken(*token); err != nil {
			return c.usageErrorf(flags, "-token 格式错误：令牌应为 32 个字符（A–Z、2–7）")
		}
	}
	o.Now = time.Now()
	o.Date = today(o.Now)
	if *date != "" {
		if o.Date, err = time.Parse(time.DateOnly, *date); err != nil {
			return c.usageErrorf(flags, "-date %q 不是日期（2006-01-02）", *date)
		}
	}
	o.OpenKey = c.keyOpener(*keyFile, *identity)
	if o.Trust, err = issuance.OpenTrust(o.Registry); err != nil {
		return c.fail(err)
	}
	c.warnExpiry(o.Trust, o.Now)
	rev, err := issuance.Revoke(o)
	if errors.Is(err, issuance.ErrAlreadyRevoked) {
		c.errorf("证书 %s 已于 %s 撤销（%s）", rev.Number, rev.Date.Format(time.DateOnly), rev.Reason)
		return errReported
	}
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "已撤销 %s，日期 %s，原因：%s（%s）\n", rev.Number, rev.Date.Format(time.DateOnly), string(rev.Reason), rev.Reason)
	return nil
}
