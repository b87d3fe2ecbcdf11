package trust

import "github.com/qualbridge/qualbridge/verifier/internal/canon"

// maxString is the most bytes of one string field of the metadata.
const maxString = 256

// format is the canonical field codec of the signed metadata (package
// canon): the same rules as package record's certificates, so that every
// value has exactly one byte form. A time of the metadata is never the
// Unix epoch: 0 there is a time that was never set.
func format() canon.Format {
	return canon.Format{Malformed: ErrMalformed, MaxString: maxString, MinYear: 1970, MaxYear: 2999, NoEpoch: true}
}
