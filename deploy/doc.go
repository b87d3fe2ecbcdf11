// Package deploy puts a built site (the public/ folder) into an object
// store that a CDN serves: Amazon S3 or any S3-compatible store, Google
// Cloud Storage, Azure Blob Storage, or a local folder, all through
// gocloud.dev/blob URLs. It is what `qualbridge deploy -to URL` does.
//
// # What it uploads
//
// A deploy lists the store once and compares each file's MD5 with the hash
// the listing gives (S3's ETag, GCS's and Azure's Content-MD5), so a
// deploy that changes nothing costs one listing and reading the site.
// Each object is uploaded in one request, so that its ETag is its MD5.
// Where the listing has no hash for an object (uploaded in parts by
// another tool), or the store lists no MD5s at all (one that encrypts),
// the object's attributes settle it: every upload records the MD5 of the
// file in the metadata key "qualbridge-md5", with its headers.
//
// Every object gets its Content-Type from a fixed table (the same on every
// machine), and a Cache-Control: a year and immutable for a fingerprinted
// asset (the generator's "style.3f2a1b9c0d.css": the first 10 hex digits
// of the SHA-256 of its bytes, checked against them), five minutes for
// everything else, pages always. [Options.Gzip] uploads gzip-compressed
// copies of text files with Content-Encoding: gzip.
//
// # In what order
//
// Assets first (style sheets, scripts, images, data exports), then pages,
// then what names pages (sitemap, robots.txt, feeds, search indexes), then
// the deletions, in the reverse order: indexes, pages, assets. Each phase
// starts only when every operation of the one before has succeeded. An
// object store replaces an object in one step, so a deploy stopped at any
// point (killed, a lost connection, a full disk) leaves a working site:
// old pages, or some new ones whose assets are all there already. Running
// the same deploy again compares anew and does the rest.
//
// # Guards
//
// [Options.MaxDeletes] refuses a deploy that would delete more objects
// than it allows before anything is changed: the sign of a wrong store
// address or of an empty build. A site without index.html is refused too.
// [Options.DryRun] returns the [Plan] and changes nothing.
//
// Everything an operator is told comes as [diag.Diagnostic]s in an
// [*Error]: positioned at the file of the site or at the store, in
// Chinese, with a hint.
package deploy
