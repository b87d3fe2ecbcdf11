package search

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// testDocs are fictional pages for the tests: the names are real
// occupation and certificate names, but the texts are made up and no row
// here is a catalogue fact. Text holds both scripts, as the site passes it.
func testDocs() []Doc {
	return []Doc{
		{URL: "/zh-hant/qualifications/test-care/", Title: "照顧服務員 → 養老護理員", AltTitle: "照顾服务员 → 养老护理员", Kind: "qualification",
			Text: "照顾服务员 单一级 养老护理员 四级 4-10-01-05 照顧服務員 單一級 養老護理員 四級 4-10-01-05"},
		{URL: "/zh-hant/qualifications/test-beauty/", Title: "美容技術士 → 美容師", Kind: "qualification",
			Text: "美容技术士 乙级 美容师 二级 4-10-03-01 美容技術士 乙級 美容師 二級 4-10-03-01"},
		{URL: "/zh-hant/guides/test-caixin/", Title: "職業資格採信", AltTitle: "职业资格采信", Kind: "guide",
			Text: "职业资格采信 养老 护理 服务 職業資格採信 養老 護理 服務"},
		{URL: "/zh-hant/documents/test-doc/", Title: "測試文件", Kind: "document",
			Text: "测试文件 闽人社办〔2025〕141号 测试 養老服務 測試文件"},
		{URL: "/zh-hant/organisations/test-org/", Title: "測試評價機構", AltTitle: "测试评价机构", Kind: "organisation",
			Text: "测试评价机构 养老护理员 測試評價機構 養老護理員 a-b test.org"},
	}
}

// decoded is the index as search.js sees it.
type decoded struct {
	V        int              `json:"v"`
	Kinds    []string         `json:"kinds"`
	Prefixes []string         `json:"prefixes"`
	Docs     [][4]any         `json:"docs"`
	Terms    map[string][]int `json:"terms"`
}

func decode(t *testing.T, b []byte) *decoded {
	t.Helper()
	var ix decoded
	if err := json.Unmarshal(b, &ix); err != nil {
		t.Fatal(err)
	}
	return &ix
}

func (ix *decoded) url(d int) string {
	return ix.Prefixes[int(ix.Docs[d][0].(float64))] + ix.Docs[d][1].(string)
}

// rank is the reference implementation of the ranking in the package doc;
// search.js must agree with it.
func (ix *decoded) rank(q string) []int {
	var units []unit
	seen := map[string]bool{}
	for _, u := range cut(q) {
		if !seen[u.s] {
			seen[u.s] = true
			units = append(units, u)
		}
	}
	if len(units) == 0 {
		return []int{}
	}
	type score struct{ m, t int }
	acc := map[int]*score{}
	for _, u := range units {
		var keys []string
		for k := range ix.Terms {
			switch {
			case u.kind == exact && k == u.s,
				u.kind == contains && strings.Contains(k, u.s),
				u.kind == prefix && strings.HasPrefix(k, u.s):
				keys = append(keys, k)
			}
		}
		hits := map[int]int{}
		for _, k := range keys {
			v := 0
			for _, dv := range ix.Terms[k] {
				v += dv
				hits[v>>1] |= v & 1
			}
		}
		for d, t := range hits {
			if acc[d] == nil {
				acc[d] = &score{}
			}
			acc[d].m++
			acc[d].t += t
		}
	}
	need := (len(units) + 1) / 2
	type res struct{ d, score, n int }
	var rs []res
	for d, a := range acc {
		if a.m < need {
			continue
		}
		title := ix.Docs[d][2].(string)
		s := 2*a.m + a.t
		if a.t == len(units) {
			s += 2 * len(units)
		}
		rs = append(rs, res{d, s, utf8.RuneCountInString(title)})
	}
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.n != b.n {
			return a.n < b.n
		}
		return a.d < b.d
	})
	out := []int{}
	for _, r := range rs {
		out = append(out, r.d)
	}
	return out
}

