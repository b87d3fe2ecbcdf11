package generator

import (
	"context"
	"os"
	"time"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/generator/publish"
)

// built is a build's result with the catalog's diagnostics.
type built struct {
	*Result
	Diagnostics catalog.Diagnostics
}

// buildDir builds the repository at src into out as the build command
// does: load and check (errors stop it, as a *BuildError of the
// catalog's diagnostics), render into a publish stage beside out, and
// commit. With opts.Write set, out is not used. Duration covers it all.
func buildDir(ctx context.Context, src, out string, opts Options) (*built, error) {
	start := time.Now()
	fsys := os.DirFS(src)
	date := opts.BuildDate
	if date.IsZero() {
		date = catalog.DateOf(time.Now())
	}
	cat, ds := catalog.Load(fsys, catalog.Options{BuildDate: date})
	b := &built{Result: &Result{}, Diagnostics: ds}
	if ds.Err() != nil {
		return b, &BuildError{Diagnostics: ds}
	}
	var stage *publish.Stage
	if opts.Write == nil {
		var err error
		if stage, err = publish.NewStage(out, publish.Options{}); err != nil {
			return b, err
		}
		opts.Write = stage.WriteFile
	}
	opts.Clock = time.Now
	res, err := Build(ctx, cat, fsys, opts)
	if res != nil {
		b.Result = res
	}
	if err != nil {
		if stage != nil {
			stage.Abort()
		}
		return b, err
	}
	if stage != nil {
		if err := stage.Commit(); err != nil {
			return b, err
		}
	}
	b.Duration = time.Since(start)
	return b, nil
}
