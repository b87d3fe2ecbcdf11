package hant_test

import (
	"fmt"
	"log"

	"github.com/qualbridge/qualbridge/generator/hant"
)

func ExampleConverter_Convert() {
	c, err := hant.New("闽人社文〔2022〕126号")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Convert("根据闽人社文〔2022〕126号，打印机软件的“信息”"))
	// Output: 根據閩人社文〔2022〕126號，印表機軟體的「資訊」
}

func ExampleConverter_ConvertHTML() {
	c, err := hant.New()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.ConvertHTML(`<a href="/zh-hans/软件" title="软件">软件</a><script>var s = "软件"</script>`))
	// Output: <a href="/zh-hans/软件" title="軟體">軟體</a><script>var s = "软件"</script>
}
