package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/issuance"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

// runIssue signs a batch of applicants (issuance.Issue): every row
// checked first, the batch committed exactly once, then printed.
//
// cheapLookupEnv set to 1 seals the lookup copies under argon2id costs
// far below seal.DefaultParams, for the command's tests only: a
// verifier cannot find such copies by manual lookup. Only a test binary
// (testing.Testing) honours it; the qualbridge command ignores it, so
// no environment can weaken a real registry's lookup copies.
const cheapLookupEnv = "QUALBRIDGE_TEST_CHEAP_LOOKUP"

func runIssue(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "issue", "-registry DIR -key FILE -recipient age1… [flags] APPLICANTS.csv|.toml")
	var o issuance.Options
	var keyFile, identity, catalogDir, date string
	var rcpts, rcptFiles stringList
	var noPrint bool
	flags.StringVar(&o.Registry, "registry", "", "登记库`目录`（由 trust init 和 keygen -root-key 建立）")
	flags.StringVar(&keyFile, "key", "", "age 加密的签名密钥`文件`")
	flags.StringVar(&identity, "identity", "", "age 身份`文件`：打开密钥和 pepper（默认用口令：$"+passphraseEnv+" 或提示输入），以及重新运行同一文件时打印所需的个人信息")
	flags.Var(&rcpts, "recipient", "个人信息加密给的 age `接收者`（可重复）")
	flags.Var(&rcptFiles, "recipients-file", "age 接收者`文件`（可重复）")
	flags.StringVar(&catalogDir, "catalog", ".", "仓库`根目录`，其 catalog/ 列出采信项目")
	flags.StringVar(&o.Out, "out", "", "打印证书和二维码的`目录`")
	flags.StringVar(&date, "date", "", "本次签发的`日期`（2006-01-02，默认今天）：签发日期和出生日期都不能晚于它")
	flags.StringVar(&o.Verifier, "verifier", "", "核验服务的 https `地址`（默认 catalog/site.toml 的 verifier_url）")
	flags.StringVar(&o.Site, "site", "000001", "证书编号中的 6 位站点`序号`")
	flags.StringVar(&o.Issuer, "issuer", issuance.CentreName, "证书上签署和打印的发证`机构`")
	flags.BoolVar(&o.SkipIssued, "skip-issued", false, "跳过此前已签发的持证人，而不是拒绝整个批次")
	flags.BoolVar(&noPrint, "no-print", false, "只写入登记库，不打印（之后用 reprint 打印）")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return c.usageErrorf(flags, "issue 需要一个申请人文件")
	}
	o.Input = flags.Arg(0)
	if o.Registry == "" || keyFile == "" {
		return c.usageErrorf(flags, "issue 需要 -registry 和 -key")
	}
	if len(rcpts) == 0 && len(rcptFiles) == 0 {
		return c.usageErrorf(flags, "issue 需要 -recipient 或 -recipients-file：个人信息只以加密形式保存")
	}
	if !noPrint && o.Out == "" {
		return c.usageErrorf(flags, "issue 需要 -out（或 -no-print）")
	}
	if noPrint {
		o.Out = ""
	}
	o.Now = time.Now()
	o.Today = today(o.Now)
	if date != "" {
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return c.usageErrorf(flags, "-date %q 不是日期（2006-01-02）", date)
		}
		o.Today = d
	}
	var err error
	if o.Applicants, err = os.ReadFile(o.Input); err != nil {
		return c.fail(err)
	}
	if o.Recipients, err = recipients(rcpts, rcptFiles); err != nil {
		return c.fail(err)
	}
	o.Catalog = os.DirFS(catalogDir)
	o.OpenKey = c.keyOpener(keyFile, identity)
	if issuance.HasTrust(o.Registry) {
		if o.Trust, err = issuance.OpenTrust(o.Registry); err != nil {
			return c.fail(err)
		}
		c.warnExpiry(o.Trust, o.Now)
		o.OpenPepper = c.pepperOpener(o.Registry, identity)
	} // else Issue refuses, saying how to make the root of trust
	if identity != "" {
		if o.Identities, err = c.identities(identity); err != nil {
			return c.fail(err)
		}
	}
	if testing.Testing() && c.getenv(cheapLookupEnv) == "1" {
		o.LookupParams = seal.Params{Time: 1, Memory: 64, Threads: 1}
	}

	res, err := issuance.Issue(ctx, o)
	if res != nil {
		c.actions("恢复", res.Recovered)
		c.diagnostics(res.Notes)
	}
	var again *issuance.AgainError
	if errors.As(err, &again) {
		c.errorf("该申请人文件此前已签发为 %s（%d 份），本次未重复签发；重新打印须解密个人信息（二维码中的令牌只保存在那里）", joinPath(o.Registry, again.Batch), again.Count)
		c.hintf("带 -identity（中心的 age 身份文件）重新运行同一命令，或运行 qualbridge reprint -registry %s -identity … -batch %d -out %s", o.Registry, again.Number, o.Out)
		return errReported
	}
	if err != nil {
		return c.fail(err)
	}
	batch := joinPath(o.Registry, res.Batch)
	switch {
	case res.Again:
		fmt.Fprintf(c.stdout, "该申请人文件此前已签发为 %s（%d 份），本次未重复签发\n", batch, res.AgainCount)
		if o.Out == "" {
			c.hintf("要打印这些证书，带 -out 重新运行同一命令，或用 qualbridge reprint -batch")
		}
	case res.Batch == "":
		fmt.Fprintln(c.stdout, "没有要签发的证书：每一行此前都已签发")
		return nil
	default:
		fmt.Fprintf(c.stdout, "已签发 %d 份证书：%s\n", len(res.Certificates), batch)
	}
	if res.IndexErr != nil {
		msg, _ := issuance.Explain(res.IndexErr)
		c.errorf("注意：证书已签发，但已签发索引未更新（%s）", msg)
		c.hintf("下次运行 issue 或 qualbridge registry repair 时会自动重建")
	}
	if o.Out != "" {
		c.printed(o.Out, res.Print, res.Certificates)
	}
	return nil
}

// joinPath joins like filepath.Join but keeps the operator's own
// spelling of the first part.
func joinPath(dir, rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
