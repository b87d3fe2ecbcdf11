package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the test scripts' own commands:
//
//	genbatch N FILE       write a CSV batch of N fictional holders (TEST-ONLY)
//	chop N FILE           cut the last N bytes off FILE (a torn write)
//	waitfiles N DIR EXT   wait (up to a minute) until DIR holds N files ending in EXT
//	grab NAME FILE RE     set $NAME to RE's first group in FILE (stdout: the last command's)
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"genbatch": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: genbatch N FILE")
			}
			n, err := strconv.Atoi(args[0])
			ts.Check(err)
			ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(fictionalBatch(n)), 0o600))
		},
		"chop": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 2 {
				ts.Fatalf("usage: chop N FILE")
			}
			n, err := strconv.Atoi(args[0])
			ts.Check(err)
			st, err := os.Stat(ts.MkAbs(args[1]))
			ts.Check(err)
			ts.Check(os.Truncate(ts.MkAbs(args[1]), st.Size()-int64(n)))
		},
		"grab": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 3 {
				ts.Fatalf("usage: grab NAME FILE RE")
			}
			m := regexp.MustCompile(args[2]).FindStringSubmatch(ts.ReadFile(args[1]))
			if len(m) < 2 {
				ts.Fatalf("%s: no match for %s", args[1], args[2])
			}
			ts.Setenv(args[0], m[1])
		},
		"waitfiles": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) != 3 {
				ts.Fatalf("usage: waitfiles N DIR EXT")
			}
			n, err := strconv.Atoi(args[0])
			ts.Check(err)
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				des, _ := os.ReadDir(ts.MkAbs(args[1]))
				count := 0
				for _, de := range des {
					if strings.HasSuffix(de.Name(), args[2]) {
						count++
					}
				}
				if count >= n {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
			ts.Fatalf("%s never held %d %s files", args[1], n, args[2])
		},
	}
}
