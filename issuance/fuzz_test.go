package issuance

import (
	"strings"
	"testing"
)

// FuzzParseApplicants feeds the applicants parser (it reads files from
// outside) anything at all. The property: it never panics, and every
// diagnostic points inside the file (a line that exists, a column on
// it), with a message in Chinese, so the operator can act on it.
func FuzzParseApplicants(f *testing.F) {
	f.Add("x.csv", string(fictionalBatch(0, 2)))
	f.Add("x.csv", "name,sex\n\"a,b\n")
	f.Add("x.toml", "[[applicant]]\nname = \"林测试\"\nid_number = 1\nbirth_date = 1990-01-01T10:00:00\n")
	f.Add("x.toml", "applicant = [{name = \"x\"}]\nfoo = 1\n")
	f.Fuzz(func(t *testing.T, name, data string) {
		if !strings.HasSuffix(name, ".csv") && !strings.HasSuffix(name, ".toml") {
			name += ".csv"
		}
		rows, ds := ParseApplicants(name, []byte(data))
		lines := strings.Count(data, "\n") + 1
		for _, d := range ds {
			if d.Pos.File != name || d.Pos.Line < 0 || d.Pos.Line > lines {
				t.Errorf("diagnostic outside the file (%d lines): %s", lines, d)
			}
			if !hasHan(d.Message) {
				t.Errorf("message not in Chinese: %s", d)
			}
		}
		for _, r := range rows {
			if r.Line < 1 || r.Line > lines {
				t.Errorf("row at line %d of %d", r.Line, lines)
			}
		}
	})
}
