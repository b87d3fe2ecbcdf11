// Package trust is the signed metadata of a verifier snapshot, modelled on
// TUF (The Update Framework), and the snapshot folder that carries it:
// who may sign what, and how a verifier knows that the snapshot in front
// of it is whole, current and the centre's.
//
// # Roles
//
//   - Root keys (offline, Ed25519, stored age-encrypted) sign a versioned
//     [RootSet] and the [List] (the trust list), nothing else. Version 1
//     of the root set is what a deployment pins ([ParsePin], the
//     trust-root.pub file); every later version is signed by a threshold
//     of the keys of the version before and of its own, so the root
//     itself can rotate.
//   - Signing keys ([RoleSigning]) sign certificates and revocations
//     (package record, version 2).
//   - The timestamp key ([RoleTimestamp]) signs [Head]s only, so that a
//     job can keep heads fresh without the signing key.
//
// # The snapshot folder
//
//	roots/000001.root …          every root set, version 1 up
//	trust/<hash>.list            the trust list, signed by the root
//	revocations/<chain>.list     the signed revocations, append-only
//	records/<hash>.pack          the sealed certificates (package seal)
//	head                         signed by the timestamp key; written last
//
// Every object but the head is immutable and named by what the head pins
// ([Objects]), so a folder and an object store hold the same layout and
// a reader never sees half a snapshot: [PublishTo] writes the objects a
// [Target] lacks, checks they are all there, writes the head, and prunes
// only what neither the new head nor the one before names.
//
// The head pins the root set, the trust list's hash and sequence, the
// revocation list's count and chained hash, and one hash over every
// record's (locator, kind, generation, sealed-bytes hash) in locator
// order. [Load] checks the head before it reads anything it names,
// hashes every object against it, and checks the [Marks] (high-water
// marks a verifier keeps on disk) so that nothing older is accepted.
//
// Every byte layout is in docs/certificate-format.md.
package trust
