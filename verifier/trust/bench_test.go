package trust_test

import (
	"testing"

	"github.com/qualbridge/qualbridge/verifier/trust"
	"github.com/qualbridge/qualbridge/verifier/trust/trusttest"
)

// BenchmarkLoad100k loads a snapshot of 200,000 sealed records (100,000
// certificates with lookup copies; random stand-ins, which Load does
// not open), hashing every one against the head.
func BenchmarkLoad100k(b *testing.B) {
	tb := trusttest.New("")
	tb.Filler(200000)
	dir := b.TempDir()
	publish(b, tb, dir, now.Add(-1))
	pin := tb.Pin()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := trust.Load(dir, pin, trust.Marks{}, now, trust.DefaultOptions()); err != nil {
			b.Fatal(err)
		}
	}
}