func TestFind(t *testing.T) {
	b, err := Index(testDocs())
	if err != nil {
		t.Fatal(err)
	}
	ix := decode(t, b)
	const care = "/zh-hant/qualifications/test-care/"
	tests := []struct {
		q     string
		first string // URL of the best result; "" for no result
	}{
		{"养老", care},
		{"护理员", care},
		{"养老护理员", care},
		{"養老護理員", care},
		{"養老", care},
		{"  养老\u3000护理员 ", care},
		{"照顾服务员", care},
		{"美容", "/zh-hant/qualifications/test-beauty/"},
		{"美", "/zh-hant/qualifications/test-beauty/"},
		{"4-10-03", "/zh-hant/qualifications/test-beauty/"},
		{"４－１０－０３", "/zh-hant/qualifications/test-beauty/"}, // full-width
		{"采信", "/zh-hant/guides/test-caixin/"},
		{"141号", "/zh-hant/documents/test-doc/"},
		{"TEST.O", "/zh-hant/organisations/test-org/"},
		{"不存在的东西", ""},
		{"", ""},
		{"!?", ""},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			ds := ix.rank(tt.q)
			got := ""
			if len(ds) > 0 {
				got = ix.url(ds[0])
			}
			if got != tt.first {
				t.Errorf("rank(%q) first = %q, want %q (all %v)", tt.q, got, tt.first, ds)
			}
		})
	}
}

func TestRanking(t *testing.T) {
	b, err := Index(testDocs())
	if err != nil {
		t.Fatal(err)
	}
	ix := decode(t, b)
	// 养老护理员 is in the titles of the row (boosted) and in the text of the
	// organisation; the guide holds only 养老 and 护理, 2 of 4 bigrams.
	got := ix.rank("养老护理员")
	want := []int{0, 4, 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rank(养老护理员) = %v, want %v", got, want)
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"养老护理员", []string{"养老", "老护", "护理", "理员"}},
		{"养", []string{"养"}},
		{"养，老", []string{"养", "老"}},
		{"闽人社办〔2025〕141号", []string{"闽人", "人社", "社办", "2025", "141", "号"}},
		{"Code 4-10-01-05.", []string{"code", "4-10-01-05"}},
		{"ＡＢＣ１２", []string{"abc12"}},
		{"𠀀𠀁", []string{"𠀀𠀁"}},
		{"--", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, u := range cut(tt.in) {
			got = append(got, u.s)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("cut(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIndexDeterministic(t *testing.T) {
	a, err := Index(testDocs())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, _ := Index(testDocs())
		if !bytes.Equal(a, b) {
			t.Fatal("two indexes of the same docs differ")
		}
	}
	ix := decode(t, a)
	if ix.V != Version || len(ix.Docs) != 5 || ix.url(3) != "/zh-hant/documents/test-doc/" {
		t.Errorf("index header: v=%d docs=%d url(3)=%s", ix.V, len(ix.Docs), ix.url(3))
	}
	for k, ps := range ix.Terms {
		for i, p := range ps {
			if i > 0 && p <= 0 {
				t.Errorf("term %q: postings %v do not increase", k, ps)
			}
		}
	}
}

// TestIndexes: the indexes of several sets, made together, are each
// set's own index, byte for byte.
func TestIndexes(t *testing.T) {
	a := testDocs()
	b := testDocs()
	for i := range b {
		b[i].URL = strings.Replace(b[i].URL, "/zh-han", "/zh-x", 1)
		b[i].Title, b[i].AltTitle = b[i].AltTitle, b[i].Title
	}
	b = b[1:]
	got, err := Indexes(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for i, docs := range [][]Doc{a, b} {
		want, err := Index(docs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[i], want) {
			t.Errorf("set %d: index made with the other set differs from its own", i)
		}
	}
	if _, err := Indexes(a, append(b, b[0])); err == nil {
		t.Error("a URL indexed twice in the second set was accepted")
	}
}

func TestIndexErrors(t *testing.T) {
	tests := []struct {
		name string
		docs []Doc
		want string
	}{
		{"no url", []Doc{{Kind: "page", Title: "x"}}, `search: doc 0 ("x") has no URL or no kind`},
		{"no kind", []Doc{{URL: "/a/"}}, `search: doc 0 ("") has no URL or no kind`},
		{"twice", []Doc{{URL: "/a/", Kind: "page"}, {URL: "/a/", Kind: "page"}}, "search: URL /a/ indexed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Index(tt.docs)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
		})
	}
	if b, err := Index(nil); err != nil || !bytes.Contains(b, []byte(`"docs":[]`)) {
		t.Errorf("Index(nil) = %s, %v", b, err)
	}
}

// TestScriptAgrees runs search.js under node against an index and checks
// that its ranking is the reference implementation's.
func TestScriptAgrees(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is needed to test search.js")
		}
		t.Skip("node not installed")
	}
	docs := append(testDocs(), synthetic(300)...)
	b, err := Index(docs)
	if err != nil {
		t.Fatal(err)
	}
	ix := decode(t, b)
	queries := []string{"养老", "护理员", "养老护理员", "養老護理員", "美", "4-10", "测试机构", "合成 12", "第7", "服务", "xyz", ""}
	dir := t.TempDir()
	ixFile := filepath.Join(dir, "index.json")
	qFile := filepath.Join(dir, "queries.json")
	qs, _ := json.Marshal(queries)
	if err := os.WriteFile(ixFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(qFile, qs, 0o644); err != nil {
		t.Fatal(err)
	}
	scriptFile := filepath.Join(dir, "search.js")
	if err := os.WriteFile(scriptFile, Script(), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := `const s = require(process.argv[1]), fs = require('fs');
const ix = s.prepare(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
const qs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
console.log(JSON.stringify(qs.map(q => s.rank(ix, q))));`
	out, err := exec.Command(node, "-e", prog, scriptFile, ixFile, qFile).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got [][]int
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node output: %v\n%s", err, out)
	}
	for i, q := range queries {
		want := ix.rank(q)
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("query %q: search.js ranks %v, Go ranks %v", q, got[i], want)
		}
	}
	if len(ix.rank("养老")) < 3 || len(ix.rank("合成 12")) == 0 {
		t.Error("the queries should find several documents")
	}
}

