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
// # Old assets
//
// A page a CDN or a browser still holds from before a deploy (five
// minutes, longer for a CDN that serves stale copies when the store
// errs, or a tab left open) loads the assets of its own build. So a
// fingerprinted asset the site no longer has is not deleted with the
// deploy that retires it: it is kept until it has been retired for
// [Options.KeepAssets] (qualbridge deploy's -keep-assets, a day unless
// told otherwise; zero deletes at once), and the first deploy after that
// deletes it. Everything else the site no longer has is deleted at once.
//
// When an asset was retired is written in the store itself, in the small
// object [ManifestKey] (Cache-Control: no-store), not read from the
// object's modification time, which says when it was uploaded. A deploy
// writes it twice: before its first upload, naming its build's assets as
// in use, and after its last deletion, retiring the assets no page in
// the store loads any more as of then. A deploy killed in between leaves
// the first; the next deploy to finish retires what that one's pages
// loaded only from its own end. So the record never says an asset is
// unused while a page in the store loads it, and a deploy that changes
// nothing writes nothing. [Options.Now] is the clock it is timed by.
//
// # Guards
//
// [Options.MaxDeletes] refuses a deploy that would delete more objects
// (kept assets are not deleted, so not counted) than it allows before
// anything is changed: the sign of a wrong store
// address or of an empty build. A site without index.html is refused too.
// [Options.DryRun] returns the [Plan] and changes nothing.
//
// Everything an operator is told comes as [diag.Diagnostic]s in an
// [*Error]: positioned at the file of the site or at the store, in
// Chinese, with a hint.
package deploy
