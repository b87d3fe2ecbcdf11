package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/qualbridge/qualbridge/generator"
	"github.com/qualbridge/qualbridge/generator/catalog"
)

// runBuild checks the repository, then builds the site into the output
// directory, swapping it in only when everything succeeded:
//
//	qualbridge build -src . -out public
//	built public: 212 pages, 268 files, 1.9 MB in 140ms
//
// Diagnostics are printed as by check, on stderr; any error leaves the
// previous output untouched and exits 1.
func runBuild(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	src := fs.String("src", ".", "repository root holding catalog/ and content/")
	out := fs.String("out", "public", "output directory, replaced atomically")
	date := fs.String("date", "", "build date YYYY-MM-DD (default: site.toml's build_date, else today)")
	base := fs.String("base-url", "", "absolute URL the site is served from (default: site.toml's base_url)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: qualbridge build [-src dir] [-out public] [-date YYYY-MM-DD] [-base-url URL]")
		fmt.Fprintln(c.stderr, "\nchecks the catalogs, then builds the site in both scripts")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		c.errorf("build takes no arguments, got %q", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	opts := generator.Options{Src: *src, Out: *out, BaseURL: *base}
	if *date != "" {
		t, err := time.Parse(time.DateOnly, *date)
		if err != nil {
			c.errorf("-date %q is not a date like 2025-06-01", *date)
			return errUsage
		}
		opts.BuildDate = catalog.DateOf(t)
	}
	if st, err := os.Stat(*src); err != nil || !st.IsDir() {
		c.errorf("%s is not a directory", *src)
		return errReported
	}

	res, err := generator.Build(ctx, opts)
	if res != nil {
		for _, d := range res.Diagnostics {
			c.errorf("%s: %s: %s", d.Pos, d.Severity, d.Message)
			if d.Hint != "" {
				c.hintf("%s", d.Hint)
			}
		}
		if errs, warns := res.Diagnostics.Count(catalog.Error), res.Diagnostics.Count(catalog.Warning); errs+warns > 0 {
			c.errorf("%s, %s", plural(errs, "error"), plural(warns, "warning"))
		}
	}
	var be *generator.BuildError
	switch {
	case errors.As(err, &be):
		c.errorf("nothing built; %s left as it was", *out)
		return errReported
	case err != nil:
		c.errorf("build failed: %v", err)
		c.errorf("nothing built; %s left as it was", *out)
		return errReported
	}
	if res.Preview {
		c.errorf("preview build: no base_url, so links are relative and there is no sitemap, canonical or hreflang URL")
		c.hintf("for a deployment set base_url in catalog/site.toml or pass -base-url https://…/")
	}
	fmt.Fprintf(c.stdout, "built %s: %d pages, %d files, %s in %v\n",
		*out, res.Pages, res.Files, size(res.Bytes), res.Duration.Round(time.Millisecond))
	return nil
}

// size formats a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
