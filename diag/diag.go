// Package diag is the one type for everything an editor or an operator is
// told about their files: a position relative to the repository root, a
// message in Chinese and a hint that says what to type.
//
// The catalog loader, the content checks, the template loader and the
// certificate tools all report through it, so every command prints
// problems the same way:
//
//	catalog/qualifications.toml:12:1: error: 未知字段 "levle"
//		hint: 是否想写 "level"？
//
// A [List] is sorted by position ([List.Sort]) and becomes an error only
// when it holds an error ([List.Err]); warnings alone never stop a run.
package diag

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Pos is a place in a file: the path relative to the repository root,
// and the 1-based line and column where known (0 when not).
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns "path:line:col", "path:line" or "path" as far as known.
func (p Pos) String() string {
	switch {
	case p.Line <= 0:
		return p.File
	case p.Col <= 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Severity says whether a diagnostic stops the run.
type Severity int

const (
	Error Severity = iota
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem found in an editor's or operator's files.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Message  string // in Chinese, for an editor or operator
	Hint     string // how to fix it; may be empty
	// Cause, when set, is the file whose syntax error this problem
	// only follows from (a reference to a row of a file that did not
	// parse): it is sorted after every other problem and [Fprint]
	// only counts it, so that the real mistake comes first.
	Cause string
}

// String formats the diagnostic as "path:line:col: error: message", with
// the hint on a second line, "\thint: …", when there is one.
func (d Diagnostic) String() string {
	s := fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Message)
	if d.Hint != "" {
		s += "\n\thint: " + d.Hint
	}
	return s
}

// List is a list of problems, sorted by [List.Sort].
type List []Diagnostic

// Err returns an error listing every diagnostic if any is an error, else nil.
func (ds List) Err() error {
	if ds.Count(Error) == 0 {
		return nil
	}
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return errors.New(strings.Join(lines, "\n"))
}

// Count returns how many diagnostics have severity s.
func (ds List) Count(s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders ds by file, line and column, every diagnostic with a Cause
// after all those without; the order in which the diagnostics were added
// breaks ties, so the output is the same on every run.
func (ds List) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			compareBool(a.Cause != "", b.Cause != ""),
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
		)
	})
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
