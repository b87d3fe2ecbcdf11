package generator

import (
	"context"
	"flag"
	"path/filepath"
	"testing"

	"github.com/qualbridge/qualbridge/generator/catalog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testDate is the build date of the test site (its site.toml says the same).
func testDate() catalog.Date { return catalog.NewDate(2025, 6, 1) }

// buildTestSite builds testdata/site into a fresh directory.
func buildTestSite(t *testing.T) (string, *Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "public")
	res, err := Build(context.Background(), Options{Src: "testdata/site", Out: out, BuildDate: testDate()})
	if err != nil {
		for _, d := range res.Diagnostics {
			t.Log(d)
		}
		t.Fatal(err)
	}
	return out, res
}

func TestBuildSmoke(t *testing.T) {
	out, res := buildTestSite(t)
	t.Logf("%s: %+v", out, res)
}
