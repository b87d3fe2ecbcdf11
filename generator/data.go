package generator

import (
	"sort"

	"github.com/qualbridge/qualbridge/generator/opendata"
)

func datasets(x *index) []opendata.Dataset { return opendata.DatasetsOf(x.cat) }

func dataFiles(x *index) (map[string][]byte, error) { return opendata.Files(x.cat, x.date) }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
