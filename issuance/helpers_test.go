package issuance

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/qualbridge/qualbridge/diag"
	"github.com/qualbridge/qualbridge/verifier/record"
	"github.com/qualbridge/qualbridge/verifier/seal"
)

// Everything here is TEST-ONLY: the age identity in
// testdata/TEST-ONLY-identity.txt, the synthetic catalog of
// testdata/certcatalog and the fictional holders.
const (
	testRecipient = "age167whh6hcxeewyl2azc9hy3fx5dyytmuka3xceltvh952v2utsfhs7tm9d5"
	testIdentity  = "testdata/TEST-ONLY-identity.txt"
	testCatalog   = "testdata/certcatalog"
)

var testToday = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)

// fictionalBatch returns a CSV batch of n fictional holders (TEST-ONLY):
// permit numbers counted up from first, names 测试 + a counter.
func fictionalBatch(first, n int) []byte {
	var b strings.Builder
	b.WriteString("name,sex,birth_date,id_type,id_number,taiwan_name,taiwan_grade,qualification,occupation_code,level,issue_date\n")
	digits := []rune("零一二三四五六七八九")
	for i := first; i < first+n; i++ {
		name := []rune("测试")
		for _, d := range fmt.Sprintf("%d", i) {
			name = append(name, digits[d-'0'])
		}
		sex := "男"
		if i%2 == 1 {
			sex = "女"
		}
		fmt.Fprintf(&b, "%s,%s,1990-01-%02d,通行证,%08d,测试技术士甲,单一级,ceshi-jia-4,9-99-99-01,四级,2025-12-01\n", string(name), sex, i%28+1, i+1)
	}
	return []byte(b.String())
}

func testRecipients(t testing.TB) []age.Recipient {
	r, err := age.ParseX25519Recipient(testRecipient)
	if err != nil {
		t.Fatal(err)
	}
	return []age.Recipient{r}
}

func testIdentities(t testing.TB) []age.Identity {
	data, err := os.ReadFile(testIdentity)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// newRegistry makes a registry as trust init and keygen -root-key do,
// with one active signing key (TEST-ONLY), and returns options to issue
// batch into it.
func newRegistry(t testing.TB, batch []byte) Options {
	t.Helper()
	return newTrustedRegistry(t, batch).Options
}

func mustIssue(t testing.TB, o Options) *Result {
	t.Helper()
	res, err := Issue(context.Background(), o)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	return res
}

// assertExactlyOnce checks what a user of the registry would: n
// certificates in the issuance logs, one per holder, each signature
// good and each under the locator of the token its personal record
// holds; registry check clean; no temporary file anywhere.
func assertExactlyOnce(t *testing.T, dir string, n int) {
	t.Helper()
	st, err := loadState(dir)
	if err != nil {
		t.Fatalf("registry does not load: %v", err)
	}
	sealed, err := readSealed(dir, st)
	if err != nil {
		t.Fatalf("issuance logs: %v", err)
	}
	tr, err := OpenTrust(dir)
	if err != nil {
		t.Fatal(err)
	}
	perHolder := map[string]int{}
	byLoc := map[record.Locator]string{}
	for i := range sealed {
		if err := checkSealed(tr.List, &sealed[i]); err != nil {
			t.Fatalf("%s: %v", sealed[i].Number, err)
		}
		c, _ := record.DecodeCheckedCertificate(sealed[i].Envelope)
		perHolder[c.IDMasked]++
		byLoc[sealed[i].Locator] = sealed[i].Number
	}
	if len(sealed) != n || len(perHolder) != n {
		t.Errorf("%d certificates for %d holders, want %d for %d", len(sealed), len(perHolder), n, n)
	}
	for h, c := range perHolder {
		if c != 1 {
			t.Errorf("holder %s has %d certificates", h, c)
		}
	}
	tokens := 0
	for b := range st.manifests {
		prs, err := openPersonal(dir, b, testIdentities(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, pr := range prs {
			loc, _, _ := seal.TokenKeys(pr.token)
			if byLoc[loc] != pr.number {
				t.Errorf("%s: the token of its personal record is not its locator", pr.number)
			}
			tokens++
		}
	}
	if tokens != n {
		t.Errorf("%d personal records, want %d", tokens, n)
	}
	if ds, _ := Check(dir); len(ds) > 0 {
		t.Errorf("registry check:\n%v", listString(ds))
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && isTemp(d.Name()) {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func listString(ds diag.List) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}
