package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/generator/catalog"
)

// runCheck loads the catalogs and content of a repository and reports
// every problem, sorted by position:
//
//	qualbridge: catalog/qualifications.toml:12:1: error: 未知字段 "levle"
//	qualbridge: hint: 是否想写 "level"？…
//	qualbridge: 1 error, 0 warnings
//
// Paths are relative to the repository. On success stdout gets one line
// of counts.
func runCheck(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	strict := fs.Bool("strict", false, "treat warnings as errors")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: qualbridge check [-strict] [dir]")
		fmt.Fprintln(c.stderr, "\nchecks catalog/ and content/ of the repository at dir (default .)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 1 {
		c.errorf("check takes one directory, got %d arguments", fs.NArg())
		fs.Usage()
		return errUsage
	}
	dir := "."
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		c.print(diag.List{notFolder(dir, "")})
		return errReported
	}

	// The clock is read here only: site.toml's build_date, when set,
	// overrides it inside Load, so checks of a pinned site do not change
	// from day to day.
	cat, ds := catalog.Load(os.DirFS(dir), catalog.Options{BuildDate: catalog.DateOf(time.Now())})
	c.print(ds)
	errs, warns := ds.Count(catalog.Error), ds.Count(catalog.Warning)
	if errs > 0 || (*strict && warns > 0) {
		return errReported
	}
	s := cat.Stats()
	fmt.Fprintf(c.stdout, "ok: %s, %s, %s, %s, %s, %s, %s, %s\n",
		plural(s.Qualifications, "qualification"), plural(s.Occupations, "occupation"),
		plural(s.Organisations, "organisation"), plural(s.Offices, "office"),
		plural(s.Guides, "guide"), plural(s.Documents, "document"),
		plural(s.Changes, "change"), plural(s.Pages, "page"))
	return nil
}

// plural formats "1 error" or "3 errors".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
