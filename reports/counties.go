package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/internal/columns"
	"github.com/liaoning-hrss/flexemp/metrics"
)

// CountyTable is a city's counties side by side as its page, its report
// section and explain --by-county show them: a row a county, a column an
// indicator of person rows, the city's own row first as the reference.
// Counties are not ranked.
type CountyTable struct {
	Head []string // 区县, then each indicator "I2 新就业形态占比"
	City CountyRow
	Rows []CountyRow
	Note string // where 市本级/未分区县's rows come from, when any do
	// Chart draws each indicator's counties as bars with the city's value
	// as a reference line.
	Chart Chart
}

// CountyRow is a county's values, formatted.
type CountyRow struct {
	Name  string
	Own   bool // 市本级/未分区县
	Cells []string
}

// NewCountyTable is the county table of a city named cityName, with its
// chart.
func NewCountyTable(cc *metrics.CityCounties, cityName string) *CountyTable {
	t := countyTable(cc, cityName)
	t.Chart = countyChart(cc, cityName)
	return t
}

// countyTable is the table without its chart: the report takes the chart
// from its list of charts, the command line draws none.
func countyTable(cc *metrics.CityCounties, cityName string) *CountyTable {
	t := &CountyTable{Head: []string{"区县"}, City: CountyRow{Name: cityName + "（全市）"}, Note: CountyNote(cc)}
	for _, col := range cc.Indicators {
		t.Head = append(t.Head, AxisLabel(col.ID, col.Title))
		t.City.Cells = append(t.City.Cells, Indicator(col.ID, col.CityValue))
	}
	for _, c := range cc.Counties {
		row := CountyRow{Name: c.Name, Own: c.Own}
		for _, ci := range c.Indicators {
			row.Cells = append(row.Cells, Indicator(ci.ID, ci.Value))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// CountyNote says which rows 市本级/未分区县 holds: those under the city's own
// code and those whose area code is not in the county table (the data
// note SPEC asks for); empty when there are none.
func CountyNote(cc *metrics.CityCounties) string {
	var parts []string
	if cc.OwnRows > 0 {
		parts = append(parts, fmt.Sprintf("%d 行填写本市代码或名称", cc.OwnRows))
	}
	if cc.UnknownRows > 0 {
		codes := cc.UnknownCodes
		more := ""
		if len(codes) > 5 {
			codes, more = codes[:5], " 等"
		}
		parts = append(parts, fmt.Sprintf("%d 行的区划代码不在区县表中（%s%s）", cc.UnknownRows, strings.Join(codes, "、"), more))
	}
	if len(parts) == 0 {
		return ""
	}
	return flexemp.CityOwnCounty + "：" + strings.Join(parts, "，") + "。区县数据不参与排名，不计入综合指数。"
}

// CountiesLine says in one line what the counties of a period hold: how
// many, and the rows 市本级/未分区县 took, for the demo's summary.
func CountiesLine(all map[string]*metrics.CityCounties) string {
	counties, own, unknown := 0, int64(0), int64(0)
	for _, cc := range all {
		for _, c := range cc.Counties {
			if !c.Own {
				counties++
			}
		}
		own, unknown = own+cc.OwnRows, unknown+cc.UnknownRows
	}
	return fmt.Sprintf("区县：%d 个区县的指标见报告各市“各区县”一节或 flexemp explain --by-county（不参与排名）；%s %d 行填写本市代码或名称，%d 行的区划代码不在区县表中",
		counties, flexemp.CityOwnCounty, own, unknown)
}

// WriteCounties prints a city's county table for the command line.
func WriteCounties(w io.Writer, cc *metrics.CityCounties, cityName string) error {
	t := countyTable(cc, cityName)
	fmt.Fprintf(w, "%s各区县（%s，不参与排名）\n", cityName, cc.Period.Label())
	tw := columns.NewWriter(w)
	ids := []string{"区县"}
	for _, col := range cc.Indicators {
		ids = append(ids, col.ID)
	}
	fmt.Fprintln(tw, strings.Join(ids, "\t"))
	for _, r := range append([]CountyRow{t.City}, t.Rows...) {
		fmt.Fprintln(tw, r.Name+"\t"+strings.Join(r.Cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var legend []string
	for _, col := range cc.Indicators {
		legend = append(legend, col.ID+" "+col.Title)
	}
	fmt.Fprintln(w, strings.Join(legend, "　"))
	if t.Note != "" {
		fmt.Fprintln(w, t.Note)
	}
	return nil
}

// countyChartID is the element a city's county chart draws into.
func countyChartID(city string) string { return "chart_counties_" + city }

// countyColumns is how many small charts stand side by side.
const countyColumns = 2

// countyChart is one chart of small multiples: for each indicator a grid of
// its counties' values as bars, with the city's own value as a dashed
// reference line; no chart (no ID) when no county has a value.
func countyChart(cc *metrics.CityCounties, cityName string) Chart {
	id := countyChartID(cc.City)
	var names []string
	for _, c := range cc.Counties {
		names = append(names, c.Name)
	}
	var shown []int // the indicators some county has a value of (not I1 without the counties' population)
	for i := range cc.Indicators {
		if slices.ContainsFunc(cc.Counties, func(c metrics.County) bool { return c.Indicators[i].Value != nil }) {
			shown = append(shown, i)
		}
	}
	if len(shown) == 0 {
		return Chart{} // nothing to draw
	}
	const cell = 34 // px a county's bar takes, gaps included
	gridHeight := cell*len(names) + 20
	rows := (len(shown) + countyColumns - 1) / countyColumns
	height := rows*(gridHeight+70) + 40
	bar := charts.NewBar()
	bar.SetGlobalOptions(base(id, cityName+"各区县（不参与排名；虚线为全市）", fmt.Sprintf("%dpx", height))...)
	bar.XAxisList, bar.YAxisList = nil, nil
	for k, i := range shown { // k: this indicator's grid and axes
		col := cc.Indicators[i]
		r, c := k/countyColumns, k%countyColumns
		top := 60 + r*(gridHeight+70)
		bar.GridList = append(bar.GridList, opts.Grid{
			Left: fmt.Sprintf("%d%%", 2+c*50), Width: "44%", Top: fmt.Sprint(top), Height: fmt.Sprint(gridHeight), ContainLabel: opts.Bool(true)})
		bar.ExtendXAxis(opts.XAxis{Type: "value", GridIndex: k, Name: AxisLabel(col.ID, col.Title), NameLocation: "middle", NameGap: 25,
			AxisLabel: &opts.AxisLabel{Formatter: opts.FuncOpts(countyAxisFormatter(col.ID))}})
		bar.ExtendYAxis(opts.YAxis{Type: "category", GridIndex: k, Data: names, Inverse: opts.Bool(true)})
		var data []opts.BarData
		for _, county := range cc.Counties {
			data = append(data, opts.BarData{Value: countyPlotted(col.ID, county.Indicators[i].Value)})
		}
		seriesOpts := []charts.SeriesOpts{charts.WithItemStyleOpts(opts.ItemStyle{Color: "#2a6f97"}),
			charts.WithSeriesOpts(func(s *charts.SingleSeries) { s.XAxisIndex, s.YAxisIndex = k, k })}
		if v := col.CityValue; v != nil {
			seriesOpts = append(seriesOpts,
				charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{Name: "全市", XAxis: countyPlotted(col.ID, v)}),
				charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
					LineStyle: &opts.LineStyle{Color: "#c9a227", Type: "dashed", Width: 2}, Label: &opts.Label{Show: opts.Bool(true), Formatter: "全市", Position: "insideMiddleTop"}})) // along the line inside the grid, clear of the axis ticks
		}
		bar.AddSeries(col.ID, data, seriesOpts...)
	}
	return snippet(id, bar)
}

// countyPlotted is a value as the chart draws it: a share in per cent.
func countyPlotted(id string, v *float64) any {
	if v == nil {
		return nil
	}
	if IsRatio(id) {
		return metrics.Round2(*v * 100)
	}
	return metrics.Round2(*v)
}

func countyAxisFormatter(id string) string {
	if IsRatio(id) {
		return "function (v) { return v + '%'; }"
	}
	return "function (v) { return v; }"
}
