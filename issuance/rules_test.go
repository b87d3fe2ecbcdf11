package issuance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qualbridge/qualbridge/generator/catalog"
	"github.com/qualbridge/qualbridge/verifier/record"
)

func TestCheckIDNumber(t *testing.T) {
	birth := time.Date(1988, 2, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		typ  record.IDType
		id   string
		want string // substring of the message; "" = valid
	}{
		{record.Permit, "00000001", ""},
		{record.Permit, "0000001", "8 位数字"},
		{record.Permit, "0000000A", "8 位数字"},
		{record.Permit, "０００００００１", "8 位数字"},
		{record.Residence, "830000198802030027", ""},
		{record.Residence, "830000198802030028", "校验码是 8，应为 7"},
		{record.Residence, "810000198802030027", "须以 830000 开头"},
		{record.Residence, "830000198802300027", "出生日期 19880230 无效"},
		{record.Residence, "830000198802040023", "出生日期是 1988-02-04"},
		{record.Residence, "83000019880203002x", "17 位数字加一位数字或 X"},
		{record.Residence, "8300001988020300271", "17 位数字"},
	}
	for _, tt := range tests {
		got := CheckIDNumber(tt.typ, tt.id, birth)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("CheckIDNumber(%s, %q) = %q, want %q", tt.typ, tt.id, got, tt.want)
		}
	}
	// A check character X: find a fictional number whose check is X.
	for i := range 1000 {
		first := "83000019880203" + fmt.Sprintf("%03d", i)
		if residenceCheck(first) == 'X' {
			if msg := CheckIDNumber(record.Residence, first+"X", birth); msg != "" {
				t.Errorf("%sX: %s", first, msg)
			}
			return
		}
	}
	t.Error("no number with check character X found")
}

func TestCheckName(t *testing.T) {
	tests := map[string]string{
		"林测试":                   "",
		"林":                     "1 个字符",
		"e\u0301测":              "NFC",
		"林\u200b测试":             "U+200B",
		"林\u202e测试":             "U+202E",
		"林\u0007测试":             "U+0007",
		"林 测试":                  "空格",
		strings.Repeat("测", 21): "21 个字符",
		"阿卜杜·测试":                "",
	}
	for in, want := range tests {
		got, _ := checkName(in)
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Errorf("checkName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNumberer(t *testing.T) {
	nb := newNumberer("000001", map[string]bool{"S000035000001254000007": true, "S000035000001253000002": true})
	for _, want := range []string{"S000035000001254000008", "S000035000001254000009"} {
		if got, _ := nb.number(2025, catalog.Level4); got != want {
			t.Errorf("number = %s, want %s", got, want)
		}
	}
	if got, _ := nb.number(2026, catalog.Level4); got != "S000035000001264000001" {
		t.Errorf("new year: %s", got)
	}
	if got, _ := nb.number(2025, catalog.Level1); got != "S000035000001251000001" {
		t.Errorf("level 1: %s", got)
	}
	if msg := checkNumber("S000035000001254000008", catalog.Level4); msg != "" {
		t.Errorf("checkNumber: %s", msg)
	}
	if msg := checkNumber("Y000035000001251000001", catalog.Level4); msg == "" {
		t.Error("level digit 1 for 四级 accepted")
	}
}

func TestQRSize(t *testing.T) {
	// The longest URL we expect: a verifier on a longer host name.
	for _, base := range []string{"https://verify.example.org", "https://verify.qualifications.example.gov.cn"} {
		q, err := newQR(record.Token(strings.Repeat("A", 32)).URL(base))
		if err != nil {
			t.Fatal(err)
		}
		if mm := q.moduleMM(); mm < 0.5 {
			t.Errorf("%s: version %d, %.2f mm per module at %g mm: too small to scan", base, q.version, mm, qrPrintMM)
		}
	}
	if _, err := newQR("https://verify.example.org/c/é"); err == nil {
		t.Error("non-ASCII URL accepted")
	}
}
