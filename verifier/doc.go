// Package verifier is the HTTP service that anyone reaches by scanning the
// QR code of a certificate: it answers, in one glance, whether the
// certificate is genuine, expired, revoked or not ours, and when that was
// checked against which data.
//
// # Shape
//
// [NewServer] returns the public service (scans, the manual lookup,
// assets, /healthz) and [NewAdmin] the admin one (/readyz with the
// data's age and expiries, /metrics), for a loopback or internal
// address; every route is in routes.go. The service is stateless over an
// immutable [Snapshot] that a [Store] holds behind an atomic pointer.
//
// # Snapshots and marks
//
// A [Reloader] loads a snapshot folder (package trust): it checks the
// root chain from the pinned trust-root.pub, the root-signed trust list,
// the head signed by the timestamp key, and hashes every object against
// the head; it keeps high-water marks in a state folder that survives
// restarts, so that an older head, trust list or revocation list is
// refused even after a restart. A refused snapshot is logged ("snapshot
// refused, previous snapshot kept", with its reason) and counted
// (verifier_snapshot_refused_total{reason}); the previous one keeps
// serving. Past the head's or the trust list's expiry every answer is
// 503 "cannot verify now", never a verdict.
//
// # Outcomes
//
// Every answer, HTML or JSON, is one [Outcome]; see [Outcome.Status] for
// the HTTP status of each. Only a valid or expired certificate shows
// holder fields, already masked by the issuer: the service never holds a
// full name, birth date or document number, and its memo keeps nothing
// of a record but one "signature checked" bit.
//
// # Privacy
//
// Tokens are bearer secrets: logs carry [record.Token.Hash], never the
// token, the request path or anything about the holder; what a manual
// lookup was asked is never logged.
package verifier
