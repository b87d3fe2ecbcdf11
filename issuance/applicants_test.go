package issuance

import (
	"testing"
)

// TestParseApplicantsTOML: a TOML batch gives one row per [[applicant]]
// table, dates as written, and each value's line for the diagnostics.
func TestParseApplicantsTOML(t *testing.T) {
	data := `# Fictional holders (TEST-ONLY).
[[applicant]]
name = "林测试"
birth_date = 1990-05-17
id_number = "00000001"

[[applicant]]
  name = "陈测试"
`
	rows, ds := ParseApplicants("more.toml", []byte(data))
	if len(ds) != 0 {
		t.Fatalf("problems: %v", listString(ds))
	}
	if len(rows) != 2 || rows[0].Line != 2 || rows[1].Line != 7 {
		t.Fatalf("rows: %+v", rows)
	}
	if rows[0].Fields["name"] != "林测试" || rows[0].Fields["birth_date"] != "1990-05-17" || rows[0].Fields["id_number"] != "00000001" {
		t.Errorf("fields: %v", rows[0].Fields)
	}
	if rows[0].pos["id_number"] != 5 || rows[1].pos["name"] != 8 || rows[1].col["name"] != 3 {
		t.Errorf("positions: %v %v %v", rows[0].pos, rows[1].pos, rows[1].col)
	}
}
