// Command qualbridge is the one tool of editors and the centre: it checks
// the catalogs, builds and previews the public site, and issues, signs
// and revokes certificates.
//
// Output rules: results go to stdout; diagnostics go to stderr, prefixed
// "qualbridge: ", lowercase, no final period, with "qualbridge: hint: …"
// lines where a hint helps. Exit status 1 means the command failed, 2 that
// it was called wrongly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/qualbridge/qualbridge/diag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// cli is what every subcommand gets from the process.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// errorf prints a diagnostic line on stderr.
func (c *cli) errorf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "qualbridge: "+format+"\n", args...)
}

// hintf prints a hint line on stderr.
func (c *cli) hintf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "qualbridge: hint: "+format+"\n", args...)
}

// print writes diagnostics on stderr, as every command does ([diag.Fprint]).
func (c *cli) print(ds diag.List) {
	diag.Fprint(c.stderr, "qualbridge: ", ds)
}

// asDiagnostic words an error that stopped a command for an operator: a
// diagnostic as it is, a system error in Chinese at its path (or at
// where), anything else as it is said.
func asDiagnostic(where string, err error) diag.Diagnostic {
	var d diag.Diagnostic
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &d):
		return d
	case errors.As(err, &pe), errors.As(err, &le):
		return diag.System(where, err)
	}
	return diag.Diagnostic{Pos: diag.Pos{File: where}, Severity: diag.Error, Message: err.Error()}
}

// notFolder is the diagnostic for a repository path that is not a folder
// (named by flag, or the argument when flag is "").
func notFolder(dir, flag string) diag.Diagnostic {
	how := "写上仓库的根文件夹（含 catalog/ 和 content/），例如 ."
	if flag != "" {
		how = "用 " + flag + " " + how
	}
	return diag.Diagnostic{Pos: diag.Pos{File: dir}, Severity: diag.Error, Message: "不是文件夹，或者不存在", Hint: how}
}

type command struct {
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"check":    {"check the catalogs and content, reporting every problem", runCheck},
		"build":    {"check, then build the public site into public/", runBuild},
		"serve":    {"build, serve on localhost and rebuild on change", runServe},
		"keygen":   {"create an issuer signing key, age-encrypted", runKeygen},
		"issue":    {"issue signed certificates for a batch of applicants", runIssue},
		"revoke":   {"record a signed revocation of a certificate", runRevoke},
		"import":   {"read an official batch annex into catalog rows", runImport},
		"registry": {"check, repair or recover a certificate registry", runRegistry},
		"reprint":  {"print already-issued certificates again", runReprint},
		"stats":    {"count issued certificates, without personal data", runStats},
		"deploy":   {"upload what changed in public/ to an object store", runDeploy},
		"trust":    {"create the root of trust, retire or distrust a key", runTrust},
		"publish":  {"write the signed verifier snapshot from the registry", runPublish},
		"reissue":  {"re-sign what a retired or compromised key signed", runReissue},
	}
}

// errUsage marks an error in how the command was called (exit 2).
var errUsage = errors.New("usage error")

// errReported means the failure has already been explained on stderr.
var errReported = errors.New("failed")

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		c.errorf("unknown command %q", args[0])
		usage(stderr, cmds)
		return errUsage
	}
	return cmd.run(ctx, c, args[1:])
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: qualbridge <command> [flags]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'qualbridge <command> -h' for its flags")
}

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errReported):
		return 1
	default:
		fmt.Fprintf(stderr, "qualbridge: %v\n", err)
		return 1
	}
}
