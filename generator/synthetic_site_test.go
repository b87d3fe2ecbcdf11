package generator

import (
	"os"
	"testing"
)

// TestWriteSyntheticCatalog writes BenchmarkBuild's synthetic catalog
// (10,000 qualifications, 1,000 organisations: some 24,000 pages once
// built) into $QUALBRIDGE_SYNTHETIC_OUT, for measuring what comes after
// a build, such as deploying (see the README's "Measuring"):
//
//	QUALBRIDGE_SYNTHETIC_OUT=/tmp/synth go test -run WriteSynthetic ./generator
//	go run ./cmd/qualbridge build -src /tmp/synth -out /tmp/synth/public
func TestWriteSyntheticCatalog(t *testing.T) {
	dir := os.Getenv("QUALBRIDGE_SYNTHETIC_OUT")
	if dir == "" {
		t.Skip("set QUALBRIDGE_SYNTHETIC_OUT to write the synthetic catalog there")
	}
	writeSynthetic(t, dir, 10000, 1000)
}
