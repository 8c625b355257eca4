package reports

import (
	"bytes"
	"html/template"
	"io"
	"time"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// Notice is the printable one-page 公示通知 issued with a publication: the
// title, the period, the province table, the window's end, how and where to
// object, and the issuing office.
type Notice struct {
	Period    flexemp.Period
	Edition   int
	AsOf      string
	Published time.Time
	WindowEnd time.Time
	Office    string // the issuing office; default 辽宁省人力资源和社会保障厅
	SHA256    string // of the published rank JSON
	Ranking   *metrics.Ranking
}

// DefaultOffice issues the notice unless configured otherwise.
const DefaultOffice = "辽宁省人力资源和社会保障厅"

var noticeTmpl = template.Must(template.New("notice").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
@page { size: A4; margin: 14mm 16mm; }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "SimSun", serif; color: #000; margin: 0 auto; max-width: 760px; font-size: 13px; line-height: 1.6; }
h1 { font-size: 20px; text-align: center; margin: 8px 0 14px; }
p { margin: 6px 0; text-indent: 2em; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #000; padding: 2px 6px; text-align: center; }
.sign { text-align: right; text-indent: 0; margin-top: 14px; }
.hash { font-size: 10px; text-indent: 0; overflow-wrap: anywhere; color: #333; }
</style></head><body>
<h1>{{.Title}}</h1>
<p>依据《辽宁省人力资源和社会保障厅等部门关于支持多渠道灵活就业的若干措施》（辽人社〔2022〕22号）第十八条，现将{{.PeriodLabel}}各市支持灵活就业政策落实考核排名（第{{.Edition}}版，数据截至 {{.AsOf}}）予以公示：</p>
<table><thead><tr><th>名次</th><th>城市</th><th>综合指数</th><th>90%名次区间</th><th>等次</th><th>优先推荐</th></tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>
<p>公示期至 {{.Window}} 截止。各市对排名有异议的，请在公示期内登录考核系统，在首页“排名发布”中提出（或经接口 POST /api/v1/objections 提交），写明异议事项与理由，可附一个月的更正数据及证明材料（PDF、JPG、PNG 或 XLSX）。逾期不再受理。</p>
<p>异议经审核处理后定稿，定稿结果另行通知。</p>
<p class="sign">{{.Office}}<br>{{.Date}}</p>
<p class="hash">公示稿排名数据 SHA-256：{{.SHA256}}</p>
</body></html>`))

// Title is the notice's title.
func (n *Notice) Title() string {
	return "关于" + n.Period.Label() + "各市支持灵活就业政策落实考核排名的公示"
}

// HTML writes the notice as a self-contained page to print on one A4 sheet.
func (n *Notice) HTML(w io.Writer) error {
	office := n.Office
	if office == "" {
		office = DefaultOffice
	}
	var b bytes.Buffer
	if err := noticeTmpl.Execute(&b, map[string]any{"Title": n.Title(), "PeriodLabel": n.Period.Label(), "Edition": n.Edition, "AsOf": n.AsOf,
		"Rows": IssuedTable(n.Ranking), "Window": WindowText(n.WindowEnd), "Office": office, "Date": n.Published.In(flexemp.Shanghai).Format("2006年1月2日"),
		"SHA256": n.SHA256}); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
