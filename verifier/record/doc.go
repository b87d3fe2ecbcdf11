// Package record is what a certificate is, once signed: the shared
// contract between the issuer commands (qualbridge keygen, issue, revoke)
// and the verifier service.
//
// # Versions
//
// Version 2 ([Certificate], [Cancellation], [Signer.SignCertificate],
// [OpenCertificate]) is what verifier snapshots hold
// (docs/certificate-format.md): a certificate is named by its
// [Locator], derived one-way from the token, carries a generation, and
// holds no name-derived value. Version 1 ([Public], [Revocation],
// [TrustList]) is no longer written: the issuer signs version 2 only,
// and its registry (package issuance) holds no version-1 file, since
// those held every token in the clear. Its [NameCheck] let anyone with a
// record test guesses at the holder's name and is gone from version 2.
// The version-1 code stays for its known-answer vectors and fuzz
// targets, and [Public] is still how the issuer carries a certificate,
// with its token, to the printer; no verifier reads version 1.
//
// # Records
//
// A certificate has two parts. [Public] is what a verifier may show to
// anyone holding the printed QR code: already masked (陈*明, birth year,
// ****1234, no sex). [Personal] is the full personal record; it is only
// ever stored age-encrypted to the centre's recipients and the verifier
// never needs it. The public part carries [Public.PersonalDigest], the
// SHA-256 of the canonical encoding of the salted personal record, so the
// one signature covers both parts.
//
// # Encoding and signatures
//
// Records are encoded in a canonical, versioned byte format (never
// re-serialised JSON): a fixed order of fixed-width integers and
// uvarint-length-prefixed UTF-8 strings. Decoding rejects anything that
// is not the one encoding of its value (trailing bytes, non-minimal
// varints, invalid UTF-8, control characters, impossible dates), so a
// signed record has exactly one byte form.
//
// An envelope is
//
//	version (1 byte) || uvarint len || kid || uvarint len || payload || Ed25519 signature (64 bytes)
//
// and the signature covers a domain-separation prefix
// ("qualbridge/cert/v1\x00" or "qualbridge/revocation/v1\x00") followed by
// every envelope byte before the signature. [TrustList.Verify] parses only
// this framing, checks the signature with the key the kid names, and only
// then decodes the payload.
//
// # Trust list
//
// The version-1 [TrustList] is the centre's public keys, each with the
// window in which it may sign and its status, as unsigned JSON. It is
// superseded by the root-signed trust list of package trust, which is
// the only one a registry or a snapshot holds.
package record
