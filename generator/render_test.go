package generator

import "testing"

func TestSwap(t *testing.T) {
	in := `<html lang="zh-Hans"><link hreflang="zh-Hant" href="https://example.org/zh-hant/a/">` +
		`<link hreflang="x-default" href="https://example.org/zh-default/a/">` +
		`<a href="/zh-hans/b/">zh-hans</a><a href="/zh-hant/a/" lang="zh-Hant">zh-switch-label</a>zh-`
	tests := []struct {
		hant bool
		def  string
		want string
	}{
		{false, "hans", `<html lang="zh-Hans"><link hreflang="zh-Hant" href="https://example.org/zh-hant/a/">` +
			`<link hreflang="x-default" href="https://example.org/zh-hans/a/">` +
			`<a href="/zh-hans/b/">zh-hans</a><a href="/zh-hant/a/" lang="zh-Hant">繁體</a>zh-`},
		{true, "hans", `<html lang="zh-Hant"><link hreflang="zh-Hans" href="https://example.org/zh-hans/a/">` +
			`<link hreflang="x-default" href="https://example.org/zh-hans/a/">` +
			`<a href="/zh-hant/b/">zh-hans</a><a href="/zh-hans/a/" lang="zh-Hans">简体</a>zh-`},
		{true, "hant", `<html lang="zh-Hant"><link hreflang="zh-Hans" href="https://example.org/zh-hans/a/">` +
			`<link hreflang="x-default" href="https://example.org/zh-hant/a/">` +
			`<a href="/zh-hant/b/">zh-hans</a><a href="/zh-hans/a/" lang="zh-Hans">简体</a>zh-`},
	}
	for _, tt := range tests {
		if got := string(swap(nil, in, tt.hant, tt.def)); got != tt.want {
			t.Errorf("swap(hant=%v, %s):\n got %s\nwant %s", tt.hant, tt.def, got, tt.want)
		}
	}
}
