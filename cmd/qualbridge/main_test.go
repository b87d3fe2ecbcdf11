package main

import (
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run this binary as the "qualbridge" command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"qualbridge": main,
	})
}

// TestScript runs the command scripts in testdata/script: one txtar file
// per behaviour, named after the subcommand it exercises.
func TestScript(t *testing.T) {
	cmds := scriptCmds()
	// sleep DURATION waits, for a command running in the
	// background to get on (serve's first build).
	cmds["sleep"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: sleep duration")
		}
		d, err := time.ParseDuration(args[0])
		ts.Check(err)
		time.Sleep(d)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: false,
		UpdateScripts:       os.Getenv("UPDATE_SCRIPTS") != "",
		Cmds:                cmds,
		Setup: func(env *testscript.Env) error {
			// Scripts that need the shipped catalog find the repository here.
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			env.Setenv("REPO", wd+"/../..")
			return nil
		},
	})
}
