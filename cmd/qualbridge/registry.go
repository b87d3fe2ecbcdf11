package main

import (
	"context"
	"fmt"
	"time"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/issuance"
)

// runRegistry is "registry check" (issuance.Check) and "registry
// repair" (issuance.Repair).
func runRegistry(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || (args[0] != "check" && args[0] != "repair") {
		c.errorf("registry 需要子命令 check 或 repair")
		fmt.Fprintln(c.stderr, "usage: qualbridge registry check -registry DIR\n       qualbridge registry repair -registry DIR")
		return errUsage
	}
	sub := args[0]
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
