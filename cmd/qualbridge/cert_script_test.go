package main

import (
	"os"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the test scripts' own commands:
//
//	genbatch N FILE       write a CSV batch of N fictional holders (TEST-ONLY)
//	waitfiles N DIR EXT   wait (up to a minute) until DIR holds N files ending in EXT
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
					if len(de.Name()) > len(args[2]) && de.Name()[len(de.Name())-len(args[2]):] == args[2] {
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
