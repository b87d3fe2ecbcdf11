// Package registrytest makes TEST-ONLY fictional certificate holders for
// the verifier's tests and its benchmark: made-up names that say they are
// tests and made-up permit numbers. (The version-1 registry it once also
// built, with tokens in the clear, is gone: registries are written only
// by package issuance, and verifiers read snapshots, package trust.)
// Nothing it makes may ever stand for a real person.
package registrytest

import (
	"fmt"
	"time"

	"github.com/qualbridge/qualbridge/verifier/record"
)

// Holder is a fictional certificate holder.
type Holder struct {
	Name      string
	Sex       string
	BirthDate time.Time
	IDType    record.IDType
	IDNumber  string
}

// Synthetic returns the i-th synthetic holder: a made-up name that says
// it is a test ("测" + two characters) and a made-up permit number.
func Synthetic(i int) Holder {
	const given = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"
	r := []rune(given)
	return Holder{
		Name:      "测" + string(r[i%len(r)]) + string(r[(i/len(r))%len(r)]),
		Sex:       "男",
		BirthDate: time.Date(1970+i%30, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC),
		IDType:    record.Permit,
		IDNumber:  fmt.Sprintf("%08d", 90000000+i%10000000),
	}
}
