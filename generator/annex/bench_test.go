package annex

import "testing"

// BenchmarkImport1000 imports a 1,000-row .xlsx annex against the
// shipped catalog: reading, mapping, checking, writing the batch file in
// memory and loading the catalog as it would be.
func BenchmarkImport1000(b *testing.B) {
	data := xlsxOf(b, sampleRows(1000))
	repo := shipped(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		p, ds := Import(repo, "annex.xlsx", data, batch5)
		if ds.Err() != nil || p.New() != 999 {
			b.Fatalf("%d new:\n%s", p.New(), lines(ds))
		}
	}
}
