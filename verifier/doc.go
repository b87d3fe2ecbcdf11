// Package verifier is the HTTP service that anyone reaches by scanning the
// QR code of a certificate: it answers, in one glance, whether the
// certificate is genuine, revoked or not ours.
//
// # Shape
//
// [NewServer] returns the whole service as an http.Handler; every route is
// in routes.go. The service is stateless over an immutable [Snapshot] of
// the registry (trust list, signed records, revocations) that a [Store]
// holds behind an atomic pointer. A [Reloader] replaces the snapshot when
// the registry directory changes or on SIGHUP; a registry that does not
// load is refused as a whole and the previous snapshot keeps serving.
//
// # Outcomes
//
// Every answer, HTML or JSON, is one [Outcome]; see [Outcome.Status] for
// the HTTP status of each. Only a valid certificate shows holder fields,
// already masked by the issuer: the service never holds a full name,
// birth date or document number.
//
// # Privacy
//
// Tokens are bearer secrets: logs carry [record.Token.Hash], never the
// token, the request path or anything about the holder.
package verifier
