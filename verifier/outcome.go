package verifier

import (
	"errors"
	"net/http"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Outcome is the verdict of one verification, the same in HTML and JSON.
type Outcome string

// The outcomes. The first six are verdicts about a certificate; the last
// two say that no verdict could be given.
const (
	Valid          Outcome = "valid"
	Expired        Outcome = "expired"
	Revoked        Outcome = "revoked"
	Unknown        Outcome = "unknown"
	NotGenuine     Outcome = "not-genuine"
	KeyCompromised Outcome = "key-compromised"
	Malformed      Outcome = "malformed"
	Unavailable    Outcome = "unavailable"
)

// Status is the HTTP status of an answer with this outcome.
//
// 200 means "we hold a genuine record of this certificate, and here is
// its state": valid, expired or revoked. Clients must read the outcome field, not
// the status alone. Revoked is 200 rather than 410 Gone on purpose: the
// revocation page is the answer the reader needs (date, reason), and a
// 4xx makes browsers log a failed load and lets scanner apps and in-app
// browsers put their own error page in its place. Not genuine and key
// compromised answer 422: the token is well formed and names a record we
// hold, but that record cannot be accepted. Unknown is 404, a malformed
// token 400. Unavailable (no snapshot, or one whose head or trust list
// has expired) answers 503, never a verdict.
func (o Outcome) Status() int {
	switch o {
	case Valid, Expired, Revoked:
		return http.StatusOK
	case Unknown:
		return http.StatusNotFound
	case NotGenuine, KeyCompromised:
		return http.StatusUnprocessableEntity
	case Malformed:
		return http.StatusBadRequest
	default:
		return http.StatusServiceUnavailable
	}
}

// outcomeOf maps an error of record verification to its outcome: the one
// place where domain errors become verdicts. Anything the record package
// does not name is not genuine: an envelope that does not even parse was
// not written by our issuer.
func outcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return Valid
	case errors.Is(err, record.ErrKeyCompromised):
		return KeyCompromised
	default:
		// ErrUnknownKey, ErrBadSignature, ErrOutsideWindow, ErrMalformed
		// (a stored envelope that does not decode), a record that does not
		// open or sits under another locator.
		return NotGenuine
	}
}
