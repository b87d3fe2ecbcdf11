// Package catalog is the editors' source of truth: it decodes the TOML
// catalogs under catalog/ and the Markdown pages under content/,
// checks them strictly and cross-links them into a [Catalog].
package catalog
