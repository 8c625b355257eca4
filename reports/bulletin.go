package reports

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/dispatch"
)

// Bulletin is the monthly 调度通报 (SPEC "Dispatch"): a plain, printable
// circular in numbered sections — the province's totals, every city's
// completion rates and statuses, the cities behind named, the projection,
// the data not sent or late, and the charts. It is circulated to every
// city: it holds completion rates and statuses, nothing else of a city.
type Bulletin struct {
	Report *dispatch.Report
	Made   time.Time
	Office string // default DefaultOffice
}

// StatusColor is a status's cell background, with dark text legible on
// each (the status is written in the cell too, never colour alone).
func StatusColor(status string) string {
	switch status {
	case dispatch.Ahead:
		return "#d3efdc"
	case dispatch.Normal:
		return "#e6eef9"
	case dispatch.Behind:
		return "#fde3b5"
	case dispatch.Severe:
		return "#f7c9c9"
	}
	return "#e2e2e2"
}

type bulletinCell struct {
	Text, Status, Color string
}

type bulletinRow struct {
	Name  string
	Cells []bulletinCell
}

var bulletinTmpl = template.Must(template.New("bulletin").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Title}}</title>
<style>
@page { size: A4; margin: 12mm 12mm; }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "SimSun", serif; color: #111; margin: 0 auto; max-width: 1000px; padding: 0 12px; font-size: 14px; line-height: 1.6; }
h1 { font-size: 22px; text-align: center; margin: 12px 0 4px; }
.sub { text-align: center; color: #333; margin: 0 0 14px; }
h2 { font-size: 17px; margin: 18px 0 6px; }
p { margin: 6px 0; text-indent: 2em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0; }
caption { text-align: left; font-weight: bold; padding: 2px 0; }
th, td { border: 1px solid #555; padding: 3px 5px; text-align: center; }
th { background: #f0f0f0; }
td.name { text-align: left; white-space: nowrap; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 6px; border: 1px solid #777; }
.chart { break-inside: avoid; page-break-inside: avoid; margin: 10px 0; }
.sign { text-align: right; text-indent: 0; margin-top: 18px; }
.note { font-size: 12px; color: #333; text-indent: 0; }
@media print { .scroll { overflow: visible; } }
@media screen and (max-width: 720px) { body { padding: 0 6px; } .chart { overflow-x: auto; } }
</style>
<script>{{.EChartsJS}}</script>
</head><body>
<main>
<h1>{{.Title}}</h1>
<p class="sub">截至 {{.AsOf}} · 数据截至 {{.Through}} · 时序进度 {{.TimeProgress}}</p>
<h2>一、全省总体情况</h2>
<p>{{.Overall}}</p>
<div class="scroll"><table id="t-province"><caption>表1　全省各项任务完成情况</caption>
<thead><tr><th scope="col">任务</th><th scope="col">完成</th><th scope="col">目标</th><th scope="col">完成率</th><th scope="col">时序进度</th></tr></thead>
<tbody>{{range .Province}}<tr><th scope="row">{{index . 0}}</th><td>{{index . 1}}</td><td>{{index . 2}}</td><td>{{index . 3}}</td><td>{{index . 4}}</td></tr>{{end}}</tbody></table></div>
<h2>二、各市完成情况</h2>
<p class="legend">完成率与时序进度（{{.TimeProgress}}）相比：{{range .Legend}}<span style="background:{{.Color}}">{{.Text}}</span>{{end}}</p>
<div class="scroll"><table id="t-cities"><caption>表2　各市各项任务完成率（完成/目标）</caption>
<thead><tr><th scope="col">城市</th>{{range .Tasks}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Cities}}<tr><th scope="row" class="name">{{.Name}}</th>{{range .Cells}}<td style="background:{{.Color}}">{{.Text}}{{if .Status}}<br>{{.Status}}{{end}}</td>{{end}}</tr>{{end}}</tbody></table></div>
<h2>三、进度滞后的城市</h2>
{{range .Behind}}<p>{{.}}</p>{{end}}
<h2>四、全年完成预测</h2>
<p>预计全年完成率{{.Method}}；后续月均需完成 =（目标 − 已完成）÷ 剩余月数，与已完成月均对照。</p>
<div class="scroll"><table id="t-projection"><caption>表3　各市预计全年完成率与后续月均需完成（月均已完成）</caption>
<thead><tr><th scope="col">城市</th>{{range .Tasks}}<th scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Projection}}<tr><th scope="row" class="name">{{.Name}}</th>{{range .Cells}}<td>{{.Text}}</td>{{end}}</tr>{{end}}</tbody></table></div>
<h2>五、本月数据报送情况</h2>
{{range .Data}}<p>{{.}}</p>{{end}}
<h2>六、图表</h2>
<p class="note">各图数据见表2（完成率）与表3。</p>
{{range .Charts}}<div class="chart" role="img" aria-label="{{.Label}}" aria-describedby="t-cities">{{.Chart.Element}}</div>{{end}}
<p class="sign">{{.Office}}<br>{{.Date}}</p>
</main>
{{range .Charts}}{{.Chart.Script}}{{end}}
</body></html>`))

type labelledChart struct {
	Chart Chart
	Label string
}

// HTML writes the bulletin as one self-contained page (ECharts inlined).
func (b *Bulletin) HTML(w io.Writer) error {
	r := b.Report
	office := b.Office
	if office == "" {
		office = DefaultOffice
	}
	shown := dispatch.Targeted(r.Province)
	var tasks []string
	for _, t := range shown {
		tasks = append(tasks, t.ID+" "+t.Title)
	}
	var province [][]string
	for _, t := range shown {
		tot := r.Province[t.ID]
		province = append(province, []string{t.ID + " " + t.Title, fmt.Sprintf("%d%s", tot.Actual, t.Unit), fmt.Sprintf("%d%s", tot.Target, t.Unit),
			dispatch.Percent(tot.Rate), dispatch.Percent(r.TimeProgress)})
	}
	var cities, projection []bulletinRow
	for _, c := range r.Cities {
		if len(c.Tasks) == 0 {
			continue // no target: not shown
		}
		row, proj := bulletinRow{Name: c.Name}, bulletinRow{Name: c.Name}
		for _, t := range shown {
			p := c.Tasks[t.ID]
			if p == nil {
				row.Cells = append(row.Cells, bulletinCell{Text: "—", Color: "#ffffff"})
				proj.Cells = append(proj.Cells, bulletinCell{Text: "—"})
				continue
			}
			row.Cells = append(row.Cells, bulletinCell{Text: p.Text(), Status: p.Status, Color: StatusColor(p.Status)})
			needed := "已完成"
			if p.MonthlyNeeded > 0 {
				needed = fmt.Sprintf("需 %.0f", p.MonthlyNeeded)
			}
			proj.Cells = append(proj.Cells, bulletinCell{Text: fmt.Sprintf("%s · %s（%.0f）", dispatch.Percent(p.Projection), needed, p.MonthlySoFar)})
		}
		cities = append(cities, row)
		projection = append(projection, proj)
	}
	for _, reg := range r.Regions {
		row := bulletinRow{Name: reg.Name + "小计"}
		for _, t := range shown {
			cell := bulletinCell{Text: "—", Color: "#ffffff"}
			if tot := reg.Tasks[t.ID]; tot != nil {
				cell = bulletinCell{Text: tot.Text(), Color: "#ffffff"}
			}
			row.Cells = append(row.Cells, cell)
		}
		cities = append(cities, row)
	}
	var legend []bulletinCell
	for _, s := range dispatch.Statuses {
		legend = append(legend, bulletinCell{Text: s, Color: StatusColor(s)})
	}
	var chs []labelledChart
	for _, t := range shown {
		chs = append(chs, labelledChart{completionChart(r, t), fmt.Sprintf("%s %s：各市完成率柱状图，时序进度线 %s", t.ID, t.Title, dispatch.Percent(r.TimeProgress))})
	}
	for _, t := range shown {
		chs = append(chs, labelledChart{paceChart(r, t), fmt.Sprintf("%s %s：各市逐月累计完成率与目标进度线", t.ID, t.Title)})
	}
	return bulletinTmpl.Execute(w, map[string]any{
		"Title": r.Title(), "AsOf": r.AsOf, "Through": fmt.Sprintf("%d年%d月", r.Through.Year, r.Through.Month),
		"TimeProgress": fmt.Sprintf("%s（%d/12）", dispatch.Percent(r.TimeProgress), r.Months),
		"Overall":      overall(r), "Province": province, "Legend": legend, "Tasks": tasks, "Cities": cities,
		"Behind": behindLines(r), "Method": "按本市上年各月分布推算（季节性）；无上年完整数据的按时序进度线性推算，表中逐项依各市情况取用", "Projection": projection,
		"Data": dataLines(r), "Charts": chs, "EChartsJS": template.JS(echartsJS),
		"Office": office, "Date": b.Made.In(flexemp.Shanghai).Format("2006年1月2日"),
	})
}

// WriteBulletin writes b's bulletin.html and bulletin.pdf (printed by
// headless chromium) into dir and gives their paths.
func WriteBulletin(ctx context.Context, dir string, b *Bulletin) ([]string, error) {
	var h bytes.Buffer
	if err := b.HTML(&h); err != nil {
		return nil, err
	}
	pdf, err := PDF(ctx, h.Bytes())
	if err != nil {
		return nil, fmt.Errorf("打印 PDF 失败（需要 chromium）：%w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		name string
		data []byte
	}{{"bulletin.html", h.Bytes()}, {"bulletin.pdf", pdf}} {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, f.data, 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// overall is the first section's sentence.
func overall(r *dispatch.Report) string {
	var parts []string
	for _, t := range flexemp.Tasks {
		if tot := r.Province[t.ID]; tot != nil {
			parts = append(parts, fmt.Sprintf("%s完成 %d%s，完成率 %s", t.Title, tot.Actual, t.Unit, dispatch.Percent(tot.Rate)))
		}
	}
	return fmt.Sprintf("%d年1—%d月，时序进度 %s。全省%s。", r.Year, r.Months, dispatch.Percent(r.TimeProgress), strings.Join(parts, "；"))
}

// behindLines name the cities 严重滞后, 滞后 and 未报送.
func behindLines(r *dispatch.Report) []string {
	var out []string
	for _, s := range []string{dispatch.Severe, dispatch.Behind, dispatch.NotSent} {
		named := r.Named(s)
		if len(named) == 0 {
			continue
		}
		what := map[string]string{dispatch.Severe: "完成率低于时序进度 15 个百分点以上，严重滞后", dispatch.Behind: "完成率低于时序进度，进度滞后",
			dispatch.NotSent: "有到期月份的数据未报送，无法判断进度"}[s]
		out = append(out, fmt.Sprintf("%s：%s。", what, strings.Join(named, "、")))
	}
	if len(out) == 0 {
		out = append(out, "各市各项任务均未滞后。")
	}
	return out
}

// dataLines are month M's extracts not sent or sent late.
func dataLines(r *dispatch.Report) []string {
	by := map[string][]string{}
	for _, d := range r.Data {
		c, _ := flexemp.CityByCode(d.City)
		by[d.State] = append(by[d.State], c.Name+d.Kind.Title())
	}
	var out []string
	for _, s := range []string{"未报送", "逾期报送"} {
		if len(by[s]) > 0 {
			out = append(out, fmt.Sprintf("%d年%d月数据%s：%s。", r.Through.Year, r.Through.Month, s, strings.Join(by[s], "、")))
		}
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("%d年%d月各市各类数据均按时报送。", r.Through.Year, r.Through.Month))
	}
	return out
}

// completionChart draws every city's completion rate of a task as a bar
// coloured by its status, against the time progress as a line.
func completionChart(r *dispatch.Report, t flexemp.Task) Chart {
	id := "chart_completion_" + t.ID
	var names []string
	var bars []opts.BarData
	for _, c := range r.Cities {
		p := c.Tasks[t.ID]
		if p == nil {
			continue
		}
		names = append(names, c.Name)
		color := map[string]string{dispatch.Ahead: "#2e7d4f", dispatch.Normal: "#3b6fb6", dispatch.Behind: "#c77800", dispatch.Severe: "#b3261e"}[p.Status]
		if color == "" {
			color = "#777777"
		}
		bars = append(bars, opts.BarData{Name: c.Name, Value: math.Round(p.Rate*1000) / 10, ItemStyle: &opts.ItemStyle{Color: color},
			Tooltip: &opts.Tooltip{Formatter: types.FuncStr(fmt.Sprintf("%s：%s，%s", c.Name, p.Text(), p.Status))}})
	}
	tp := float64(r.Months) / 12 * 100
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(base(id, fmt.Sprintf("%s %s：完成率与时序进度", t.ID, t.Title), "320px"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: names, AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "%"}),
		charts.WithGridOpts(opts.Grid{Left: "50", Right: "30", Bottom: "70"}),
	)...)
	bar.AddSeries("完成率", bars, charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "时序进度", YAxis: tp}),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
			Label: &opts.Label{Show: opts.Bool(true), Formatter: fmt.Sprintf("时序进度 %.1f%%", tp)}, LineStyle: &opts.LineStyle{Color: "#111111", Type: "dashed", Width: 2}}))
	return snippet(id, bar)
}

// paceChart draws each city's cumulative completion rate of a task month
// by month against the target's even pace (m ÷ 12).
func paceChart(r *dispatch.Report, t flexemp.Task) Chart {
	id := "chart_pace_" + t.ID
	var months []string
	var pace []opts.LineData
	for m := 1; m <= r.Months; m++ {
		months = append(months, fmt.Sprintf("%d月", m))
		pace = append(pace, opts.LineData{Value: float64(m) / 12 * 100})
	}
	line := charts.NewLine()
	line.SetGlobalOptions(append(base(id, fmt.Sprintf("%s %s：逐月累计完成率", t.ID, t.Title), "360px"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: months}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "%"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Left: "50", Right: "30", Bottom: "60"}),
	)...)
	line.AddSeries("目标进度", pace, charts.WithLineStyleOpts(opts.LineStyle{Color: "#111111", Type: "dashed", Width: 3}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "#111111"}))
	for _, c := range r.Cities {
		p := c.Tasks[t.ID]
		if p == nil {
			continue
		}
		var pts []opts.LineData
		for _, n := range r.Cumulative[c.Code][t.ID] {
			pts = append(pts, opts.LineData{Value: float64(int64(1000*float64(n)/float64(p.Target))) / 10})
		}
		line.AddSeries(c.Name, pts)
	}
	return snippet(id, line)
}
