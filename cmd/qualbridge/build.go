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
	"github.com/qualbridge/qualbridge/generator/publish"
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
	var pinned catalog.Date
	if *date != "" {
		t, err := time.Parse(time.DateOnly, *date)
		if err != nil {
			c.errorf("-date %q is not a date like 2025-06-01", *date)
			return errUsage
		}
		pinned = catalog.DateOf(t)
	}
	if st, err := os.Stat(*src); err != nil || !st.IsDir() {
		c.print(diag.List{notFolder(*src, "-src")})
		return errReported
	}
	res, err := build(ctx, *src, *out, pinned, *base, *noPrev, c.print)
	if err != nil {
		if !errors.Is(err, errReported) {
			c.print(diag.List{asDiagnostic(*out, err)})
		}
		c.errorf("没有构建：%s 保持原样", *out)
		return errReported
	}
	if res.Preview {
		c.errorf("这是预览构建：没有设置 base_url，链接都用站内相对地址，不生成 sitemap、canonical 和 hreflang 网址")
		c.hintf("正式发布时在 catalog/site.toml 中写上 base_url，或运行 qualbridge build -base-url https://…/")
	}
	fmt.Fprintf(c.stdout, "built %s: %d pages, %d files, %s in %v\n",
		*out, res.Pages, res.Files, size(res.Bytes), res.Duration.Round(time.Millisecond))
	return nil
}

// build runs the stages: load and check the catalog (its diagnostics go
// to report; an error stops here), render the site into a stage beside
// out, publish the stage in out's place. The clock is read here only:
// the build date is pinned, else site.toml's build_date, else today.
func build(ctx context.Context, src, out string, pinned catalog.Date, base string, noPrev bool,
	report func(diag.List)) (*generator.Result, error) {
	start := time.Now()
	site := os.DirFS(src)
	today := pinned
	if today.IsZero() {
		today = catalog.DateOf(start)
	}
	cat, ds := catalog.Load(site, catalog.Options{BuildDate: today})
	if ds.Err() != nil {
		report(ds)
		return nil, errReported
	}
	stage, err := publish.NewStage(out, publish.Options{NoPrevious: noPrev})
	if err != nil {
		report(ds)
		return nil, err
	}
	res, err := generator.Build(ctx, cat, site, generator.Options{
		Write: stage.WriteFile, BuildDate: pinned, BaseURL: base, Clock: time.Now,
	})
	var be *generator.BuildError
	if errors.As(err, &be) {
		ds = append(ds, be.Diagnostics...)
		ds.Sort()
	}
	report(ds)
	if err != nil {
		stage.Abort()
		if be != nil {
			return nil, errReported
		}
		return nil, err
	}
	if err := stage.Commit(); err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	return res, nil
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
