package deploy

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The verifier's systemd unit and its example environment file
// (docs/deploy.md, "The verifier as a systemd service").
const (
	unitFile    = "systemd/qualbridge-verifier.service"
	envFile     = "systemd/verifier.env"
	verifierSrc = "../cmd/verifier/main.go"
	unitBinary  = "/usr/local/bin/qualbridge-verifier"
)

// unitSettings reads a unit file into section → key → values, joining
// continued lines as systemd does.
func unitSettings(t *testing.T, name string) map[string]map[string][]string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string][]string{}
	section := ""
	var line strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if line.Len() == 0 && (l == "" || l[0] == '#' || l[0] == ';') {
			continue
		}
		if cont, ok := strings.CutSuffix(l, `\`); ok {
			line.WriteString(cont + " ")
			continue
		}
		line.WriteString(l)
		l = line.String()
		line.Reset()
		if strings.HasPrefix(l, "[") {
			section = strings.Trim(l, "[]")
			out[section] = map[string][]string{}
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("%s: %q is not KEY=value", name, l)
		}
		out[section][strings.TrimSpace(k)] = append(out[section][strings.TrimSpace(k)], strings.Join(strings.Fields(v), " "))
	}
	return out
}

// verifierFlags returns the flag names and VERIFIER_* variables that
// cmd/verifier defines.
func verifierFlags(t *testing.T) (flags, vars []string) {
	t.Helper()
	src, err := os.ReadFile(verifierSrc)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`fs\.\w+Var\(&o\.\w+, "([a-z-]+)"`).FindAllSubmatch(src, -1) {
		flags = append(flags, string(m[1]))
	}
	for _, m := range regexp.MustCompile(`"(VERIFIER_[A-Z_]+)"`).FindAllSubmatch(src, -1) {
		vars = append(vars, string(m[1]))
	}
	if len(flags) < 10 || len(vars) < 10 {
		t.Fatalf("found %d flags and %d variables in %s: has the flag code changed shape?", len(flags), len(vars), verifierSrc)
	}
	return flags, vars
}

// TestSystemdUnitHardening checks that the unit keeps the sandbox
// docs/deploy.md promises, and that what it passes the verifier exists.
func TestSystemdUnitHardening(t *testing.T) {
	svc := unitSettings(t, unitFile)["Service"]
	if svc == nil {
		t.Fatalf("%s has no [Service] section", unitFile)
	}
	for key, want := range map[string]string{
		"DynamicUser":             "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"MemoryDenyWriteExecute":  "yes",
		"LockPersonality":         "yes",
		"RestrictNamespaces":      "yes",
		"RestrictSUIDSGID":        "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"SystemCallArchitectures": "native",
		"Restart":                 "on-failure",
		"StateDirectory":          "qualbridge-verifier",
		"UMask":                   "0077",
		"EnvironmentFile":         "/etc/qualbridge-verifier/verifier.env",
	} {
		got, ok := svc[key]
		if !ok {
			t.Errorf("%s: no %s=%s", unitFile, key, want)
			continue
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s: %s=%q, want %q", unitFile, key, got, want)
		}
	}
	if f := svc["SystemCallFilter"]; !slices.Contains(f, "@system-service") {
		t.Errorf("%s: SystemCallFilter=%q lacks the @system-service allow list", unitFile, f)
	}
	for _, cred := range []string{"trust-root.pub:/etc/qualbridge-verifier/trust-root.pub", "lookup-pepper:/etc/qualbridge-verifier/lookup-pepper"} {
		if !slices.Contains(svc["LoadCredential"], cred) {
			t.Errorf("%s: no LoadCredential=%s", unitFile, cred)
		}
	}

	// ExecStart: the binary, then flags cmd/verifier knows, reading the
	// credentials and the state folder systemd provides, admin on loopback.
	if len(svc["ExecStart"]) != 1 {
		t.Fatalf("%s: ExecStart=%q, want one", unitFile, svc["ExecStart"])
	}
	args := strings.Fields(svc["ExecStart"][0])
	if args[0] != unitBinary {
		t.Errorf("%s: runs %s, docs/deploy.md installs %s", unitFile, args[0], unitBinary)
	}
	flags, vars := verifierFlags(t)
	given := map[string]string{}
	for i := 1; i < len(args); i += 2 {
		name := strings.TrimPrefix(args[i], "-")
		if !slices.Contains(flags, name) || i+1 == len(args) {
			t.Fatalf("%s: ExecStart passes %q, which is not a flag of cmd/verifier with a value", unitFile, args[i])
		}
		given[name] = args[i+1]
	}
	for name, want := range map[string]string{
		"trust-root":    "%d/trust-root.pub",
		"lookup-pepper": "%d/lookup-pepper",
		"state":         "%S/qualbridge-verifier",
		"admin-addr":    "127.0.0.1:8090",
	} {
		if given[name] != want {
			t.Errorf("%s: ExecStart -%s %q, want %q", unitFile, name, given[name], want)
		}
	}

	// The example environment file sets only variables the verifier
	// reads (a misspelt one would be ignored without a word), and none
	// of those the unit's flags override.
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		name, _, ok := strings.Cut(l, "=")
		if !ok || strings.ContainsAny(name, " \t") || !strings.HasPrefix(name, "VERIFIER_") {
			continue
		}
		if !slices.Contains(vars, name) {
			t.Errorf("%s:%d: %s is not a setting of cmd/verifier", envFile, i+1, name)
		}
		for flag := range given {
			if name == "VERIFIER_"+strings.ToUpper(strings.ReplaceAll(flag, "-", "_")) {
				t.Errorf("%s:%d: %s is overridden by the unit's -%s", envFile, i+1, name, flag)
			}
		}
	}
}

// TestSystemdAnalyzeVerify runs systemd-analyze verify on the unit, with
// the binary path pointed at an executable (verify insists that it
// exists), and fails on any complaint about the unit: an unknown key or
// an unparsable value is only a warning to systemd, which then ignores
// the line.
func TestSystemdAnalyzeVerify(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: apt-get install systemd), so the unit is not verified")
	}
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "qualbridge-verifier")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, filepath.Base(unitFile))
	if err := os.WriteFile(name, bytes.ReplaceAll(unit, []byte(unitBinary), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "verify", "--man=no", name).CombinedOutput()
	var complaints []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, filepath.Base(unitFile)) {
			complaints = append(complaints, l)
		}
	}
	if err != nil || len(complaints) > 0 {
		t.Fatalf("systemd-analyze verify %s: %v\n%s", unitFile, err, out)
	}

	// The exposure score systemd computes from the sandboxing settings
	// (0 is fully locked down, 10 is none); docs/deploy.md quotes it.
	out, err = exec.Command(tool, "security", "--offline=yes", name).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "offline") {
			t.Logf("systemd-analyze security --offline is not supported by this systemd: %s", out)
			return
		}
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) (\w+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: no overall exposure level in\n%s", out)
	}
	t.Logf("exposure level %s %s", m[1], m[2])
	if string(m[2]) != "OK" {
		t.Errorf("systemd-analyze security rates the unit %s %s, want OK (below 2):\n%s", m[1], m[2], out)
	}
}
