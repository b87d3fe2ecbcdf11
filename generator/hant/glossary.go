package hant

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Term is an entry of the domain glossary (glossary.txt): a Simplified
// term and the Traditional form a Taiwan reader expects, where s2twp
// gives something else.
type Term struct {
	Hans, Hant string
	Why        string
}

// Glossary returns the domain glossary that every [Converter] applies.
func Glossary() ([]Term, error) {
	b, err := data.ReadFile("glossary.txt")
	if err != nil {
		return nil, err
	}
	var ts []Term
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 2 || f[0] == "" || f[1] == "" || !utf8.ValidString(line) {
			return nil, fmt.Errorf("hant: glossary.txt:%d: want 简体<TAB>繁體<TAB>说明", n+1)
		}
		t := Term{Hans: f[0], Hant: f[1]}
		if len(f) > 2 {
			t.Why = f[2]
		}
		ts = append(ts, t)
	}
	return ts, nil
}
