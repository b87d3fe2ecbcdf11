package catalog

import (
	"errors"
	"fmt"
	"io/fs"
)

// Options control [Load].
type Options struct {
	// BuildDate is the date that date checks compare against (an
	// organisation whose window has ended). The caller passes the site's
	// build_date override if set, else today.
	BuildDate Date
}

// Severity says whether a diagnostic stops the build.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Diagnostic is one problem found in the editors' files.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Message  string // in Chinese, for an editor
	Hint     string // how to fix it; may be empty
}

// Diagnostics is a sorted list of problems.
type Diagnostics []Diagnostic

// Err returns an error listing every diagnostic if any is an error, else nil.
func (ds Diagnostics) Err() error {
	for _, d := range ds {
		if d.Severity == Error {
			return errors.New(fmt.Sprint(ds))
		}
	}
	return nil
}

// Load reads catalog/ and content/ from fsys (the repository root),
// decodes and checks everything, and returns the catalog with every
// problem found. The catalog is usable only when ds.Err() is nil.
//
// TODO(catalog): stub, being implemented.
func Load(fsys fs.FS, opts Options) (*Catalog, Diagnostics) {
	return &Catalog{Pages: map[string]*Page{}}, nil
}
