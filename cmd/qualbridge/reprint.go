package main

import (
	"context"
	"os"

	"github.com/qualbridge/qualbridge/issuance"
)

// runReprint prints already-issued certificates again (issuance.Reprint).
func runReprint(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "reprint", "-registry DIR -identity FILE (-number N | -batch N) -out DIR")
	var o issuance.ReprintOptions
	flags.StringVar(&o.Registry, "registry", "", "登记库`目录`")
	identity := flags.String("identity", "", "中心的 age 身份`文件`，用于解密个人信息")
	flags.StringVar(&o.Number, "number", "", "重印这一份证书（`编号`）")
	flags.IntVar(&o.Batch, "batch", 0, "重印这一批次的全部证书（批次`号`，如 1）")
	flags.StringVar(&o.Out, "out", "", "打印的`目录`")
	catalogDir := flags.String("catalog", ".", "仓库`根目录`（用于判断证书类别）")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if o.Registry == "" || *identity == "" || o.Out == "" || (o.Number == "") == (o.Batch == 0) || flags.NArg() > 0 {
		return c.usageErrorf(flags, "reprint 需要 -registry、-identity、-out，以及 -number 或 -batch 之一")
	}
	var err error
	if o.Identities, err = c.identities(*identity); err != nil {
		return c.fail(err)
	}
	o.Catalog = os.DirFS(*catalogDir)
	certs, info, err := issuance.Reprint(ctx, o)
	if err != nil {
		return c.fail(err)
	}
	c.printed(o.Out, info, certs)
	return nil
}
