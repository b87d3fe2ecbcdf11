package verifier

import (
	"encoding/json"
	"testing"
)

// TestAppendJSON holds the hand-written encoder to encoding/json.
func TestAppendJSON(t *testing.T) {
	hostile := "a\"b\\c<d>e&f\n\r\t\b\f\x00\x1f\u2028\u2029\xff中文"
	tests := []*answer{
		{Outcome: Unknown, Status: 404, Title: "查无此证书", Detail: "d", CheckedAt: "2026-02-01T16:00:00+08:00", DataAt: "2026-02-01T15:00:00+08:00", HeadSeq: "7"},
		{Type: problemBase + "malformed", Outcome: Malformed, Status: 400, Title: hostile, Detail: hostile},
		{Outcome: Valid, Status: 200, Title: "t", Detail: "d", Certificate: &certView{
			Number: "TEST-1", Holder: &holderView{Name: "林*明", BirthYear: 1990, BirthYearText: "1990", IDType: "permit", IDTypeName: "x", IDNumber: "****6152"},
			TaiwanQualification: hostile, OccupationCode: "4-10-01-05", Issuer: "i", IssueDate: "2025-12-01", ValidUntil: "2026-01-01", Generation: "2", KID: "k",
		}},
		{Outcome: Valid, Status: 200, CheckedAt: hostile, Certificate: &certView{Number: "n"}},
		{Outcome: Revoked, Status: 200, Certificate: &certView{Number: "n"}, Revocation: &revView{Date: "2026-01-15", Reason: "superseded", ReasonText: "已换发新证"}},
	}
	for i, a := range tests {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(a.appendJSON(nil)); got != string(want)+"\n" {
			t.Errorf("%d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("证书", "\u2028<")
	f.Fuzz(func(t *testing.T, s1, s2 string) {
		a := &answer{Outcome: Valid, Status: 200, Title: s1, Detail: s2, Certificate: &certView{Number: s2, Issuer: s1}}
		want, _ := json.Marshal(a)
		if got := string(a.appendJSON(nil)); got != string(want)+"\n" {
			t.Errorf("got %s\nwant %s", got, want)
		}
	})
}
