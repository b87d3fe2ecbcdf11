package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"gocloud.dev/gcerrors"

	"github.com/qualbridge/qualbridge/deploy"
	"github.com/qualbridge/qualbridge/deploy/store"
	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/issuance"
	"github.com/qualbridge/qualbridge/verifier/remote"
	"github.com/qualbridge/qualbridge/verifier/trust"
)

// runTrust is "trust init" (issuance.InitTrust), "trust retire" /
// "trust compromise" (issuance.SetStatus), "trust renew"
// (issuance.RenewList) and "trust rotate-root" (issuance.RotateRoot):
// the registry's root of trust, changed only through the root key.
func runTrust(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || (args[0] != "init" && args[0] != "retire" && args[0] != "compromise" && args[0] != "renew" && args[0] != "rotate-root") {
		c.errorf("trust 需要子命令 init、retire、compromise、renew 或 rotate-root")
		fmt.Fprintln(c.stderr, "usage: qualbridge trust init -registry DIR -root-key FILE -timestamp-key FILE [-ops-recipient age1…|FILE] [-pepper-out FILE]\n       qualbridge trust retire|compromise -registry DIR -root-key FILE -kid K\n       qualbridge trust renew -registry DIR -root-key FILE [-days N]\n       qualbridge trust rotate-root -registry DIR -root-key FILE -new-root-key FILE")
		return errUsage
	}
	sub := args[0]
	flags := newFlags(c, "trust "+sub, "-registry DIR -root-key FILE …")
	dir := flags.String("registry", "", "登记库`目录`")
	rootKey := flags.String("root-key", "", "age 加密的根密钥`文件`（init 时不存在则新建）")
	tsKey := flags.String("timestamp-key", "", "init：写入 age 加密时间戳密钥的`文件`；从不覆盖")
	pepperOut := flags.String("pepper-out", "", "init：把人工查询的 pepper 明文写入这个`文件`，交给核验服务器（-lookup-pepper）")
	kid := flags.String("kid", "", "retire/compromise：信任列表中的密钥 `kid`")
	newRoot := flags.String("new-root-key", "", "rotate-root：新根密钥的`文件`（不存在则新建，age 加密）")
	var ops stringList
	flags.Var(&ops, "ops-recipient", "init：时间戳密钥和 pepper 加密给这个 age `接收者`（age1… 或接收者文件，可重复），而不是根密钥的口令")
	days := flags.Int("days", 180, "renew：新信任列表的有效`天数`（1 至 366）")
	workFactor := flags.Int("scrypt-work-factor", 18, "口令的 scrypt 工作因子（log2；只在测试中调低）")
	if help, err := parseFlags(flags, args[1:]); help || err != nil {
		return err
	}
	if *dir == "" || *rootKey == "" || flags.NArg() > 0 {
		return c.usageErrorf(flags, "trust %s 需要 -registry 和 -root-key，且不接受参数", sub)
	}
	now := time.Now()
	if sub == "renew" {
		root, err := c.keyOpener(*rootKey, "")()
		if err != nil {
			return c.fail(err)
		}
		l, err := issuance.RenewList(*dir, root, now, time.Duration(*days)*24*time.Hour)
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "信任列表第 %d 版已由根密钥续签，有效至 %s（密钥不变）\n", l.Seq, cst(l.Expires))
		fmt.Fprintln(c.stdout, "运行 qualbridge publish 让核验服务得到新的信任列表")
		return nil
	}
	if sub == "rotate-root" {
		if *newRoot == "" {
			return c.usageErrorf(flags, "trust rotate-root 需要 -new-root-key")
		}
		old, err := c.keyOpener(*rootKey, "")()
		if err != nil {
			return c.fail(err)
		}
		var nk []byte
		if _, err := os.Stat(*newRoot); os.IsNotExist(err) {
			r, err := c.scryptRecipient(*workFactor)
			if err != nil {
				return c.fail(err)
			}
			if nk, err = issuance.NewRootKey(*newRoot, []age.Recipient{r}); err != nil {
				return c.fail(err)
			}
		} else if nk, err = c.keyOpener(*newRoot, "")(); err != nil {
			return c.fail(err)
		}
		rs, err := issuance.RotateRoot(*dir, old, nk, now)
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "根密钥集第 %d 版已由旧根和新根共同签署；信任列表已由新根重签\n", rs.Version)
		fmt.Fprintln(c.stdout, "核验服务仍固定第 1 版根公钥，沿签署链接受新根；运行 qualbridge publish 发布")
		return nil
	}
	if sub != "init" {
		if *kid == "" {
			return c.usageErrorf(flags, "trust %s 需要 -kid", sub)
		}
		root, err := c.keyOpener(*rootKey, "")()
		if err != nil {
			return c.fail(err)
		}
		status := trust.Retired
		if sub == "compromise" {
			status = trust.Compromised
		}
		l, err := issuance.SetStatus(*dir, root, *kid, status, now)
		if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "密钥 %s 已标记为%s；信任列表第 %d 版已由根密钥签署\n", *kid, statusName(status), l.Seq)
		fmt.Fprintln(c.stdout, "运行 qualbridge publish 让核验服务得到新的信任列表")
		return nil
	}
	if *tsKey == "" {
		return c.usageErrorf(flags, "trust init 需要 -timestamp-key")
	}
	// The root key is on the passphrase; the operational keys (the
	// timestamp key, the pepper) too, unless -ops-recipient sends them
	// to an identity the hosts that publish and issue hold.
	var rootRcpt age.Recipient
	newRootKey := false
	if _, err := os.Stat(*rootKey); os.IsNotExist(err) {
		if rootRcpt, err = c.scryptRecipient(*workFactor); err != nil {
			return c.fail(err)
		}
		newRootKey = true
	}
	var rcpts []age.Recipient
	if len(ops) > 0 {
		var err error
		if rcpts, err = opsRecipients(ops); err != nil {
			return c.fail(err)
		}
	} else if rootRcpt != nil {
		rcpts = []age.Recipient{rootRcpt}
	} else {
		r, err := c.scryptRecipient(*workFactor)
		if err != nil {
			return c.fail(err)
		}
		rcpts = []age.Recipient{r}
	}
	var root []byte
	created := false
	if newRootKey {
		k, err := issuance.NewRootKey(*rootKey, []age.Recipient{rootRcpt})
		if err != nil {
			return c.fail(err)
		}
		root, created = k, true
	} else {
		var err error
		if root, err = c.keyOpener(*rootKey, "")(); err != nil {
			return c.fail(err)
		}
	}
	res, err := issuance.InitTrust(issuance.TrustInitOptions{Registry: *dir, Root: root, TimestampKeyFile: *tsKey, Recipients: rcpts, Now: now})
	if err != nil {
		return c.fail(err)
	}
	if *pepperOut != "" {
		if err := os.WriteFile(*pepperOut, append(res.Pepper, '\n'), 0o600); err != nil {
			return c.fail(err)
		}
	}
	if created {
		fmt.Fprintf(c.stdout, "已生成根密钥 %s（age 加密）：%s —— 离线保管，只在改动信任列表时使用\n", res.RootKID, *rootKey)
	}
	fmt.Fprintf(c.stdout, "根公钥（交给每台核验服务器，-trust-root）：%s\n", filepath.Join(*dir, issuance.PinFile))
	opens := "用口令打开"
	if len(ops) > 0 {
		opens = "用 -ops-recipient 的身份打开，pepper 也是"
	}
	fmt.Fprintf(c.stdout, "时间戳密钥 %s（age 加密，%s）：%s\n", res.TimestampKID, opens, *tsKey)
	fmt.Fprintf(c.stdout, "信任列表（根密钥签署）：%s\n", filepath.Join(*dir, issuance.ListFile))
	if *pepperOut != "" {
		fmt.Fprintf(c.stdout, "人工查询 pepper（明文，只交给核验服务器，-lookup-pepper）：%s\n", *pepperOut)
	}
	fmt.Fprintln(c.stdout, "下一步：qualbridge keygen -root-key … 加入签名密钥")
	return nil
}

