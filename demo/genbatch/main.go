// Command genbatch writes a CSV batch of FICTIONAL applicants for trying
// qualbridge issue on a large batch (the README's crash walkthrough):
//
//	go run ./demo/genbatch -n 2000 > demo/out/big.csv
//
// Every holder is invented: names 示例 + a counter in Chinese numerals,
// permit numbers counted up from 90000001, birth dates spread over 1970–1999.
// The qualification is a real row of catalog/ (照顾服务员 单一级 ↔
// 养老护理员 四级, FACTS.md); only the people are made up.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	n := flag.Int("n", 2000, "number of fictional applicants")
	issued := flag.String("issue-date", "2025-12-01", "issue_date of every row")
	flag.Parse()
	if *n < 1 || *n > 9_999_999 {
		fmt.Fprintln(os.Stderr, "genbatch: -n must be between 1 and 9999999")
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "name,sex,birth_date,id_type,id_number,taiwan_name,taiwan_grade,qualification,occupation_code,level,issue_date")
	digits := []rune("零一二三四五六七八九")
	for i := range *n {
		name := []rune("示例")
		for _, d := range fmt.Sprint(i) {
			name = append(name, digits[d-'0'])
		}
		sex := "男"
		if i%2 == 1 {
			sex = "女"
		}
		fmt.Fprintf(w, "%s,%s,%d-%02d-%02d,通行证,%08d,照顾服务员,单一级,zhaogu-fuwuyuan-danyi-yanglao-huliyuan-4,4-10-01-05,四级,%s\n",
			string(name), sex, 1970+i%30, i%12+1, i%28+1, 90000001+i, *issued)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "genbatch:", err)
		os.Exit(1)
	}
}
