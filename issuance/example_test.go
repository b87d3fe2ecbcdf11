package issuance_test

import (
	"fmt"
	"time"

	"github.com/qualbridge/qualbridge/issuance"
	"github.com/qualbridge/qualbridge/verifier/record"
)

// Every problem of an applicants file comes back positioned, in Chinese,
// with a hint. (The holder is fictional.)
func ExampleParseApplicants() {
	csv := "name,sex,birth_date,id_type,id_number,taiwan_name,qualification,occupation_code,level,issue_date,colour\n" +
		"林测试,女,1990-05-17,通行证,00000001,照顾服务员,zhaogu-4,4-10-01-05,四级,2025-12-01,blue\n"
	_, problems := issuance.ParseApplicants("batch.csv", []byte(csv))
	for _, d := range problems {
		fmt.Println(d)
	}
	// Output:
	// batch.csv:1:98: error: 未知列 "colour"
	// 	hint: 可用列：name、sex、birth_date、id_type、id_number、taiwan_name、taiwan_grade、qualification、occupation_code、level、issue_date、valid_until、number
}

// A 台湾居民居住证 number carries the holder's birth date and a GB 11643
// check character. (The numbers are fictional.)
func ExampleCheckIDNumber() {
	birth := time.Date(1988, 2, 3, 0, 0, 0, 0, time.UTC)
	fmt.Printf("%q\n", issuance.CheckIDNumber(record.Residence, "830000198802030027", birth))
	fmt.Println(issuance.CheckIDNumber(record.Residence, "830000198802030028", birth))
	fmt.Println(issuance.CheckIDNumber(record.Permit, "1234567", birth))
	// Output:
	// ""
	// 居住证号码的校验码是 8，应为 7：号码有误
	// 通行证号码须为 8 位数字，而不是 "1234567"
}
