package catalog

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// render formats diagnostics as an editor reads them, with the file a
// consequence follows from.
func render(ds Diagnostics) string {
	var lines []string
	for _, d := range ds {
		s := d.String()
		if d.Cause != "" {
			s += "\n\t(cause: " + d.Cause + ")"
		}
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}

// TestEditorMistakes loads small broken trees (testdata/<case>,
// synthetic data) with the mistakes editors make outside the schema:
// pages saved by other tools, a file that does not parse and what follows
// from it, values written in Traditional characters, full-width, or as
// dates that do not exist, and hostile nesting. Every message is exact.
func TestEditorMistakes(t *testing.T) {
	tests := []struct {
		dir  string
		want string
	}{
		{"pages", `
content/binary.md:1:1: error: 这不是文本文件：含有二进制内容
	hint: content/ 下只放 Markdown 文本文件（.md）；图片、Word 文档等不要改名为 .md
content/colon.md:2:6: error: TOML 格式错误：字段名后面要用等号 =，不是冒号 :
	hint: 写成 title = "…"
content/empty.md:1:1: warning: 页面没有正文：发布出来是一张空白页
	hint: 在第二个 +++ 下面写上正文，或删除这个文件
content/gbk.md:5:1: error: 文件不是 UTF-8 编码：从这里起的文字无法识别（可能是 GBK 编码）
	hint: 用 UTF-8 编码重新保存：记事本选“另存为”，编码选“UTF-8”；WPS、Word 选“纯文本”和“UTF-8”
content/no-front.md:1:1: error: 页面没有页首设置（front matter）：没有标题，网站会用文件名 "no-front" 作标题
	hint: 在文件开头加上三行：+++、title = "页面标题"、+++
content/no-opening.md:1:1: error: 页首设置缺少开头的 "+++"（第 2 行的 +++ 没有与之成对的开头）
	hint: 在文件的第一行之前加一行 +++（页首设置写在两行 +++ 之间）
content/yaml.md:1:1: error: 页首设置用了 YAML 的 "---" 写法，本站只认 TOML 的 "+++"
	hint: 把开头和结尾的两行 --- 都改成 +++，把 title: 关于我们 改成 title = "关于我们"
`},
		{"knock-on", `
catalog/offices.toml:4:13: error: TOML 格式错误：引号没有闭合：这一行的文字缺少结尾的引号
	hint: 在文字末尾补上英文双引号 "，例如 name = "…"；要写多行文字，开头和结尾各用三个引号 """
catalog/offices.toml:12:1: error: TOML 格式错误：文字 工作日 9:00-17:00 没有加引号
	hint: 文字要用英文双引号括起来：写成 hours = "工作日 9:00-17:00"
catalog/offices.toml:17:1: error: TOML 格式错误：文字用了中文引号 “…”
	hint: 改成英文双引号：写成 name = "测试电话"
catalog/guides.toml:5:1: error: 办理渠道 "ceshi-chuangkou" 未在 catalog/offices.toml 中定义
	hint: 先在 catalog/offices.toml 中添加，或检查是否写错
	(cause: catalog/offices.toml)
catalog/guides.toml:5:1: error: 办理渠道 "ceshi-xianshang" 未在 catalog/offices.toml 中定义
	hint: 先在 catalog/offices.toml 中添加，或检查是否写错
	(cause: catalog/offices.toml)
catalog/guides.toml:11:1: error: 办理渠道 "ceshi-dianhua" 未在 catalog/offices.toml 中定义
	hint: 先在 catalog/offices.toml 中添加，或检查是否写错
	(cause: catalog/offices.toml)
`},
		{"value-mistakes", `
catalog/qualifications.toml:5:1: error: "乙級" 用了繁体字，不是有效的台湾地区技术士等级
	hint: 目录一律用简体字：写 乙级
catalog/qualifications.toml:7:1: error: "四級" 用了繁体字，不是有效的职业技能等级
	hint: 目录一律用简体字：写 四级
catalog/qualifications.toml:8:1: error: TOML 格式错误：文字 採信 没有加引号
	hint: 文字要用英文双引号括起来：写成 route = "採信"
catalog/qualifications.toml:8:1: error: "採信" 用了繁体字，不是有效的办理方式（采信或采认）
	hint: 目录一律用简体字：写 采信
catalog/qualifications.toml:9:1: error: 日期 "2025-02-30" 不存在：2025 年 2 月只有 28 天
	hint: 这个月的最后一天是 2025-02-28：核对原文的日期
catalog/qualifications.toml:15:1: error: 职业编码 "９-９９-９９-０１" 用了全角字符
	hint: 用半角数字和连字符：写成 "9-99-99-01"
catalog/qualifications.toml:17:1: error: "采认 " 前后有多余的空格，不是有效的办理方式（采信或采认）
	hint: 去掉引号里多余的空格：写 采认
catalog/qualifications.toml:18:1: error: 日期 "2025/02/03" 的写法不对
	hint: 写成 2025-02-03（年-月-日，用连字符 -，月和日都写两位）
catalog/qualifications.toml:19:14: error: TOML 格式错误：这里有一个看不见的控制字符
	hint: 删掉这个字符（常见于从网页或 Word 复制来的文字）：把光标移到这里，删除后重新输入这几个字
catalog/qualifications.toml:27:1: error: 日期 "2025-02-29" 不存在：2025 年不是闰年，2 月只有 28 天
	hint: 这个月的最后一天是 2025-02-28：核对原文的日期
`},
		{"deep", `
catalog/occupations.toml:3:32: error: 字段名的层次太多（超过 16 段），没有读取这个文件
	hint: 目录里的字段名最多写成 a.b.c 这样几段；检查这一行是否写错
catalog/qualifications.toml:4:89: error: 方括号或花括号套得太深（超过 16 层），没有读取这个文件
	hint: 目录里的数组和 {…} 最多套 16 层；检查括号是否成对
`},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			_, ds := Load(os.DirFS("testdata/"+tt.dir), Options{BuildDate: testDate()})
			if got, want := render(ds), strings.TrimSpace(tt.want); got != want {
				t.Errorf("diagnostics:\n%s\n\nwant:\n%s", got, want)
			}
		})
	}
}

