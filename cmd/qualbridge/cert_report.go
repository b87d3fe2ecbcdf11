package main

import (
	"errors"
	"fmt"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/issuance"
)

// The certificate commands tell the centre's operator, in Chinese,
// what went wrong and what to do, as the catalog check tells editors:
//
//	qualbridge: batch.csv:4:5: error: sex 须为 男 或 女，而不是 "M"
//	qualbridge: 批次被拒绝：1 处问题，未签发任何证书
//	qualbridge: hint: …
//
// System errors (a full disk, no permission, the registry in use) are
// said in the same words by issuance.Explain.

// diagnostics prints each diagnostic and its hint on stderr.
func (c *cli) diagnostics(ds diag.List) {
	for _, d := range ds {
		c.errorf("%s: %s: %s", d.Pos, d.Severity, d.Message)
		if d.Hint != "" {
			c.hintf("%s", d.Hint)
		}
	}
}

// fail explains err on stderr and returns errReported.
func (c *cli) fail(err error) error {
	var be *issuance.BatchError
	if errors.As(err, &be) {
		c.diagnostics(be.Problems)
		c.errorf("%s", be.Summary)
		if be.Hint != "" {
			c.hintf("%s", be.Hint)
		}
		return errReported
	}
	msg, hint := issuance.Explain(err)
	c.errorf("%s", msg)
	if hint != "" {
		c.hintf("%s", hint)
	}
	return errReported
}

// actions prints what recovery or repair did.
func (c *cli) actions(label string, acts []issuance.Action) {
	for _, a := range acts {
		c.errorf("%s：%s", label, a)
	}
}

// printed reports a print run on stdout.
func (c *cli) printed(out string, info issuance.PrintInfo, certs []issuance.Certificate) {
	fmt.Fprintf(c.stdout, "二维码：版本 %d，纠错等级 Q，%d 模块（含静区），印刷宽 %g 毫米时每模块 %.2f 毫米\n",
		info.Version, info.Modules, info.PrintMM, info.ModuleMM)
	for _, cert := range certs {
		fmt.Fprintf(c.stdout, "%s %s\n", cert.Public.Number, joinPath(out, cert.Public.Number+".html"))
	}
}
