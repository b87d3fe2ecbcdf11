package diag

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Error lets a single diagnostic travel as an error (a refusal of the
// publisher, say): the command that receives it prints it with [Fprint]
// like any other.
func (d Diagnostic) Error() string { return d.String() }

// Fprint writes ds to w the way every command prints problems: one line
// per diagnostic, each prefixed (the command's name, "qualbridge: "), its
// hint on a line of its own, then a line of counts:
//
//	qualbridge: catalog/offices.toml:3:10: error: TOML 格式错误：引号没有闭合
//	qualbridge: hint: 在这一行的文字末尾补上英文双引号 "
//	qualbridge: 1 error, 0 warnings
//
// A diagnostic with a Cause (it follows from a file that did not parse)
// is held back: only their number is told, with the advice to fix the
// files named first, since they will mostly vanish then. ds should be
// sorted ([List.Sort]); nothing is written for an empty list.
func Fprint(w io.Writer, prefix string, ds List) {
	if len(ds) == 0 {
		return
	}
	var held int
	var causes []string
	for _, d := range ds {
		if d.Cause != "" {
			held++
			if !slices.Contains(causes, d.Cause) {
				causes = append(causes, d.Cause)
			}
			continue
		}
		fmt.Fprintf(w, "%s%s: %s: %s\n", prefix, d.Pos, d.Severity, d.Message)
		if d.Hint != "" {
			fmt.Fprintf(w, "%shint: %s\n", prefix, d.Hint)
		}
	}
	fmt.Fprintf(w, "%s%s\n", prefix, ds.Summary())
	if held > 0 {
		fmt.Fprintf(w, "%s先修正 %s 的格式错误：另有 %d 个错误是它无法读取的后果，暂不列出\n",
			prefix, strings.Join(causes, "、"), held)
	}
}

// Summary counts the errors and warnings of ds: "2 errors, 1 warning".
func (ds List) Summary() string {
	return plural(ds.Count(Error), "error") + ", " + plural(ds.Count(Warning), "warning")
}

// Shown returns the diagnostics [Fprint] lists (those without a Cause)
// and how many it holds back.
func (ds List) Shown() (List, int) {
	var out List
	for _, d := range ds {
		if d.Cause == "" {
			out = append(out, d)
		}
	}
	return out, len(ds) - len(out)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
