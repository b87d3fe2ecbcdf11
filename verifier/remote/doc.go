// Package remote is a verifier snapshot in an object store: publishing
// one there, and following one from a verifier.
//
// # Publishing
//
// [Bucket] is a [trust.Target] over a gocloud.dev/blob bucket (s3://,
// gs://, azblob://, file://, opened by deploy/store.Open): [trust.PublishTo]
// uploads the objects the store lacks (by size and MD5 from one listing),
// checks them all by a fresh listing, writes the head last and prunes
// after it. Immutable objects get a year's Cache-Control, the head
// no-cache, so that a CDN in front of the store may serve them too.
//
// # Following
//
// A [Mirror] copies the store into a local cache folder: it asks for the
// head's attributes (one small request) and fetches nothing when the
// ETag is the one it saw last; on a new head it fetches each object the
// head names that the cache lacks (objects never change under their
// name), checks each against its name ([trust.CheckName]) and writes the
// head into the cache last. [Follow] runs it every poll and hands the
// cache to the verifier's [verifier.Reloader], so that every check of
// [trust.Load], the high-water marks, the refusals and their metrics are
// the same code as for a folder: a head that fails any check is refused
// and the snapshot in force keeps serving.
//
// While the store is unreachable the verifier serves what it has;
// readiness and metrics say when a poll last reached the store
// ([verifier.SourceStatus]). Started with the store down and no cache, it
// is not ready, and becomes ready on the first poll that reaches the
// store. Nothing in a replica depends on another: any number follow one
// URL and converge within a poll interval of a publish.
package remote
