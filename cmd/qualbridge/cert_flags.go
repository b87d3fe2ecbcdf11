package main

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// newFlags returns a flag set whose -h prints usage (the synopsis, then
// the flags) on stderr.
func newFlags(c *cli, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "usage: qualbridge %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; -h is not an error (exit 0), anything else
// wrong is a usage error (exit 2), already explained by package flag.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, errUsage
	}
	return false, nil
}

// usageErrorf reports a usage error with the synopsis.
func (c *cli) usageErrorf(fs *flag.FlagSet, format string, args ...any) error {
	c.errorf(format, args...)
	fs.Usage()
	return errUsage
}

// parseWhen accepts a civil date (2006-01-02, midnight UTC) or an RFC
// 3339 time.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q 不是日期（2006-01-02）或 RFC 3339 时间", s)
	}
	return t.UTC(), nil
}

// today returns the civil date of now, as midnight UTC.
func today(now time.Time) time.Time {
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}
