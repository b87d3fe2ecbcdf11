//go:build !unix

package issuance

import "time"

// Lock does nothing where flock is missing; run one issuer at a time.
func Lock(dir, command string, now time.Time) (unlock func(), err error) { return func() {}, nil }
