package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/annex"
	"github.com/qualbridge/qualbridge/generator/catalog"
)

// runImport turns an official batch annex into catalog rows:
//
//	qualbridge import -document minban-2025-141 -batch 5 annex.xlsx
//
// Every problem of the annex is printed at once, positioned in it
// (annex.xlsx!Sheet1!B7, annex.csv:7:3), and nothing is written while
// any error stands. With -dry-run it prints the rows it would write.
func runImport(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	document := fs.String("document", "", "id of the notice in catalog/documents.toml whose annex this is (required)")
	batch := fs.Int("batch", 0, "the catalogue batch number (required)")
	route := fs.String("route", "直接采认", "route of every row: 直接采认 (采认) or 采信")
	effective := fs.String("effective", "", "date the rows take effect, YYYY-MM-DD (default: the document's date)")
	dryRun := fs.Bool("dry-run", false, "print the rows and files it would write, write nothing")
	repo := fs.String("repo", ".", "the repository root")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: qualbridge import -document ID -batch N [-route 直接采认|采信] [-effective DATE] [-dry-run] FILE")
		fmt.Fprintln(c.stderr, "\nreads an annex (.xlsx, .csv or a saved .html notice page) into catalog/qualifications/batch-N.toml")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() != 1 || *document == "" || *batch == 0 {
		c.errorf("import needs -document, -batch and one annex file")
		fs.Usage()
		return errUsage
	}
	opts := annex.Options{Document: *document, Batch: *batch, BuildDate: catalog.DateOf(time.Now())}
	switch *route {
	case "直接采认", "采认":
		opts.Route = catalog.Recognition
	case "采信":
		opts.Route = catalog.Adoption
	default:
		c.errorf("-route %q: write 直接采认 or 采信", *route)
		return errUsage
	}
	if *effective != "" {
		d, err := catalog.ParseDate(*effective)
		if err != nil {
			c.errorf("-effective %q: write a date as 2025-11-21", *effective)
			return errUsage
		}
		opts.Effective = d
	}
	name := fs.Arg(0)
	data, err := os.ReadFile(name)
	if err != nil {
		c.errorf("%v", err)
		return errReported
	}

	plan, ds := annex.Import(os.DirFS(*repo), filepath.ToSlash(name), data, opts)
	if plan != nil && plan.Grid != nil {
		g := plan.Grid
		switch {
		case g.Sheet != "":
			fmt.Fprintf(c.stdout, "%s: 工作表 %s\n", name, g.Sheet)
		case g.Encoding != "":
			fmt.Fprintf(c.stdout, "%s: %s 编码\n", name, g.Encoding)
		}
	}
	printDiags(c, ds)
	if ds.Err() != nil {
		c.errorf("%s; nothing written", plural(ds.Count(diag.Error), "error"))
		return errReported
	}
	for _, s := range plan.Skipped {
		fmt.Fprintf(c.stdout, "%s: 跳过（不是目录行）：%s\n", s.Pos, s.Text)
	}
	if *dryRun {
		for _, e := range plan.Entries {
			q, state := e.Row, "新增"
			if e.Present != nil {
				state = "已在 " + e.Present.Pos.String() + "，不改动"
			}
			fmt.Fprintf(c.stdout, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Pos, q.TaiwanName, q.TaiwanGrade, q.Occupation, q.Level, q.ID, state)
		}
	}
	if len(plan.Files) == 0 {
		fmt.Fprintf(c.stdout, "无改动：%s 已与附件一致（%d 行）\n", plan.BatchFile, plan.New())
		return nil
	}
	verb := "写入"
	if *dryRun {
		verb = "将写入"
	}
	for _, p := range plan.Paths() {
		switch p {
		case plan.BatchFile:
			fmt.Fprintf(c.stdout, "%s %s：%d 行（附件共 %d 行，%d 行已在目录中）\n", verb, p, plan.New(), len(plan.Entries), len(plan.Entries)-plan.New())
		default:
			fmt.Fprintf(c.stdout, "%s %s：变更记录 %s\n", verb, p, plan.Change)
		}
	}
	if *dryRun {
		return nil
	}
	if err := plan.Write(*repo); err != nil {
		c.errorf("%v", err)
		return errReported
	}
	return nil
}

// printDiags prints diagnostics in the order given, as check does.
func printDiags(c *cli, ds diag.List) {
	for _, d := range ds {
		c.errorf("%s: %s: %s", d.Pos, d.Severity, d.Message)
		if d.Hint != "" {
			c.hintf("%s", d.Hint)
		}
	}
}
