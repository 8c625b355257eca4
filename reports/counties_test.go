package reports_test

import (
	"strings"
	"testing"

	"github.com/liaoning-hrss/flexemp"
	"github.com/liaoning-hrss/flexemp/metrics"
	"github.com/liaoning-hrss/flexemp/reports"
)

func ptr(v float64) *float64 { return &v }

// The county table: the city's own row first, each county's values in the
// indicators' formats, the note naming where 市本级/未分区县's rows came
// from; the chart draws a grid per indicator with a value, the city's as
// a reference line, and none at all when no county has a value.
func TestCountyTable(t *testing.T) {
	p, _ := flexemp.ParsePeriod("2025")
	cc := &metrics.CityCounties{Period: p, City: "210100",
		Indicators: []metrics.CountyColumn{{ID: "I1", Title: "灵活就业登记人数/万人"}, {ID: "I2", Title: "新就业形态占比", CityValue: ptr(0.44)}},
		Counties: []metrics.County{
			{Code: "210102", Name: "和平区", Indicators: []metrics.CountyIndicator{{ID: "I1"}, {ID: "I2", Value: ptr(0.406)}}},
			{Code: "210100", Name: flexemp.CityOwnCounty, Own: true, Indicators: []metrics.CountyIndicator{{ID: "I1"}, {ID: "I2", Value: ptr(0.5)}}},
		},
		OwnRows: 12, UnknownRows: 3, UnknownCodes: []string{"210199"}}
	tb := reports.NewCountyTable(cc, "沈阳市")
	if tb.City.Name != "沈阳市（全市）" || tb.City.Cells[1] != "44.0%" || tb.Rows[0].Cells[0] != "—" || tb.Rows[0].Cells[1] != "40.6%" || !tb.Rows[1].Own {
		t.Errorf("table: %+v", tb)
	}
	if !strings.Contains(tb.Note, "12 行填写本市代码或名称") || !strings.Contains(tb.Note, "3 行的区划代码不在区县表中（210199）") || !strings.Contains(tb.Note, "不参与排名") {
		t.Errorf("note: %s", tb.Note)
	}
	o := tb.Chart.Option
	if strings.Count(o, `"containLabel":true`) != 1 || !strings.Contains(o, `"markLine"`) || !strings.Contains(o, `"xAxis":44`) || strings.Contains(o, "I1 ") {
		t.Errorf("chart option: %s", o)
	}
	for i := range cc.Counties {
		cc.Counties[i].Indicators[1].Value = nil
	}
	if tb := reports.NewCountyTable(cc, "沈阳市"); tb.Chart.ID != "" {
		t.Errorf("a chart with nothing to draw: %s", tb.Chart.Option)
	}
}
