// Package templates holds the site's html/template files and static
// assets, embedded in the qualbridge binary. The generator reads them
// through [FS]; a deployment overrides any of them by placing a file with
// the same name under <src>/templates/ (see README.md).
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.html assets
var files embed.FS

// FS returns the embedded templates and assets.
func FS() fs.FS { return files }
