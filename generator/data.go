package generator

import (
	"sort"

	"github.com/qualbridge/qualbridge/generator/opendata"
)

func datasets() []opendata.Dataset { return opendata.Datasets() }

func dataFiles(x *index) (map[string][]byte, error) { return opendata.Files(x.cat, x.date) }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
