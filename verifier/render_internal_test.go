package verifier

import (
	"strings"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// TestSkeletonMatchesTemplate checks that a page filled into its skeleton
// is byte for byte what html/template makes of the same answer, escaping
// included. The values are fictional (TEST-ONLY).
func TestSkeletonMatchesTemplate(t *testing.T) {
	s, err := newTestServer()
	if err != nil {
		t.Fatal(err)
	}
	cert := func(mod func(c *certView)) *answer {
		c := &certView{
			Number: "TEST-1", TaiwanQualification: "照顾服务员", TaiwanGrade: "单一级", OccupationCode: "4-10-01-05",
			OccupationName: "养老护理员", Level: "四级", Issuer: "测试<机构>&\"'", IssueDate: "2025-12-01",
			Holder: &holderView{Name: "林*明", BirthYear: 1990, BirthYearText: "1990", IDType: "permit", IDTypeName: "台湾居民来往大陆通行证", IDNumber: "****6152"},
		}
		if mod != nil {
			mod(c)
		}
		return &answer{Outcome: Valid, Status: 200, Title: "t", Detail: "d", CheckedAt: "2026-02-01T16:00:00+08:00", DataAt: "2026-02-01T15:00:00+08:00", HeadSeq: "7",
			CheckedAtText: "2026-02-01 16:00:00", DataAtText: "2026-02-01 15:00:00", Certificate: c}
	}
	tests := []struct {
		name string
		a    *answer
	}{
		{"valid", cert(nil)},
		{"no grade, expiry", cert(func(c *certView) { c.TaiwanGrade = ""; c.ValidUntil = "2026-01-01" })},
		{"expired", func() *answer {
			a := cert(func(c *certView) { c.ValidUntil = "2026-01-01" })
			a.Outcome = Expired
			return a
		}()},
		{"nul and markup", cert(func(c *certView) { c.Number = "A\x00<script>alert(1)</script>" })},
		{"revoked", &answer{Outcome: Revoked, Certificate: &certView{Number: "TEST-2"}, Revocation: &revView{Date: "2026-01-15", ReasonText: "已换发新证"}}},
		{"unknown", &answer{Outcome: Unknown, CheckedAt: "2026-02-01T16:00:00+08:00"}},
		{"unavailable, no data", &answer{Outcome: Unavailable, CheckedAt: "x<y"}},
	}
	for _, tt := range tests {
		for l := range nLangs {
			t.Run(tt.name+"/"+l.tag(), func(t *testing.T) {
				tt.a.Title, tt.a.Detail = s.text[l].Title[tt.a.Outcome], s.text[l].Detail[tt.a.Outcome]
				want, err := s.pages.render("page", &pageData{T: s.text[l], A: tt.a})
				if err != nil {
					t.Fatal(err)
				}
				for range 2 { // the first call builds the skeleton, the second reuses it
					got, err := s.page(l, tt.a)
					if err != nil {
						t.Fatal(err)
					}
					if string(got) != string(want) {
						t.Fatalf("skeleton page differs from the template's:\n%s\n---\n%s", got, want)
					}
				}
			})
		}
	}
}

// TestPageForAPerson checks what a phone shows of the times and, in
// zh-Hant, why the certificate's fields are in Simplified characters.
func TestPageForAPerson(t *testing.T) {
	s, err := newTestServer()
	if err != nil {
		t.Fatal(err)
	}
	var c clock
	at := c.checkedAt(time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC))
	if at.text != "2026-02-01T16:00:00+08:00" || at.page != "2026-02-01 16:00:00" {
		t.Fatalf("stamp %q / %q, want China time in RFC 3339 and for the page", at.text, at.page)
	}
	v := &verdict{cert: &record.Certificate{Number: "TEST-1", HolderMasked: "林*明", BirthYear: 1990,
		IDType: record.Permit, IDMasked: "****6152", IssueDate: time.Date(2025, 12, 1, 0, 0, 0, 0, china)}}
	for _, tt := range []struct {
		l    lang
		o    Outcome
		want []string
		not  []string
	}{
		{hans, Valid, []string{"2026-02-01 16:00:00 北京时间</dd>"}, []string{"簡體字", "T16:00"}},
		{hant, Valid, []string{"2026-02-01 16:00:00 北京時間</dd>", "以上證書資料依簽發原文（簡體字）顯示"}, []string{"T16:00"}},
		{hant, Unknown, []string{"2026-02-01 16:00:00 北京時間</dd>"}, []string{"簡體字"}},
	} {
		var vv *verdict
		if tt.o == Valid {
			vv = v
		}
		page, err := s.page(tt.l, newAnswer(s.text[tt.l], tt.o, vv, at, nil))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(page), w) {
				t.Errorf("%s %s: page lacks %q", tt.l.tag(), tt.o, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(string(page), w) {
				t.Errorf("%s %s: page has %q", tt.l.tag(), tt.o, w)
			}
		}
	}
}

func newTestServer() (*server, error) {
	p, err := newPages("https://verify.test.invalid")
	if err != nil {
		return nil, err
	}
	return &server{cfg: Config{Now: func() time.Time { return time.Time{} }}, pages: p, text: texts()}, nil
}