// TestSyntaxMessages: every complaint of the TOML parser reaches the
// editor in Chinese, saying what to type; none in the parser's English.
func TestSyntaxMessages(t *testing.T) {
	tests := []struct {
		text string // catalog/site.toml
		want string // its first diagnostic, after "catalog/site.toml:"
	}{
		{"name = \"abc\n", `1:12: error: TOML 格式错误：引号没有闭合：这一行的文字缺少结尾的引号
	hint: 在文字末尾补上英文双引号 "，例如 name = "…"；要写多行文字，开头和结尾各用三个引号 """`},
		{"notes = \"\"\"abc\n", `1:15: error: TOML 格式错误：多行文字没有结束：缺少结尾的三个引号
	hint: 在文字的最后加上 """`},
		{"id = \"a\"\nid = \"b\"\n", `2:1: error: TOML 格式错误：字段 "id" 写了两次
	hint: 删去重复的一行；每一条新的记录以 [[…]] 开头`},
		{"level =\n", `1:8: error: TOML 格式错误：等号后面缺少值
	hint: 在等号后面写上值，例如 level = "…"`},
		{"level = tru\n", `1:9: error: TOML 格式错误：等号后面的值写法不对
	hint: 文字用英文双引号括起来（"…"），数字直接写，是非写 true 或 false`},
		{"title: 关于\n", `1:6: error: TOML 格式错误：字段名后面要用等号 =，不是冒号 :
	hint: 写成 title = "…"`},
		{"= 1\n", `1:1: error: TOML 格式错误：等号前面缺少字段名
	hint: 每一行写成 字段名 = 值，例如 name = "…"`},
		{"batch = 1 2\n", `1:10: error: TOML 格式错误：值后面多了内容：一行只能写一个字段
	hint: 几个值要写成数组：batch = ["…", "…"]；文字里的空格要放在引号里面`},
		{"sources = [\"a\" \"b\"]\n", `1:16: error: TOML 格式错误：数组没有写完：各项之间要用英文逗号 , 分隔，最后以 ] 结束
	hint: 例如 sources = ["…", "…"]`},
		{"sources = [\"a\",\n", `1:16: error: TOML 格式错误：数组没有写完：缺少结尾的 ]
	hint: 例如 sources = ["…", "…"]；数组可以分几行写，但要以 ] 结束`},
		{"x = {a = 1\n", `1:11: error: TOML 格式错误：花括号 {…} 没有写完：各项之间要用英文逗号分隔，最后以 } 结束
	hint: {…} 要写在同一行`},
		{"notes = \"a\\qb\"\n", `1:10: error: TOML 格式错误：反斜杠 \ 的写法不对
	hint: 要写反斜杠本身就写两个 \\，或者改用单引号 '…' 括起文字`},
		{"batch = 1__2\n", `1:9: error: TOML 格式错误：数字的写法不对
	hint: 整数直接写数字，如 batch = 5；不是数字的内容用英文双引号括起来：batch = "…"`},
		{"[[qualification]\n", `1:16: error: TOML 格式错误：表头的写法不对
	hint: 表头写成 [[qualification]]：两对英文方括号，中间是表名，独占一行`},
		{"name ＝ \"a\"\n", `1:6: error: TOML 格式错误：这一行用了中文（全角）标点「＝」
	hint: TOML 只认英文（半角）标点：把「＝」改成 =`},
		{"sources = [\"a\"，\"b\"]\n", `1:15: error: TOML 格式错误：这一行用了中文（全角）标点「，」
	hint: TOML 只认英文（半角）标点：把「，」改成 ,`},
		{"x = \"\xff\"\n", `1:5: error: TOML 格式错误：文件不是 UTF-8 编码
	hint: 用 UTF-8 编码重新保存：记事本选“另存为”，编码选“UTF-8”`},
		{"x = \"\x00\"\n", `1:6: error: TOML 格式错误：文件含有空字节：可能是 UTF-16 编码，或者不是文本文件
	hint: 用 UTF-8 编码重新保存：记事本选“另存为”，编码选“UTF-8”`},
	}
	for _, tt := range tests {
		fsys := fstest.MapFS{"catalog/site.toml": {Data: []byte(tt.text)}}
		_, ds := Load(fsys, Options{})
		if len(ds) == 0 {
			t.Errorf("%q: no diagnostic", tt.text)
			continue
		}
		if got := strings.TrimPrefix(ds[0].String(), "catalog/site.toml:"); got != tt.want {
			t.Errorf("%q:\n%s\nwant\n%s", tt.text, got, tt.want)
		}
		for _, d := range ds {
			if strings.IndexFunc(d.Message, func(r rune) bool { return r >= 'a' && r <= 'z' }) >= 0 &&
				!strings.Contains(d.Message, `"`) && !strings.Contains(d.Message, "TOML") && !strings.Contains(d.Message, "UTF") {
				t.Errorf("%q: English in %q", tt.text, d.Message)
			}
		}
	}
}