// opsRecipients reads -ops-recipient values: an age recipient (age1…,
// ssh-…) or a file of them.
func opsRecipients(values []string) ([]age.Recipient, error) {
	var keys, files []string
	for _, v := range values {
		if strings.HasPrefix(v, "age1") || strings.HasPrefix(v, "ssh-") {
			keys = append(keys, v)
		} else {
			files = append(files, v)
		}
	}
	return recipients(keys, files)
}

// warnExpiry warns when the trust list expires soon
// (issuance.Trust.ExpiryWarning).
func (c *cli) warnExpiry(t *issuance.Trust, now time.Time) {
	if d, ok := t.ExpiryWarning(now); ok {
		c.print(diag.List{d})
	}
}

// scryptRecipient encrypts new key files to the passphrase.
func (c *cli) scryptRecipient(workFactor int) (age.Recipient, error) {
	p, err := c.passphrase(true)
	if err != nil {
		return nil, err
	}
	r, err := age.NewScryptRecipient(p)
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(workFactor)
	return r, nil
}

func statusName(s trust.Status) string {
	switch s {
	case trust.Retired:
		return "停用（已签的证书仍然有效）"
	case trust.Compromised:
		return "泄露（它签的一切不再可信）"
	}
	return "启用"
}

// runPublish writes the verifier snapshot (issuance.PublishTo) into a
// folder (-out) or an object store (-to, the URLs and credentials of
// qualbridge deploy):
//
//	qualbridge publish -registry reg -timestamp-key ts.age -to "s3://snap?endpoint=http://127.0.0.1:8333&region=us-east-1&use_path_style=true"
//	已发布快照 s3://snap：第 4 版，… 写入 2 个对象（1.2 KB），未变 9 个，清理 1 个，用时 0.3s
func runPublish(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "publish", "-registry DIR -timestamp-key FILE (-out DIR | -to URL) [-lifetime 168h]")
	var o issuance.PublishOptions
	flags.StringVar(&o.Registry, "registry", "", "登记库`目录`")
	flags.StringVar(&o.Out, "out", "", "快照`目录`（核验服务的 -snapshot）")
	to := flags.String("to", "", "快照所在的对象存储 `URL`（与 qualbridge deploy 相同：s3://桶名?endpoint=…、gs://、azblob://、file:///）；核验服务以同一地址作 -snapshot")
	tsKey := flags.String("timestamp-key", "", "age 加密的时间戳密钥`文件`")
	identity := flags.String("identity", "", "打开密钥的 age 身份`文件`（默认用口令）")
	flags.DurationVar(&o.Lifetime, "lifetime", 7*24*time.Hour, "快照头的有效`时长`：过期前须再次发布")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if o.Registry == "" || *tsKey == "" || flags.NArg() > 0 {
		return c.usageErrorf(flags, "publish 需要 -registry、-timestamp-key，以及 -out 或 -to 之一，且不接受参数")
	}
	if (o.Out == "") == (*to == "") {
		return c.usageErrorf(flags, "publish 需要 -out（文件夹）或 -to（对象存储）之一，不能两个都给或都不给")
	}
	var target trust.Target = trust.Folder(o.Out)
	if *to != "" {
		b, err := deploy.Open(ctx, *to)
		if c.storeFailure(err) {
			return errReported
		}
		if err != nil {
			return c.fail(err)
		}
		defer b.Close()
		target, o.Out = remote.NewBucket(b), deploy.Redact(*to)
	}
	t, err := issuance.OpenTrust(o.Registry)
	if err != nil {
		return c.fail(err)
	}
	if o.Timestamp, err = c.keyOpener(*tsKey, *identity)(); err != nil {
		return c.fail(err)
	}
	start := time.Now()
	o.Now = start
	if err := t.CheckTimestampKey(o.Timestamp, o.Now); err != nil {
		return c.fail(err)
	}
	c.warnExpiry(t, o.Now)
	p, err := issuance.PublishTo(ctx, o, target)
	var te *issuance.TargetError
	if errors.As(err, &te) {
		if *to != "" {
			c.errorf("发布到 %s 失败：%s", o.Out, store.Message(te.Err))
			if gcerrors.Code(te.Err) == gcerrors.NotFound {
				c.hintf("存储桶不存在：先在存储中建好它（云控制台，或 S3 兼容存储自己的工具），再重新运行")
			}
			c.hintf("存储中原有的快照头未被改动，核验服务继续使用它；检查地址、凭据（如 AWS_ACCESS_KEY_ID）和网络后重新运行，已上传的对象不会重传")
		} else {
			c.errorf("写入快照目录 %s 失败：%v", o.Out, te.Err)
			c.hintf("目录中原有的快照头未被改动；检查磁盘空间和权限后重新运行")
		}
		return errReported
	}
	if err != nil && p != nil {
		c.errorf("%v", err)
		c.hintf("快照头已发布，核验服务会取用；留下的旧对象在下次发布时清理")
		return errReported
	}
	if err != nil {
		return c.fail(err)
	}
	h := p.Head
	fmt.Fprintf(c.stdout, "已发布快照 %s：第 %d 版，%d 条封存记录（每份证书两份副本），%d 条撤销，有效至 %s\n",
		o.Out, h.Seq, h.Records, h.Revocations, cst(h.Expires))
	fmt.Fprintf(c.stdout, "写入 %d 个对象（%s），未变 %d 个，清理 %d 个，用时 %v\n",
		p.Written, size(p.Bytes), p.Unchanged, p.Pruned, time.Since(start).Round(10*time.Millisecond))
	return nil
}
