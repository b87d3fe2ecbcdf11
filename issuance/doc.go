// Package issuance is how the centre issues certificates: it reads a
// batch of applicants, checks every row against the rules and the
// catalog, signs one certificate per holder with [record], and commits
// the batch to the registry so that no crash can lose, duplicate or
// strand a certificate. It also checks and repairs a registry, prints
// and reprints certificates, takes back from a published snapshot the
// revocations a restored registry lost, and counts certificates for
// publication.
//
// The command qualbridge (trust, keygen, issue, revoke, registry
// check/repair/recover, reprint, reissue, stats, publish) is a thin
// layer over it: flags in, one call here, output.
//
// # From applicants to certificates
//
// [ParseApplicants] reads a CSV (spreadsheet export, UTF-8) or TOML
// batch; every problem is a [diag.Diagnostic] positioned at the line and
// column (in characters) of the value, in Chinese, with a hint.
// [Issue] then checks each row: name (NFC, no invisible characters),
// sex, dates (none after the run's date), the identity document
// ([CheckIDNumber]: 8-digit 通行证, or 居住证 with its 830000 prefix,
// birth date and GB 11643 check character), and the catalog row it
// names (occupation, level, Taiwan qualification and grade must agree).
// One wrong row refuses the whole batch ([BatchError]), before any key
// is opened or any file written.
//
// Certificate numbers follow the MOHRSS rule (S, evaluation body, 35,
// site, year, level digit, serial) and are the next free ones in the
// registry. The personal records — with the tokens the QR codes print —
// are encrypted with age to the centre's recipients; no other file of
// the registry, and nothing the verifier sees, holds a token, a name or
// a document number (TestStolenRegistry searches every byte for them).
//
// # The registry
//
//	trust-root.pub             the pinned root set every verifier is given (trust init)
//	roots/000001.root          the signed root set, version 1 (and later versions)
//	trust.list                 the root-signed trust list: signing and timestamp keys
//	lookup-pepper.age          the manual lookup's pepper, age-encrypted
//	certs/NNNNNN.personal.age  a batch's personal records and their tokens, age-encrypted:
//	                           "<token> <number> <base64url(record)>" per certificate
//	certs/NNNNNN.batch         its manifest ("qualbridge batch v2"): input digest,
//	                           verifier URL, the digests of the other two files, one
//	                           keyed fingerprint per certificate (no personal data)
//	certs/NNNNNN.sealed        its issuance log, the commit point: per certificate the
//	                           number, locator, kid, generation, signed-at, the signed
//	                           version-2 envelope and both sealed copies (no token, no name)
//	reissued/NNNNNN.sealed     certificates re-signed by [Reissue], one file per run
//	issued.idx                 fingerprints of all batches: derived, rebuilt by [Repair]
//	cancellations.log          revocations by locator, signed, append-only
//	publish.seq                the sequence of the last snapshot head published
//	journal                    only while a batch is being committed
//	.lock                      who changes the registry now, and since when
//
// A registry has a root of trust or issues nothing: [Issue] refuses one
// without it ([NoTrustError], with the trust init command to run), and
// [CreateKey] adds a key only through the root. The version-1 files of
// issue 9 (certs/NNNNNN.certs with the tokens, revocations.log, the
// unsigned trust.json) are neither written nor read; [Check] names any it
// finds as leftovers to remove. (No deployment had them: the version-1
// path was removed, not migrated.)
//
// # The root of trust and the snapshot
//
// [InitTrust] makes the root set, its pin, a timestamp key, the trust
// list and the pepper; the root key signs the trust list and nothing
// else, and every change of the list ([CreateKey], [SetStatus],
// [RotateRoot]) is signed by it and checked against the pin before it
// is written. [OpenTrust] checks the list against the pin on every
// issue, revoke and publish, so that a key written into the registry
// without the root signs nothing. [Issue] refuses unless the list lets
// its key sign now and the clock is not behind the registry's last
// signature; it signs each certificate in version 2 and seals it twice
// (package seal: by token, and by the argon2id lookup key — tens of
// milliseconds of CPU each, by design — over all CPUs). [Publish]
// writes the verifier snapshot (package trust), checking every
// signature first. [Reissue] re-signs what a retired or compromised key
// signed, at a higher generation under the same token, after a person
// approves the list.
//
// # The key ceremony
//
// The root key only ever signs the trust list, and every key comes and
// goes through it. [CreateKey] with Role timestamp adds a timestamp key
// (a verifier takes heads from it as soon as the list is published, and
// marking the old one compromised resets the marks it set);
// [Trust.CheckTimestampKey] is publish's refusal of a retired or
// compromised one, with what to do. [RenewList] gives the list a new
// sequence and expiry over the same keys; it is the one way past an
// expired list, which [OpenTrust] refuses, and [Trust.ExpiryWarning]
// warns of it for 30 days before.
//
// A compromise must not revive a revocation: a verifier skips what a
// compromised key signed, revocations included. So [Reissue] never
// re-signs a certificate the registry has revoked (by any key: the
// registry's cancellations.log is the operator's record), and signs
// again, with the new key, every revocation the old key signed, appended
// to the log so that the revocation chain only grows. Such a certificate
// keeps its old record, signed by the compromised key, which [Publish]
// then leaves out of the snapshot: a scan answers revoked from the
// revocation alone, never "key compromised" and never valid.
//
// The operational keys (the timestamp key and the pepper: what a
// publishing host holds) may be encrypted to other recipients than the
// root key ([TrustInitOptions].Recipients; the command's -ops-recipient),
// so that the passphrase of the root need never be typed on that host.
//
// # The commit protocol
//
// A batch is committed in this order, each file written to a temporary
// name, fsynced and renamed, and each directory fsynced after the
// renames in it:
//
//  1. the journal (batch number, row count, input digest, start time);
//  2. the personal records and the manifest, which records the digest of
//     both the personal records and the issuance log; then certs/ fsynced;
//  3. the issuance log, NNNNNN.sealed — its rename, made durable by the
//     fsync of certs/, is the commit point: the batch exists whole or not
//     at all, and publish sees it only then;
//  4. the index, then the journal is removed.
//
// The next run (under the lock, first thing) reads a journal left by a
// crash: if the issuance log is there and it and the personal records
// match the manifest, the commit is finished (index rebuilt, journal
// removed); if not, the staged files are removed — none of their
// certificates ever took effect. Temporary files are removed either
// way. So after kill -9, a full disk, an I/O error or a power cut at any
// step, the registry holds all of the batch or none of it; the tests
// stop a run at every one of these steps (TestCommitFaults, through an
// injected [FS]), and for a power cut also throw away whatever was not
// yet fsynced. A run that fails to fsync the directory after the commit
// rename cannot know whether the batch survives: it neither reports it
// issued nor undoes it ([UncertainError]), and the next run decides from
// the disk.
//
// Running the same applicants file again is always safe: its digest is
// in the manifest, so a file issued before signs nothing ([Result.Again]).
// Printing it again needs the tokens, which only the personal records
// hold: with [Options.Identities] (the command's -identity) the batch is
// printed again from them, byte for byte; without, [AgainError] says so.
// A different file with the same holders is refused row by row, or, with
// SkipIssued, only its new rows are issued. Duplicates are found from
// the manifests themselves, with the index as a second source, so a lost
// or damaged issued.idx lets nothing through. Fingerprints are HMACs
// under a key derived from the signing key, so the 8-digit permit
// numbers cannot be guessed back from them.
//
// # Printing
//
// Printing is its own step and writes nothing into the registry:
// [Print] makes a PNG and SVG QR code (level Q, 35 mm) of the verifier
// URL and an A4 page per certificate, in parallel; the page has the seal
// area and, for skill-type certificates, the line [CoSealLine] (seed 000).
// [Reprint] prints issued certificates again from the registry and the
// centre's age identity (the token and the personal record from the
// personal records, the certificate from the issuance log, its
// signature checked), with the verifier URL recorded in the manifest,
// so the QR code holds the same bytes as the first time.
//
// # Checking, repairing, counting
//
// [Check] verifies a registry as a whole (the trust list against the
// pin; every issuance log against its manifest and every signature in
// it against the trust list; the personal records' digests; the index;
// the revocations; leftovers) without opening any personal record, and
// reports every problem as "file:line" with a hint. [Repair] does what
// needs no judgement — finishes or rolls back the journal's commit,
// removes temporary and staged files, cuts a torn last line of
// cancellations.log (keeping the bytes in a .torn file), rebuilds the
// index — and never deletes a signed certificate. [Stats] counts
// certificates per qualification, occupation, level and year from the
// signed certificates (no personal data), as CSV, as the annual table
// of seed 003 附件2, or as the catalog/statistics.toml the site
// publishes.
//
// # Recovering from a snapshot
//
// A registry restored from an older backup lacks the revocations made
// since, and verifiers that saw them refuse its snapshots: the list does
// not extend theirs. The snapshot still in force holds them, signed,
// byte for byte. [Recover] (the command's registry recover -from) loads
// it with every check of a verifier against the registry's own pin,
// requires the registry's cancellations.log to be the start of its
// revocation list, appends the missing envelopes in order (each checked
// against the trust list; one of a certificate the registry lost is kept
// too, for the chain), all at once under the lock, and raises
// publish.seq to the snapshot head's. The verifiers then take the next
// snapshot with their marks kept. A registry that revoked on its own
// since is refused, at the first differing line, for a person to
// decide. Certificates issued after the backup cannot come back (the
// snapshot has only their sealed copies): [Recovered].Lost counts them.
//
// Every message for the operator is in Chinese; [Explain] says system
// errors (disk full, read-only, no permission, the registry in use by
// another run) in the same words, with what to do next.
package issuance
