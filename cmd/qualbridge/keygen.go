package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/issuance"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// runKeygen creates a signing key or, through the root, a timestamp key
// (issuance.CreateKey): the private key only age-encrypted, the public
// key in the registry's root-signed trust list, through the root key.
func runKeygen(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "keygen", "-registry DIR -key FILE -root-key FILE [-role signing|timestamp] [-recipient age1…] [-not-before DATE] [-not-after DATE]")
	var o issuance.KeyOptions
	var rcpts stringList
	flags.StringVar(&o.Registry, "registry", "", "登记库`目录`（由 trust init 建立），其根签名的信任列表记入公钥")
	flags.StringVar(&o.KeyFile, "key", "", "写入 age 加密私钥的`文件`；从不覆盖")
	flags.Var(&rcpts, "recipient", "把密钥加密给这个 age `接收者`，而不是用口令（可重复）")
	notBefore := flags.String("not-before", "", "密钥可以签名的起始时间（`日期`或 RFC 3339；默认现在）")
	notAfter := flags.String("not-after", "", "结束时间（`日期`或 RFC 3339；默认起始后五年）")
	flags.StringVar(&o.Issuer, "issuer", issuance.CentreName, "密钥代表的发证机构")
	rootKey := flags.String("root-key", "", "age 加密的根密钥`文件`（trust init 所建）：新密钥经它加入信任列表")
	role := flags.String("role", "signing", "密钥的`角色`：signing（签证书和撤销）或 timestamp（只签快照头，须 -root-key）")
	workFactor := flags.Int("scrypt-work-factor", 18, "口令的 scrypt 工作因子（log2；只在测试中调低）")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if o.Registry == "" || o.KeyFile == "" {
		return c.usageErrorf(flags, "keygen 需要 -registry、-key 和 -root-key")
	}
	if flags.NArg() > 0 {
		return c.usageErrorf(flags, "keygen 不接受参数，而收到了 %q", flags.Arg(0))
	}
	switch *role {
	case "signing":
	case "timestamp":
		o.Role = trust.RoleTimestamp
		if *rootKey == "" {
			return c.usageErrorf(flags, "keygen -role timestamp 需要 -root-key：时间戳密钥只经根密钥加入信任列表")
		}
	default:
		return c.usageErrorf(flags, "-role 只能是 signing 或 timestamp，而不是 %q", *role)
	}
	now := time.Now().UTC().Truncate(time.Second)
	o.NotBefore = now
	var err error
	if *notBefore != "" {
		if o.NotBefore, err = parseWhen(*notBefore); err != nil {
			return c.usageErrorf(flags, "-not-before：%v", err)
		}
	}
	o.NotAfter = o.NotBefore.AddDate(5, 0, 0)
	if *notAfter != "" {
		if o.NotAfter, err = parseWhen(*notAfter); err != nil {
			return c.usageErrorf(flags, "-not-after：%v", err)
		}
	}
	if !o.NotBefore.Before(o.NotAfter) {
		return c.usageErrorf(flags, "时间窗 %s 至 %s 为空", o.NotBefore.Format(time.RFC3339), o.NotAfter.Format(time.RFC3339))
	}
	if !issuance.HasTrust(o.Registry) {
		// Before asking for any passphrase.
		return c.fail(&issuance.NoTrustError{Dir: o.Registry})
	}
	if *rootKey == "" {
		return c.usageErrorf(flags, "keygen 需要 -root-key：新密钥只能经根密钥加入信任列表")
	}
	if len(rcpts) > 0 {
		if o.Recipients, err = recipients(rcpts, nil); err != nil {
			return c.fail(err)
		}
	} else {
		p, err := c.passphrase(true)
		if err != nil {
			return c.fail(err)
		}
		r, err := age.NewScryptRecipient(p)
		if err != nil {
			return c.fail(err)
		}
		r.SetWorkFactor(*workFactor)
		o.Recipients = []age.Recipient{r}
	}
	if *rootKey != "" {
		if o.Root, err = c.keyOpener(*rootKey, "")(); err != nil {
			return c.fail(err)
		}
	}
	kid, err := issuance.CreateKey(o)
	if err != nil {
		return c.fail(err)
	}
	if o.Role == trust.RoleTimestamp {
		fmt.Fprintf(c.stdout, "已生成时间戳密钥 %s（只签快照头）\n", kid)
		fmt.Fprintf(c.stdout, "私钥（age 加密）：%s\n", o.KeyFile)
		fmt.Fprintf(c.stdout, "已经根密钥加入根签名的信任列表 %s（可签名时间 %s 至 %s）\n", filepath.Join(o.Registry, issuance.ListFile), o.NotBefore.Format(time.RFC3339), o.NotAfter.Format(time.RFC3339))
		fmt.Fprintln(c.stdout, "下一步：publish -timestamp-key "+o.KeyFile+"；旧的时间戳密钥用 qualbridge trust retire（或 compromise）-kid … 停用")
		return nil
	}
	fmt.Fprintf(c.stdout, "已生成签名密钥 %s\n", kid)
	fmt.Fprintf(c.stdout, "私钥（age 加密）：%s\n", o.KeyFile)
	fmt.Fprintf(c.stdout, "已经根密钥加入根签名的信任列表 %s（可签名时间 %s 至 %s）\n", filepath.Join(o.Registry, issuance.ListFile), o.NotBefore.Format(time.RFC3339), o.NotAfter.Format(time.RFC3339))
	return nil
}
