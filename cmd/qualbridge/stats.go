package main

import (
	"context"
	"time"

	"github.com/qualbridge/qualbridge/issuance"
)

// runStats counts the registry's certificates (issuance.Stats), without
// any personal data, as CSV, TOML (catalog/statistics.toml) or the
// annual summary table of seed 003 附件2.
func runStats(ctx context.Context, c *cli, args []string) error {
	flags := newFlags(c, "stats", "-registry DIR [-year YYYY] [-format csv|toml|annual]")
	dir := flags.String("registry", "", "登记库`目录`")
	year := flags.Int("year", 0, "只统计这一`年`签发的证书")
	format := flags.String("format", "csv", "输出`格式`：csv、toml（可提交为 catalog/statistics.toml）或 annual（年度核发证书信息汇总表）")
	if help, err := parseFlags(flags, args); help || err != nil {
		return err
	}
	if *dir == "" || flags.NArg() > 0 {
		return c.usageErrorf(flags, "stats 需要 -registry，且不接受参数")
	}
	if *format != "csv" && *format != "toml" && *format != "annual" {
		return c.usageErrorf(flags, "-format 须为 csv、toml 或 annual，而不是 %q", *format)
	}
	rows, err := issuance.Stats(*dir, *year)
	if err != nil {
		return c.fail(err)
	}
	var out []byte
	switch *format {
	case "csv":
		out = issuance.StatsCSV(rows)
	case "toml":
		out = issuance.StatsTOML(rows, today(time.Now()))
	case "annual":
		out = issuance.StatsAnnual(rows)
	}
	_, err = c.stdout.Write(out)
	return err
}
