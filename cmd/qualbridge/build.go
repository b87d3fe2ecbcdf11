package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/qualbridge/qualbridge/diag"
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
// previous output untouched and exits 1. The output is only ever a folder
// that a build made (it holds publish.Marker) or a new or empty one: a
// folder of anything else, a file or a link is refused and left alone.
func runBuild(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	src := fs.String("src", ".", "repository root holding catalog/ and content/")
	out := fs.String("out", "public", "output folder, replaced whole in one step by the new site;\n"+
		"refused unless it is new, empty or made by an earlier build")
	noPrev := fs.Bool("no-prev", false, "do not keep the replaced site as <out>.prev\n"+
		"(by default it is kept and the next build writes over it, which is faster\n"+
		"but takes a second copy of the site on disk)")
	date := fs.String("date", "", "build date YYYY-MM-DD (default: site.toml's build_date, else today)")
	base := fs.String("base-url", "", "absolute URL the site is served from (default: site.toml's base_url)")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: qualbridge build [-src dir] [-out public] [-no-prev] [-date YYYY-MM-DD] [-base-url URL]")
		fmt.Fprintln(c.stderr, "\nchecks the catalogs, then builds the site in both scripts into -out;")
		fmt.Fprintln(c.stderr, "the site it replaces is kept as <out>.prev unless -no-prev")
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
	opts := generator.Options{Src: *src, Out: *out, BaseURL: *base, NoPrevious: *noPrev}
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
		c.print(res.Diagnostics)
	}
	var be *generator.BuildError
	switch {
	case errors.As(err, &be):
		c.errorf("nothing built; %s left as it was", *out)
		return errReported
	case err != nil:
		c.print(diag.List{asDiagnostic(*out, err)})
		c.errorf("nothing built; %s left as it was", *out)
		return errReported
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