// synthetic returns n generated documents (fictional, for tests and
// benchmarks), shaped like the site's qualification pages.
func synthetic(n int) []Doc {
	words := []string{"养老", "护理", "美容", "烹调", "服务", "机构", "测试", "技能", "维修", "电工", "焊接", "面点", "茶艺", "验光", "营销", "保育"}
	hant := []string{"養老", "護理", "美容", "烹調", "服務", "機構", "測試", "技能", "維修", "電工", "焊接", "麵點", "茶藝", "驗光", "行銷", "保育"}
	docs := make([]Doc, n)
	for i := range docs {
		a, b, c := i%len(words), i/len(words)%len(words), i*7%len(words)
		// The shared tail is what every row page repeats: route,
		// category, scope, basis, guide.
		hans := fmt.Sprintf("合成%s%s员 第%d号 %s%s师 四级 9-%02d-%02d-%02d 合成资格%d，用于测试 采信 技能类 福建 第%d批 测试文件〔2025〕%d号 职业资格采信办事指南", words[a], words[b], i, words[c], words[a], a, b, c, i, i%9, i%97)
		tw := fmt.Sprintf("合成%s%s員 第%d號 %s%s師 四級 9-%02d-%02d-%02d 合成資格%d，用於測試 採信 技能類 福建 第%d批 測試文件〔2025〕%d號 職業資格採信辦事指南", hant[a], hant[b], i, hant[c], hant[a], a, b, c, i, i%9, i%97)
		docs[i] = Doc{
			URL:   fmt.Sprintf("/zh-hant/qualifications/synthetic-%05d/", i),
			Title: fmt.Sprintf("合成%s%s員 → %s%s師", hant[a], hant[b], hant[c], hant[a]),
			Kind:  "qualification",
			Text:  hans + " " + tw,
		}
	}
	return docs
}

// BenchmarkIndex builds the index of 10,000 synthetic qualification pages
// and reports its size, raw and gzipped, as a phone would download it.
func BenchmarkIndex(b *testing.B) {
	docs := synthetic(10000)
	var out []byte
	for b.Loop() {
		var err error
		if out, err = Index(docs); err != nil {
			b.Fatal(err)
		}
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(out)
	w.Close()
	b.ReportMetric(float64(len(out)), "index-bytes")
	b.ReportMetric(float64(z.Len()), "gzip-bytes")
}

// FuzzNFKC checks the fast path against the whole-string normalisation
// that search.js uses.
func FuzzNFKC(f *testing.F) {
	for _, s := range []string{"养老护理员", "闽人社办〔2025〕141号，四级", "ＡＢＣ１２３　全角", "e\u0301 café", "养\u0301老", "…—“”", "ﬁ ㈱ ①", "\u1100\u1161\u11a8", "a\u0308\u0301", "豈更"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := nfkc(s), norm.NFKC.String(s); got != want {
			t.Errorf("nfkc(%q) = %q, want %q", s, got, want)
		}
	})
}
